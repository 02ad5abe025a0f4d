from __future__ import annotations

from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "careconductor.careplans"
    label = "careplans"
    verbose_name = "Care plans"

    def ready(self) -> None:
        from . import coordination  # noqa: F401  (plan reviews on the worklist, goals in closing summaries)
