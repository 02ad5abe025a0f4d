from __future__ import annotations

from django.apps import AppConfig


class MedicationsConfig(AppConfig):
    name = "careconductor.medications"
    label = "medications"
    verbose_name = "Medications"
