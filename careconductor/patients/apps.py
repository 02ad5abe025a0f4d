from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "careconductor.patients"
    label = "patients"
