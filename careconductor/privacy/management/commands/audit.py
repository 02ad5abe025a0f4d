from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.privacy import chain


class Command(BaseCommand):
    help = (
        "Audit trail tools. `audit verify` checks the whole hash chain and exits 1 at the first broken event."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("verify", help="Check every audit event's hash, order and the chain head")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        result = chain.verify()
        seconds = time.perf_counter() - started
        rate = result.checked / seconds if seconds else 0.0
        if not result.ok:
            raise CommandError(
                f"Audit trail BROKEN at event {result.broken_seq}: {result.problem}. "
                f"{result.checked} events before it are intact."
            )
        self.stdout.write(
            f"Audit trail intact: {result.checked} events checked in {seconds:.2f} s ({rate:,.0f} events/s)."
        )
