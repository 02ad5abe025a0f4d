from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "careconductor.coordination"
    label = "coordination"

    def ready(self) -> None:
        from . import relationships

        relationships.register()  # tasks that carry access, for privacy.policy
