"""What a backup file holds and when a restore refuses one. Pure: no ORM, no I/O (backup.py and restore.py do
those).

A backup is one tar file (gzip-compressed): `manifest.json` first, then the database (`database.sqlite3`, a copy
made by SQLite's online backup, or `database.pgdump`, pg_dump's custom format), then the data folder's files
under `files/<folder>/` (the uploads, and the deployer's own templates, criteria and instruments).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

FORMAT = "careconductor-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
FILES = "files"
VENDOR_WORDS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


class NotABackup(ValueError):
    pass


@dataclass(frozen=True)
class Manifest:
    made_at: str
    vendor: str
    database_name: str
    version: str
    audit_last_seq: int
    audit_last_hash: str
    counts: dict[str, int]
    files: int
    key_check: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "made_at": self.made_at,
                "careconductor_version": self.version,
                "database": {"vendor": self.vendor, "name": self.database_name},
                "audit_chain": {"last_seq": self.audit_last_seq, "last_hash": self.audit_last_hash},
                "counts": self.counts,
                "files": self.files,
                "key_check": self.key_check,
            },
            indent=2,
        )

    @property
    def database_member(self) -> str:
        return DATABASE_MEMBER[self.vendor]


def read_manifest(text: bytes) -> Manifest:
    """The manifest of a backup, or NotABackup."""
    try:
        data: Any = json.loads(text)
        if data["format"] != FORMAT:
            raise NotABackup("it is not a CareConductor backup")
        if data["format_version"] != FORMAT_VERSION:
            raise NotABackup(f"its format {data['format_version']} is not one this version reads")
        manifest = Manifest(
            made_at=str(data["made_at"]),
            vendor=str(data["database"]["vendor"]),
            database_name=str(data["database"]["name"]),
            version=str(data["careconductor_version"]),
            audit_last_seq=int(data["audit_chain"]["last_seq"]),
            audit_last_hash=str(data["audit_chain"]["last_hash"]),
            counts={str(k): int(v) for k, v in data["counts"].items()},
            files=int(data["files"]),
            key_check=str(data["key_check"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if isinstance(exc, NotABackup):
            raise
        raise NotABackup("its manifest cannot be read") from exc
    if manifest.vendor not in DATABASE_MEMBER:
        raise NotABackup(f"its database {manifest.vendor!r} is not one CareConductor runs on")
    return manifest


def refusal(manifest: Manifest, *, vendor: str, key_check: str, target_has_data: bool, force: bool) -> str:
    """Why this installation will not take the backup (empty when it will)."""
    if manifest.vendor != vendor:
        return (
            f"the backup is of a {VENDOR_WORDS[manifest.vendor]} database and this installation runs on "
            f"{VENDOR_WORDS.get(vendor, vendor)}: restore it on a {VENDOR_WORDS[manifest.vendor]} installation"
        )
    if manifest.key_check != key_check:
        return (
            "the backup was made with another secret key, which the audit trail's seals depend on: copy the "
            "`secret_key` file of the installation it came from into the data folder (or set "
            "CARECONDUCTOR_SECRET_KEY) first"
        )
    if target_has_data and not force:
        return (
            "this installation already holds data (users, audit events or uploaded files): restore into an empty "
            "data folder or database, or add --force to replace what is here with the backup"
        )
    return ""


def count_differences(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """The tables whose rows after a restore are not what the manifest says were backed up."""
    return [
        f"{table}: {found.get(table)} rows, the backup had {rows}"
        for table, rows in sorted(expected.items())
        if found.get(table) != rows
    ]


def file_destination(member_name: str, folders: tuple[str, ...]) -> tuple[str, PurePosixPath] | None:
    """(folder, path inside it) of a file in the backup, or None for a name that is not one of ours or would
    leave its folder (an absolute path, `..`)."""
    path = PurePosixPath(member_name)
    if path.is_absolute() or ".." in path.parts or len(path.parts) < 3 or path.parts[0] != FILES:
        return None
    folder = path.parts[1]
    if folder not in folders:
        return None
    return folder, PurePosixPath(*path.parts[2:])
