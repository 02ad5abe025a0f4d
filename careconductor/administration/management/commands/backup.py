from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.administration.backup import BackupFailed, make_backup


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite online backup or pg_dump), the uploaded files and the deployer's folders "
        "into one file with a manifest, while the server runs. Restore with `careconductor restore PATH`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", type=Path, help="the backup file to write, e.g. careconductor-2026-12-07.tar.gz"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        path: Path = opts["path"]
        if path.exists():
            raise CommandError(
                f"{path} exists already: give a new file name (a backup never overwrites one)."
            )
        try:
            made = make_backup(path)
        except BackupFailed as exc:
            raise CommandError(f"No backup made: {exc}") from exc
        m = made.manifest
        rows = ", ".join(f"{table} {count:,}" for table, count in m.counts.items())
        self.stdout.write(
            f"Backed up to {made.path} ({made.path.stat().st_size:,} bytes): the {m.vendor} database at audit "
            f"event {m.audit_last_seq} ({rows}) and {m.files} files."
        )
