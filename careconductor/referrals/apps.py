from __future__ import annotations

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "careconductor.referrals"
    label = "referrals"
    verbose_name = "Referrals that close the loop"
