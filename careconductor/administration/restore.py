"""`careconductor restore PATH`: put a backup (backup.py) back into this installation, then check it.

Refuses, changing nothing: a file that is not a backup, a backup of the other database engine, one made with
another secret key (the audit trail's seals would all fail), and an installation that already holds data, unless
`force` (backup_rules.refusal). Then:

- SQLite: the backup's copy is checked (`PRAGMA quick_check`) and copied into the database file through the
  online backup API, in one transaction, so the database's WAL files stay consistent;
- PostgreSQL: `pg_restore --single-transaction`: all of it or, if anything fails, none of it. On a database that
  already has tables (a `migrate` was run, or `force`) with `--clean --if-exists` first, which drops the objects
  the backup holds;
- the files go back into their folders (same name, overwritten);
- the key tables are counted against the manifest, the whole audit chain is verified, and its head is anchored as
  a restore (privacy/anchor.py: the one cut back `audit verify` accepts), then the restore itself is audited.
"""

from __future__ import annotations

import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

from careconductor.accounts.models import User
from careconductor.core.first_run import pending_migrations
from careconductor.privacy import audit, chain
from careconductor.privacy.anchor import append_anchor
from careconductor.privacy.anchor_rules import AnchorKind
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent

from .backup import BackupFailed, count_rows, file_folders, key_check, run_pg_tool
from .backup_rules import (
    MANIFEST,
    Manifest,
    NotABackup,
    count_differences,
    file_destination,
    read_manifest,
    refusal,
)


class RestoreRefused(Exception):
    pass


@dataclass
class Restored:
    manifest: Manifest
    files: int
    chain: chain.VerifyResult
    differences: list[str] = field(default_factory=list)  # from the manifest: row counts, the audit head
    pending_migrations: int = 0


def read_backup(path: Path) -> Manifest:
    try:
        with tarfile.open(path, "r:*") as tar:
            first = tar.next()  # the manifest comes first: read without walking the whole file
            member = tar.extractfile(first) if first is not None and first.name == MANIFEST else None
            if member is None:
                raise NotABackup("it has no manifest")
            return read_manifest(member.read())
    except FileNotFoundError as exc:
        raise RestoreRefused(f"{path} does not exist") from exc
    except (tarfile.TarError, EOFError) as exc:
        raise RestoreRefused(f"{path} is not a CareConductor backup: it is not a tar file") from exc
    except OSError as exc:
        raise RestoreRefused(f"{path} cannot be read: {exc.strerror or exc}") from exc
    except NotABackup as exc:
        raise RestoreRefused(f"{path} is not a CareConductor backup: {exc}") from exc


def holds_data() -> bool:
    """Whether this installation has anything a restore would replace: users, audit events, uploaded files. A
    database just migrated (`careconductor migrate` on an empty data folder) holds none of them."""
    tables = set(connection.introspection.table_names())
    for table in (User._meta.db_table, AuditEvent._meta.db_table):
        if table in tables:
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')
                if cursor.fetchone():
                    return True
    uploads = Path(settings.MEDIA_ROOT)
    return uploads.is_dir() and any(p.is_file() for p in uploads.rglob("*"))


def restore(path: Path, *, force: bool = False) -> Restored:
    path = path.resolve()
    manifest = read_backup(path)
    problem = refusal(
        manifest, vendor=connection.vendor, key_check=key_check(), target_has_data=holds_data(), force=force
    )
    if problem:
        raise RestoreRefused(f"Not restored: {problem}.")
    had_tables = bool(connection.introspection.table_names())
    # Beside the data, not in /tmp, which is often small.
    with tempfile.TemporaryDirectory(dir=settings.DATA_HOME, prefix=".careconductor-restore-") as work:
        # Everything is read out of the backup before anything here changes: a damaged or cut-off file is
        # refused whole.
        database, files = _unpack(path, manifest, Path(work))
        connections.close_all()
        if manifest.vendor == "sqlite":
            _restore_sqlite(database)
        else:
            _restore_postgresql(database, clean=had_tables)
        for source, target in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    connections.close_all()
    with connection.cursor() as cursor:  # the tables the backup counted: an older version may have had fewer
        counts = count_rows(cursor, list(manifest.counts))
    verified = chain.verify()
    restored = Restored(manifest, len(files), verified, count_differences(manifest.counts, counts))
    head = (verified.checked, verified.last_hash)
    if verified.ok and head != (manifest.audit_last_seq, manifest.audit_last_hash):
        restored.differences.append(
            f"the audit trail ends at event {head[0]}; the backup's ended at event {manifest.audit_last_seq}"
        )
    if verified.ok:
        append_anchor(verified.checked, verified.last_hash, AnchorKind.RESTORE)
    restored.pending_migrations = pending_migrations()[1]
    if verified.ok and not restored.pending_migrations:
        audit.record(
            None,
            AuditAction.UPDATE,
            object_type="Backup",
            detail=f"restored from {path.name} ({manifest.made_at})",
        )
    return restored


def _restore_sqlite(database: Path) -> None:
    copy = sqlite3.connect(database)
    try:
        checked = copy.execute("PRAGMA quick_check").fetchone()
        if not checked or checked[0] != "ok":
            raise RestoreRefused(f"Not restored: the backup's database is damaged ({checked})")
        target = sqlite3.connect(settings.DATABASES[DEFAULT_DB_ALIAS]["NAME"])
        try:
            copy.backup(target)
        finally:
            target.close()
    finally:
        copy.close()


def _restore_postgresql(dump: Path, *, clean: bool) -> None:
    args = ["pg_restore", "--single-transaction", "--no-owner", "--no-privileges"]
    if clean:
        args += ["--clean", "--if-exists"]
    try:
        run_pg_tool([*args, f"--dbname={settings.DATABASES[DEFAULT_DB_ALIAS]['NAME']}", str(dump)])
    except BackupFailed as exc:
        raise RestoreRefused(f"Not restored (the database is as it was): {exc}") from exc


def _unpack(path: Path, manifest: Manifest, work: Path) -> tuple[Path, list[tuple[Path, Path]]]:
    """The backup's database and files written out under `work`: (the database, [(file, where it goes)])."""
    folders = file_folders()
    database: Path | None = None
    files: list[tuple[Path, Path]] = []
    try:
        with tarfile.open(path, "r:*") as tar:
            for number, member in enumerate(tar):
                if not member.isfile():
                    continue
                if member.name == manifest.database_member:
                    database = work / member.name
                    _write(tar, member, database)
                elif (place := file_destination(member.name, tuple(folders))) is not None:
                    folder, inside = place
                    _write(tar, member, work / "files" / str(number))
                    files.append((work / "files" / str(number), folders[folder].joinpath(*inside.parts)))
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise RestoreRefused(f"Not restored: {path} is damaged or cut off ({exc})") from exc
    if database is None:
        raise RestoreRefused(f"Not restored: {path} holds no {manifest.database_member}.")
    if len(files) != manifest.files:
        raise RestoreRefused(
            f"Not restored: {path} holds {len(files)} files, its manifest says {manifest.files}."
        )
    return database, files


def _write(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    source = tar.extractfile(member)
    if source is None:
        raise tarfile.ExtractError(f"{member.name} cannot be read")
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out)
