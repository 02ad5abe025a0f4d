from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.core.errors import ActionRefused
from careconductor.letters import library


class Command(BaseCommand):
    help = (
        "Letter templates: `letter_templates list`, and `letter_templates check FILE` before a deployer copies "
        "an edited letter to the deployer folder, where a file of the same name replaces the shipped letter. "
        "Changes are picked up without a restart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        sub.add_parser("list", help="List the letters in use and any deployer files left out")
        check = sub.add_parser(
            "check", help="Check a letter template TOML file (nothing is copied or changed)"
        )
        check.add_argument("path", type=Path)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["verb"] == "check":
            self._check(opts["path"])
            return
        try:
            templates = library.all_templates()
        except ActionRefused as exc:  # a broken shipped file: a bug in this release, say so plainly
            raise CommandError(f"A shipped letter template is broken: {exc}") from exc
        for t in templates.values():
            source = "deployer, replaces shipped" if t.source == "deployer" else t.source
            self.stdout.write(f"{t.kind:18} {t.title:28} {', '.join(t.languages):10} [{source}]")
        self.stdout.write(f"Deployer folder: {library.deployer_dir()}")
        for message in library.template_errors():
            self.stderr.write(f"Left out: {message}")

    def _check(self, path: Path) -> None:
        try:
            t = library.read_template(path)
        except ActionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{path.name} is a valid letter template: {t.kind} ({t.title}), in {', '.join(t.languages)}."
        )
        if (library.SHIPPED_DIR / path.name).exists():
            self.stdout.write(
                f"Copy it to {library.deployer_dir()} to use it: it replaces the shipped letter."
            )
        else:
            self.stdout.write(f"Copy it to {library.deployer_dir()} to use it.")
