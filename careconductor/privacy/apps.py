from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "careconductor.privacy"
    label = "privacy"
