from __future__ import annotations

from django.apps import AppConfig


class FhirConfig(AppConfig):
    name = "careconductor.fhir"
    label = "fhir"
    verbose_name = "FHIR R4 API"

    def ready(self) -> None:
        from . import versions
        from .mappers import load_all

        load_all()
        versions.connect()
