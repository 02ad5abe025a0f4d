"""`careconductor restore` refuses, changing nothing, a file that is not a backup, a backup it cannot take here, and
an installation that already holds data unless --force (the round trips are in test_backup.py)."""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from careconductor.accounts.models import User
from careconductor.administration.backup import key_check
from careconductor.administration.backup_rules import MANIFEST, Manifest
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db


def _manifest(**changes: object) -> Manifest:
    fields: dict[str, object] = {
        "made_at": "2026-01-05T02:00:00+00:00",
        "vendor": connection.vendor,
        "database_name": "careconductor",
        "version": "0.1.0",
        "audit_last_seq": 3,
        "audit_last_hash": "a" * 64,
        "counts": {},
        "files": 0,
        "key_check": key_check(),
    }
    return Manifest(**{**fields, **changes})  # type: ignore[arg-type]


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _refused(path: Path, *options: str) -> str:
    users, events = User.objects.count(), AuditEvent.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path), *options)
    assert (User.objects.count(), AuditEvent.objects.count()) == (users, events)
    return str(refused.value)


def test_it_refuses_a_file_that_is_not_a_tar(world: World, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a backup")
    assert _refused(path) == f"{path} is not a CareConductor backup: it is not a tar file"


def test_it_refuses_a_tar_without_a_manifest(world: World, tmp_path: Path) -> None:
    path = _tar(tmp_path / "photos.tar.gz", {"photo.png": b"\x89PNG"})
    assert _refused(path) == f"{path} is not a CareConductor backup: it has no manifest"


@pytest.mark.parametrize(
    ("manifest", "says"),
    [
        (b'{"format": "something-else"}', "it is not a CareConductor backup"),
        (b"[1, 2]", "its manifest cannot be read"),
        (
            json.dumps({"format": "careconductor-backup", "format_version": 99}).encode(),
            "its format 99 is not",
        ),
    ],
)
def test_it_refuses_a_manifest_it_cannot_read(
    world: World, tmp_path: Path, manifest: bytes, says: str
) -> None:
    path = _tar(tmp_path / "b.tar.gz", {MANIFEST: manifest})
    assert says in _refused(path)


def test_it_refuses_a_backup_of_the_other_database_engine(world: World, tmp_path: Path) -> None:
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    path = _tar(tmp_path / "b.tar.gz", {MANIFEST: _manifest(vendor=other).to_json().encode()})
    assert "Not restored: the backup is of a" in _refused(path, "--force")


def test_it_refuses_a_backup_made_with_another_secret_key(world: World, tmp_path: Path) -> None:
    path = _tar(tmp_path / "b.tar.gz", {MANIFEST: _manifest(key_check="0" * 64).to_json().encode()})
    assert "copy the `secret_key` file of the installation it came from" in _refused(path, "--force")


def test_it_refuses_to_replace_data_without_force(world: World, tmp_path: Path) -> None:
    path = _tar(tmp_path / "b.tar.gz", {MANIFEST: _manifest().to_json().encode()})
    message = _refused(path)
    assert "this installation already holds data (users, audit events or uploaded files)" in message
    assert "add --force" in message


def test_it_refuses_a_cut_off_backup_before_changing_anything(world: World, tmp_path: Path) -> None:
    manifest = _manifest()
    path = _tar(
        tmp_path / "b.tar.gz",
        {MANIFEST: manifest.to_json().encode(), manifest.database_member: os.urandom(200_000)},
    )
    path.write_bytes(path.read_bytes()[:120_000])  # the copy to the backup disk stopped halfway
    assert f"Not restored: {path} is damaged or cut off" in _refused(path, "--force")
