from __future__ import annotations

from django.apps import AppConfig


class UmConfig(AppConfig):
    name = "careconductor.um"
    label = "um"
    verbose_name = "Utilisation management"

    def ready(self) -> None:
        from . import relationships

        relationships.register()
