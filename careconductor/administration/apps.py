from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "careconductor.administration"
    verbose_name = "Setting up an organisation"
