from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "careconductor.core"
    label = "core"
