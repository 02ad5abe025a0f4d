from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "careconductor.cases"
    label = "cases"
