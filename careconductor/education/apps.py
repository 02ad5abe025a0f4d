from __future__ import annotations

from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "careconductor.education"
    label = "education"
    verbose_name = "Education"
