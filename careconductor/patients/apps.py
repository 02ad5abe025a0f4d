from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "careconductor.patients"
    label = "patients"

    def ready(self) -> None:
        from . import relationships

        relationships.register()  # care team places and a patient's own log-in, for privacy.policy
