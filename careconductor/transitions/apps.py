from __future__ import annotations

from django.apps import AppConfig


class TransitionsConfig(AppConfig):
    name = "careconductor.transitions"
    label = "transitions"
    verbose_name = "Transitions of care"

    def ready(self) -> None:
        from careconductor.coordination.hooks import rule_labels

        from . import readmissions

        rule_labels({readmissions.RULE: readmissions.RULE_LABEL})  # the 30-day readmission alert's words
