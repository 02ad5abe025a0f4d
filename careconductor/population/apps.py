from __future__ import annotations

from django.apps import AppConfig


class PopulationConfig(AppConfig):
    name = "careconductor.population"
    label = "population"
    verbose_name = "Population health"

    def ready(self) -> None:
        from . import relationships

        relationships.register()
