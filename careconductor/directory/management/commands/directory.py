"""`careconductor directory import FILE --admin NAME | export [FILE] --admin NAME`: the community resource
directory as Open Referral HSDS 3.0 JSON (docs/directory.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.directory import export
from careconductor.directory.actions import do_import_hsds
from careconductor.directory.hsds import PackageRefused


class Command(BaseCommand):
    help = "The community resource directory as HSDS 3.0 JSON: `directory import FILE`, `directory export [FILE]`."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser("import", help="Import an HSDS 3.0 JSON package, whole or not at all")
        add.add_argument("path")
        add.add_argument("--admin", required=True, help="the administrator it is imported as")
        out = sub.add_parser("export", help="Write the directory as an HSDS 3.0 JSON package")
        out.add_argument("path", nargs="?", default="-", help="a file (default: standard output)")
        out.add_argument("--admin", required=True, help="an administrator of the organisation")

    def handle(self, *args: Any, **opts: Any) -> None:
        admin = User.objects.filter(username=opts["admin"], is_active=True).first()
        if admin is None:
            raise CommandError(f"There is no active user {opts['admin']!r}.")
        if opts["verb"] == "import":
            path = Path(opts["path"])
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise CommandError(f"{path} cannot be read as JSON: {exc}") from exc
            try:
                report = do_import_hsds(admin, data, source=path.name)
            except PackageRefused as refused:
                raise CommandError(
                    f"{path.name} was not imported (nothing changed):\n  "
                    + "\n  ".join(refused.problems[:50])
                ) from refused
            except ActionRefused as refused:
                raise CommandError(str(refused)) from refused
            self.stdout.write(f"{path.name}: {report.words()}.")
            return
        if admin.organization_id is None or admin.role != "admin":
            raise CommandError("Only an administrator exports the directory.")
        text = json.dumps(export.package(admin.organization_id), indent=1, ensure_ascii=False)
        if opts["path"] == "-":
            sys.stdout.write(text + "\n")
        else:
            Path(opts["path"]).write_text(text + "\n", encoding="utf-8")
