"""`careconductor stratify --as ADMIN`: put every member of the administrator's organisation in a risk tier with
its reasons now (population/stratify.py); prints how many per tier and how long it took."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.population.stratify import do_stratify
from careconductor.population.stratify_rules import TIER_WORDS


class Command(BaseCommand):
    help = "Stratify the organisation's members by risk (tiers 4 intensive to 1 low, with the reasons)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as", dest="username", required=True, help="the administrator who runs it")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = User.objects.filter(username=opts["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {opts['username']!r}.")
        try:
            run = do_stratify(user)
        except ActionRefused as exc:
            raise CommandError("; ".join(exc.errors.values())) from exc
        counts = ", ".join(f"{TIER_WORDS[int(t)].lower()} (tier {t}) {n:,}" for t, n in run.tiers.items())
        self.stdout.write(f"{run.members:,} members stratified in {run.seconds:.1f} s: {counts or 'none'}.")
