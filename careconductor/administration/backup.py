"""`careconductor backup PATH`: the database, the data folder's files and a manifest in one file, consistent while
the server runs (backup_rules.py says what the file holds; restore.py puts it back).

SQLite: the online backup API copies the database in one step under a read lock, so writers wait a moment and
the copy is a single moment of the database. PostgreSQL: a repeatable-read transaction exports its snapshot and
`pg_dump -Fc --snapshot` dumps exactly that moment, so the manifest's counts and audit head, read in the same
transaction, describe the dump. The password goes to pg_dump in PGPASSWORD, never on its command line.
"""

from __future__ import annotations

import importlib.metadata
import io
import os
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from careconductor.accounts.models import User
from careconductor.cases.models import Case
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.engagement.models import Message, MessageAttachment
from careconductor.patients.models import Patient
from careconductor.privacy import audit, chain
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditChainHead, AuditEvent

from .backup_rules import FILES, MANIFEST, Manifest

# Counted into the manifest, and compared after a restore.
KEY_MODELS = (User, Patient, Case, Task, Message, MessageAttachment, AuditEvent)
KEY_CHECK_TEXT = "backup|key-check"
# The data folder's own content, besides the database: what patients and staff uploaded, and what the deployer
# added to the shipped libraries. Left out: the secret key (keep it apart: docs/operations.md), static files
# (collected again), the outbox, the task queue, Bulk Data exports (temporary) and imports' source files.
DEPLOYER_FOLDERS = ("letter-templates", "careplan-templates", "education", "instruments", "um-criteria")


class BackupFailed(Exception):
    pass


def file_folders() -> dict[str, Path]:
    home = Path(settings.DATA_HOME)
    return {"uploads": Path(settings.MEDIA_ROOT), **{name: home / name for name in DEPLOYER_FOLDERS}}


def key_check() -> str:
    """Tells whether two installations share the secret key without telling the key."""
    return chain.seal(KEY_CHECK_TEXT)


def version() -> str:
    try:
        return importlib.metadata.version("careconductor")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def key_counts(cursor: Any) -> dict[str, int]:
    """Rows of the key tables, through any DB-API cursor (Django's, or sqlite3's on a copy)."""
    return count_rows(cursor, [model._meta.db_table for model in KEY_MODELS])


def count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = int(cursor.fetchone()[0])
    return counts


def audit_head(cursor: Any) -> tuple[int, str]:
    cursor.execute(f'SELECT last_seq, last_hash FROM "{AuditChainHead._meta.db_table}" WHERE id = 1')
    row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, chain.GENESIS)


def pg_environment() -> dict[str, str]:
    """libpq's variables for the configured database: pg_dump and pg_restore read them, and the password is
    not on a command line any user of the machine can see."""
    db = settings.DATABASES["default"]
    options = db.get("OPTIONS", {})
    env = dict(os.environ)
    pairs = {
        "PGHOST": db.get("HOST"),
        "PGPORT": db.get("PORT"),
        "PGUSER": db.get("USER"),
        "PGPASSWORD": db.get("PASSWORD"),
        "PGDATABASE": db.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
        "PGCONNECT_TIMEOUT": options.get("connect_timeout"),
    }
    env.update({k: str(v) for k, v in pairs.items() if v not in (None, "")})
    return env


def run_pg_tool(args: list[str]) -> None:
    done = subprocess.run(args, env=pg_environment(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupFailed(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


@dataclass(frozen=True)
class Made:
    path: Path
    manifest: Manifest


def make_backup(path: Path) -> Made:
    """Write the backup to `path` (whole or not at all: it is written beside it and renamed at the end), and
    record an export event in the audit trail."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    vendor = connection.vendor
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".careconductor-backup-") as work:
        dump = Path(work) / ("database.sqlite3" if vendor == "sqlite" else "database.pgdump")
        counts, (last_seq, last_hash) = _sqlite_copy(dump) if vendor == "sqlite" else _pg_dump(dump)
        files = list(_files())
        manifest = Manifest(
            made_at=clock.now().isoformat(),
            vendor=vendor,
            database_name=str(settings.DATABASES["default"]["NAME"]),
            version=version(),
            audit_last_seq=last_seq,
            audit_last_hash=last_hash,
            counts=counts,
            files=len(files),
            key_check=key_check(),
        )
        partial = Path(work) / "backup.tar.gz"
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            _add_bytes(tar, MANIFEST, manifest.to_json().encode())
            tar.add(dump, arcname=manifest.database_member)
            for name, source in files:
                tar.add(source, arcname=name, recursive=False)
        os.replace(partial, path)
    audit.record(None, AuditAction.EXPORT, object_type="Backup", detail=f"backup to {path.name}")
    return Made(path, manifest)


def _sqlite_copy(target: Path) -> tuple[dict[str, int], tuple[int, str]]:
    connection.ensure_connection()
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        cursor = copy.cursor()
        return key_counts(cursor), audit_head(cursor)
    finally:
        copy.close()


def _pg_dump(target: Path) -> tuple[dict[str, int], tuple[int, str]]:
    if connection.in_atomic_block:
        raise BackupFailed("a backup runs in a transaction of its own, not inside another")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        facts = key_counts(cursor), audit_head(cursor)
        run_pg_tool(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"])
    return facts


def _files() -> Iterator[tuple[str, Path]]:
    """(name in the backup, file) of every regular file in the data folder's folders that are backed up."""
    for folder, root in file_folders().items():
        if not root.is_dir():
            continue
        for source in sorted(root.rglob("*")):
            if source.is_file() and not source.is_symlink():
                yield f"{FILES}/{folder}/{source.relative_to(root).as_posix()}", source


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(clock.now().timestamp())
    tar.addfile(info, io.BytesIO(data))
