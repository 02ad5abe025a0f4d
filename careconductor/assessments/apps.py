from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "careconductor.assessments"
    label = "assessments"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .catalogue import sync_after_migrate

        # Reference data, not domain logic: the shipped Questionnaires are kept in the database after each
        # migrate so the API can search them and assessments can point at the exact version used.
        post_migrate.connect(sync_after_migrate, sender=self)
        from careconductor.coordination.hooks import rule_labels

        from . import worklist  # noqa: F401  (registers reassessments on the worklist)
        from .choices import Signal

        rule_labels({s.value: s.label for s in Signal})  # the safety rules' tasks and flags
