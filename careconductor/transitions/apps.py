from __future__ import annotations

from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "careconductor.transitions"
    label = "transitions"
    verbose_name = "Transitions of care"
