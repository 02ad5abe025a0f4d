from __future__ import annotations

from django.apps import AppConfig


class EngagementConfig(AppConfig):
    name = "careconductor.engagement"
    label = "engagement"
    verbose_name = "Patient engagement"

    def ready(self) -> None:
        from careconductor.coordination.hooks import rule_labels

        from . import relationships, worklist  # noqa: F401  (worklist: unread messages on the worklist)
        from .choices import SELF_REPORT_RULES

        rule_labels(SELF_REPORT_RULES)
        relationships.register()  # proxies, for privacy.policy
