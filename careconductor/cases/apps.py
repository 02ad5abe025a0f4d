from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "careconductor.cases"
    label = "cases"

    def ready(self) -> None:
        # Registers the experience rule's check (cases.hooks) and its words; experience.py builds on coordination,
        # which builds on cases, so it is imported here rather than from cases.actions.
        from careconductor.coordination.hooks import rule_labels

        from . import experience, relationships

        rule_labels({experience.RULE: experience.RULE_LABEL})
        relationships.register()  # cases managed, supervised and covered, and case staff, for privacy.policy
