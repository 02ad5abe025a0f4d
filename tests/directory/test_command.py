"""`careconductor directory import | export` (docs/directory.md): a package in and the same package out; a bad
file changes nothing and says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from careconductor.demo.directory import STARTER
from careconductor.directory.models import Service

from ..personas import World

pytestmark = pytest.mark.django_db


def test_import_then_export_gives_the_package_back(world: World, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("directory", "import", str(STARTER), "--admin", world.adam.username)
    assert "14 service(s) added" in capsys.readouterr().out
    out = tmp_path / "out.json"
    call_command("directory", "export", str(out), "--admin", world.adam.username)
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(s["id"] for s in exported) == sorted(s["id"] for s in json.loads(STARTER.read_text()))
    call_command("directory", "import", str(out), "--admin", world.adam.username)
    assert "0 service(s) added, 14 updated" in capsys.readouterr().out
    assert Service.objects.count() == 14


def test_a_bad_file_changes_nothing_and_says_why(world: World, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"id": "x", "name": ""}]))
    with pytest.raises(CommandError, match=r"services\[0\]\.id: is not a UUID"):
        call_command("directory", "import", str(bad), "--admin", world.adam.username)
    (tmp_path / "not.json").write_text("{")
    with pytest.raises(CommandError, match="cannot be read as JSON"):
        call_command("directory", "import", str(tmp_path / "not.json"), "--admin", world.adam.username)
    with pytest.raises(CommandError, match="Only an administrator"):
        call_command("directory", "import", str(STARTER), "--admin", world.alice.username)
    assert not Service.objects.exists()
