from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.assessments import catalogue
from careconductor.assessments.engine import scorers
from careconductor.assessments.models import Questionnaire
from careconductor.core.errors import ActionRefused


class Command(BaseCommand):
    help = (
        "Assessment instruments: `instruments list`, and `instruments load FILE` for a deployer's licensed "
        "Questionnaire (PRAPARE, the complexity grid with its anchor text). A loaded file is checked as FHIR R4 "
        "and against the shipped version's scored questions, and becomes the current version of its url."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("list", help="List the loaded instruments and versions")
        load = sub.add_parser("load", help="Load a Questionnaire JSON file (all or nothing)")
        load.add_argument("path", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["verb"] == "load":
            try:
                row = catalogue.load_file(opts["path"])
            except ActionRefused as exc:
                raise CommandError(str(exc)) from exc
            scored = "scored" if (row.panel_system, row.panel_code) in scorers() else "kept without a score"
            self.stdout.write(
                f"Loaded {row.title} {row.business_version} as {row.slug} ({scored}); it is now current."
            )
            self.stdout.write(
                f"Copy the file to {catalogue.deployer_dir()} so that it is loaded again after each upgrade."
            )
            return
        for q in Questionnaire.objects.order_by("title", "business_version"):
            marks = ", ".join(
                m for m in ("current" if q.current else "", "" if q.shipped else "deployer's") if m
            )
            self.stdout.write(
                f"{q.slug:28} {q.business_version:8} {q.title}" + (f"  [{marks}]" if marks else "")
            )
