"""`careconductor import PATH... --as ADMIN --source NAME [--dry-run]`: bring a population in from FHIR Bulk Data
NDJSON files, eligibility CSV files and patient bundles (population/importing.py); prints a report per file and exits 1 when a file
was not imported."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.population.importing import FileReport, do_import_files


class Command(BaseCommand):
    help = (
        "Import members and their coverage, conditions and encounters from FHIR Bulk Data NDJSON files and "
        "eligibility CSV files (or folders of them). Each file is all-or-nothing; importing a file again changes "
        "nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", type=Path, help="NDJSON, CSV or bundle (.json) files, or folders of them"
        )
        parser.add_argument("--as", dest="username", required=True, help="the administrator who imports")
        parser.add_argument(
            "--source", required=True, help="a name for where the data comes from, e.g. plan-2026"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything and report; write nothing"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        missing = [str(p) for p in opts["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"Not found: {', '.join(missing)}")
        user = User.objects.filter(username=opts["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {opts['username']!r}.")
        started = time.monotonic()

        def progress(name: str, lines: int) -> None:
            self.stdout.write(f"  {name}: {lines:,} lines read …")

        try:
            reports = do_import_files(
                user, opts["paths"], source=opts["source"], dry_run=opts["dry_run"], progress=progress
            )
        except ActionRefused as exc:
            raise CommandError("; ".join(exc.errors.values())) from exc
        seconds = time.monotonic() - started
        for report in reports:
            self.stdout.write(_line(report, opts["dry_run"]))
        written = sum(r.new for r in reports if r.imported)
        verb = "would be written" if opts["dry_run"] else "written"
        self.stdout.write(
            f"{sum(r.read for r in reports):,} resources read, {written:,} {verb} in {seconds:.1f} s"
            + (f" ({written / seconds:,.0f}/s)." if written and seconds and not opts["dry_run"] else ".")
        )
        if not all(r.imported for r in reports):
            raise CommandError("Some files were not imported (above); nothing of them was written.")


def _line(report: FileReport, dry_run: bool) -> str:
    if report.left_out:
        return f"{report.name}: left out. {report.left_out}"
    if report.rejected_count:
        shown = "\n".join(f"    line {line}: {why}" for line, why in report.rejected)
        more = report.rejected_count - len(report.rejected)
        tail = f"\n    … and {more:,} more" if more > 0 else ""
        return f"{report.name}: NOT imported, {report.rejected_count:,} line(s) rejected:\n{shown}{tail}"
    verb = "would add" if dry_run else "added"
    changed = f"{report.changed:,} members' details changed, " if report.changed else ""
    line = (
        f"{report.name}: {report.resource_type}, {report.read:,} read, {verb} {report.new:,}, "
        f"{changed}{report.unchanged:,} unchanged."
    )
    if report.not_coded:
        line += f" {report.not_coded:,} left out (conditions without an ICD-10-CM code, observations not kept here)."
    if report.left_out_types:
        line += (
            " Left out: "
            + ", ".join(f"{n:,} {kind}" for kind, n in sorted(report.left_out_types.items()))
            + "."
        )
    return line
