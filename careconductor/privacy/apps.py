from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "careconductor.privacy"
    label = "privacy"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the log-in audit receivers)
