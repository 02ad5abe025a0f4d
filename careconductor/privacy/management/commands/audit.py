from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.privacy import anchor


class Command(BaseCommand):
    help = (
        "Audit trail tools. `audit verify` checks the whole hash chain and exits 1 at the first broken event; "
        "it holds the chain to the anchors written outside the database and anchors the head it verified."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser(
            "verify", help="Check every audit event's hash, order, the chain head and the anchor file"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.perf_counter()
        try:
            result = anchor.verify()
        except OSError as exc:
            raise CommandError(
                f"The audit anchor file {anchor.anchor_file()} cannot be read or appended to: {exc}. The chain is "
                "not checked against it; set CARECONDUCTOR_AUDIT_ANCHOR_FILE to a file this user can append to."
            ) from exc
        seconds = time.perf_counter() - started
        rate = result.checked / seconds if seconds else 0.0
        if not result.ok:
            where = f" at event {result.broken_seq}" if result.broken_seq is not None else ""
            raise CommandError(
                f"Audit trail BROKEN{where}: {result.problem}. {result.checked} events before it are intact."
            )
        self.stdout.write(
            f"Audit trail intact: {result.checked} events checked in {seconds:.2f} s ({rate:,.0f} events/s); "
            f"head anchored in {anchor.anchor_file()}."
        )
