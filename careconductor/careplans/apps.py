from __future__ import annotations

from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "careconductor.careplans"
    label = "careplans"
    verbose_name = "Care plans"
