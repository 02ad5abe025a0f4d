from __future__ import annotations

from django.apps import AppConfig


class LettersConfig(AppConfig):
    name = "careconductor.letters"
    label = "letters"
    verbose_name = "Letters"
