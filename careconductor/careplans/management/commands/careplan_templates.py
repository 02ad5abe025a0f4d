from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.careplans import library
from careconductor.core.errors import ActionRefused


class Command(BaseCommand):
    help = (
        "Care-plan templates: `careplan_templates list`, and `careplan_templates check FILE` before an admin "
        "copies an edited or new template to the deployer folder. A deployer file with a shipped template's id "
        "replaces it; a new id adds a template. Changes are picked up without a restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("list", help="List the templates in use and any deployer files left out")
        check = sub.add_parser("check", help="Check a template TOML file (nothing is copied or changed)")
        check.add_argument("path", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["verb"] == "check":
            self._check(opts["path"])
            return
        try:
            templates = library.all_templates()
        except ActionRefused as exc:  # a broken shipped file: a bug in this release, say so plainly
            raise CommandError(f"A shipped template is broken: {exc}") from exc
        shipped = {p.stem for p in library.SHIPPED_DIR.glob("*.toml")}
        for t in templates.values():
            source = "deployer, replaces shipped" if t.source == "deployer" and t.id in shipped else t.source
            goals = f"{len(t.goals)} goal" + ("" if len(t.goals) == 1 else "s")
            self.stdout.write(f"{t.id:24} {t.title:32} {goals:8} [{source}]")
        self.stdout.write(f"Deployer folder: {library.deployer_dir()}")
        errors = library.template_errors()
        for message in errors:
            self.stderr.write(f"Left out: {message}")

    def _check(self, path: Path) -> None:
        try:
            t = library.read_template(path)
        except ActionRefused as exc:
            raise CommandError(str(exc)) from exc
        goals = f"{len(t.goals)} goal" + ("" if len(t.goals) == 1 else "s")
        self.stdout.write(f"{path.name} is a valid template: {t.id} ({t.title}), {goals}.")
        shipped = (library.SHIPPED_DIR / path.name).exists()
        effect = "it replaces the shipped template of that id" if shipped else "it adds a new template"
        self.stdout.write(f"Copy it to {library.deployer_dir()} to use it: {effect}.")
