from __future__ import annotations

from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "careconductor.engagement"
    label = "engagement"
    verbose_name = "Patient engagement"

    def ready(self) -> None:
        from . import worklist  # noqa: F401  (unread messages on the worklist)
