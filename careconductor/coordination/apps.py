from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "careconductor.coordination"
    label = "coordination"
