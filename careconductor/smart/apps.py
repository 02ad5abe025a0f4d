from __future__ import annotations

from django.apps import AppConfig


class SmartConfig(AppConfig):
    name = "careconductor.smart"
    label = "smart"
    verbose_name = "SMART on FHIR apps"

    def ready(self) -> None:
        from . import signals

        signals.connect()
