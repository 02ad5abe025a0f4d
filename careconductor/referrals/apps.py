from __future__ import annotations

from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "careconductor.referrals"
    label = "referrals"
    verbose_name = "Referrals that close the loop"

    def ready(self) -> None:
        from careconductor.privacy import sources

        from . import queries, worklist  # noqa: F401  (worklist registers its rows)

        sources.partner_source(queries.referrals_for_partner)
