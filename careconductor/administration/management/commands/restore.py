from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.administration.restore import RestoreRefused, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `careconductor backup` into this installation (stop the server and the worker "
        "first), then count its records and verify its audit trail. Refuses an installation that holds data "
        "unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="a file made by `careconductor backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data this installation already holds (its users, audit trail and uploads)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            restored = restore(opts["path"], force=opts["force"])
        except RestoreRefused as exc:
            raise CommandError(str(exc)) from exc
        m, result = restored.manifest, restored.chain
        self.stdout.write(
            f"Restored the backup of {m.made_at} ({m.vendor}, CareConductor {m.version}) and {restored.files} files."
        )
        if restored.pending_migrations:
            self.stdout.write(
                f"The backup is {restored.pending_migrations} migration(s) behind this version: "
                "run `careconductor migrate` next."
            )
        problems = list(restored.differences)
        if not result.ok:
            where = f" at event {result.broken_seq}" if result.broken_seq is not None else ""
            problems.append(f"Audit trail BROKEN{where}: {result.problem}")
        if problems:
            raise CommandError("Restored, but it does not match the backup: " + "; ".join(problems) + ".")
        self.stdout.write(
            f"Records counted as in the backup. Audit trail intact: {result.checked} events checked; "
            "its head is anchored as a restore."
        )
