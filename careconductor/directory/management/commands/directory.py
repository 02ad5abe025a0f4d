"""`careconductor directory import PATH --admin NAME | export [PATH] [--format json|csv] --admin NAME`: the community
resource directory as Open Referral HSDS 3.0, JSON or a Tabular Data Package (CSV files and datapackage.json in a
folder or a zip) (docs/directory.md)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.directory import export, tabular
from careconductor.directory.actions import do_import_hsds
from careconductor.directory.hsds import PackageRefused


class Command(BaseCommand):
    help = (
        "The community resource directory as HSDS 3.0: `directory import PATH` (a .json file, a .zip or a folder "
        "of CSV files), `directory export [PATH] [--format json|csv]`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        add = sub.add_parser(
            "import", help="Import an HSDS 3.0 package (JSON, zip or folder), whole or not at all"
        )
        add.add_argument("path")
        add.add_argument("--admin", required=True, help="the administrator it is imported as")
        out = sub.add_parser("export", help="Write the directory as an HSDS 3.0 package")
        out.add_argument(
            "path", nargs="?", default="-",
            help="a file (default: standard output, JSON only); for csv a folder, or a file ending .zip",
        )  # fmt: skip
        out.add_argument("--format", choices=("json", "csv"), default="json")
        out.add_argument("--admin", required=True, help="an administrator of the organisation")

    def handle(self, *args: Any, **opts: Any) -> None:
        admin = User.objects.filter(username=opts["admin"], is_active=True).first()
        if admin is None:
            raise CommandError(f"There is no active user {opts['admin']!r}.")
        if opts["verb"] == "import":
            self._import(admin, Path(opts["path"]))
            return
        if admin.organization_id is None or admin.role != "admin":
            raise CommandError("Only an administrator exports the directory.")
        services = export.package(admin.organization_id)
        target = opts["path"]
        if opts["format"] == "json":
            text = json.dumps(services, indent=1, ensure_ascii=False)
            if target == "-":
                sys.stdout.write(text + "\n")
            else:
                Path(target).write_text(text + "\n", encoding="utf-8")
            return
        if target == "-":
            raise CommandError("A Tabular Data Package is several files: give a folder or a .zip file.")
        files = tabular.write_tables(services)
        if target.endswith(".zip"):
            Path(target).write_bytes(tabular.to_zip(files))
        else:
            folder = Path(target)
            folder.mkdir(parents=True, exist_ok=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
        self.stdout.write(f"{target}: {len(services)} service(s), {len(files)} files.")

    def _import(self, admin: User, path: Path) -> None:
        data: Any
        try:
            if path.is_dir():
                data = tabular.from_folder(path)
            elif path.suffix.lower() == ".zip":
                data = tabular.from_zip(path.read_bytes())
            else:
                data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(
                f"{path} cannot be read as JSON (nor is it a zip or a folder of CSV files): {exc}"
            ) from exc
        try:
            report = do_import_hsds(admin, data, source=path.name)
        except PackageRefused as refused:
            raise CommandError(
                f"{path.name} was not imported (nothing changed):\n  "
                + "\n  ".join(refused.problems[:50])
                + (f"\n  … and {len(refused.problems) - 50} more" if len(refused.problems) > 50 else "")
            ) from refused
        except ActionRefused as refused:
            raise CommandError(str(refused)) from refused
        self.stdout.write(f"{path.name}: {report.words()}.")
