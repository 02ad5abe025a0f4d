"""`careconductor backup` and `careconductor restore` as an operator runs them: a backup of a database with data and
an uploaded file, restored into a fresh data folder (SQLite) or a second database (PostgreSQL), holds every record
of every table and the file, and its audit trail verifies. Each database pass tests its own engine."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from careconductor.administration.backup_rules import MANIFEST, read_manifest
from careconductor.engagement import actions as engagement
from careconductor.engagement.models import MessageAttachment
from careconductor.privacy.models import AuditChainHead, AuditEvent

from ..conftest import _record_migrations
from ..personas import World
from ..pictures import png

# The round trips need the data committed: pg_dump reads it from its own connection. One test per pass: each
# builds the world and flushes the database once.
pytestmark = pytest.mark.django_db(transaction=True)

PHOTO = png(40, 30)  # a real picture: uploads are re-encoded (engagement/pictures.py)
AUDIT_TABLE = AuditEvent._meta.db_table


@pytest.fixture
def backed_up(world: World, tmp_path: Path, settings) -> Iterator[tuple[Path, dict[str, int], str]]:  # type: ignore[no-untyped-def]
    """The personas and a message with a photo, backed up: (the backup, rows per table when it was made, the
    photo's name under the uploads folder)."""
    settings.MEDIA_ROOT = tmp_path / "uploads"
    undo = _as_after_migrate()
    photo = SimpleUploadedFile("foot.png", PHOTO)
    message = engagement.do_send_message(
        world.alice, world.paula, subject="Your foot", body="As seen", files=[photo]
    )
    attachment = MessageAttachment.objects.get(message=message)
    rows = _rows(connection.cursor(), connection.introspection.table_names())
    assert rows[AUDIT_TABLE] > 10 and rows[MessageAttachment._meta.db_table] == 1
    path = tmp_path / "careconductor.tar.gz"
    call_command("backup", str(path))
    yield path, rows, attachment.file.name
    if undo:
        with connection.cursor() as cursor:
            cursor.execute(undo)


def _as_after_migrate() -> str:
    """The SQLite pass makes its database from the models and records no migration: record them, as
    `careconductor migrate` leaves a real installation (the restored database is then up to date, not 132
    migrations behind). Returns the statement that forgets them after the test ("" when there is nothing to do)."""
    if connection.vendor != "sqlite":
        return ""
    if "django_migrations" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute('SELECT COUNT(*) FROM "django_migrations"')
            if cursor.fetchone()[0]:
                return ""
        undo = 'DELETE FROM "django_migrations"'
    else:
        undo = 'DROP TABLE "django_migrations"'
    connection.ensure_connection()
    _record_migrations(connection.connection)
    return undo


def _rows(cursor, tables: list[str]) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def _restore_and_verify(home: Path, backup: Path, database_url: str | None = None) -> str:
    """`careconductor restore` then `careconductor audit verify` on a data folder of its own, with the secret key of
    the installation the backup came from (as docs/operations.md tells the operator), twice."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"CARECONDUCTOR_HOME": str(home), "CARECONDUCTOR_SECRET_KEY": settings.SECRET_KEY}
    if database_url:
        env["DATABASE_URL"] = database_url
    # Then again over the data it just restored, as after a failed upgrade: --force, and the trail still verifies
    # (the restore's anchor lets the chain go back to the backup's head).
    code = (
        "import sys; from careconductor.cli import main; main(['restore', sys.argv[1]]); "
        "main(['audit', 'verify']); main(['restore', '--force', sys.argv[1]]); main(['audit', 'verify'])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(backup)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def _expect_restored(before: dict[str, int], after: dict[str, int], out: str) -> None:
    # Every table, row for row; the audit trail has one event more: the restore's own.
    assert set(after) == set(before)
    assert {t: n for t, n in after.items() if t != AUDIT_TABLE} == {
        t: n for t, n in before.items() if t != AUDIT_TABLE
    }
    assert after[AUDIT_TABLE] == before[AUDIT_TABLE] + 1
    restored = f"Audit trail intact: {before[AUDIT_TABLE]} events checked; its head is anchored as a restore."
    assert out.count(restored) == 2
    assert out.count(f"Audit trail intact: {before[AUDIT_TABLE] + 1} events checked") == 2


def _expect_backup(path: Path, rows: dict[str, int], photo_name: str) -> None:
    """The backup holds the manifest first, the database and the photo; the manifest says what was backed up."""
    with tarfile.open(path) as tar:
        names = tar.getnames()
        manifest = read_manifest(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
        photo = tar.extractfile(f"files/uploads/{photo_name}").read()  # type: ignore[union-attr]
    assert names[0] == MANIFEST
    assert manifest.database_member in names
    assert photo == PHOTO
    head = AuditChainHead.objects.get()
    # The head when the backup was made; the backup's own export event came after it.
    assert (manifest.audit_last_seq, manifest.audit_last_hash) == (
        rows[AUDIT_TABLE],
        AuditEvent.objects.get(seq=rows[AUDIT_TABLE]).hash,
    )
    assert head.last_seq == rows[AUDIT_TABLE] + 1
    assert AuditEvent.objects.get(seq=head.last_seq).object_type == "Backup"
    assert manifest.counts[AUDIT_TABLE] == rows[AUDIT_TABLE]
    assert manifest.counts[MessageAttachment._meta.db_table] == 1
    assert manifest.files == 1 and manifest.vendor == connection.vendor


# The settings choose PostgreSQL exactly when DATABASE_URL is set: each pass skips the other's round trip before
# building anything for it.
ON_POSTGRESQL = bool(os.environ.get("DATABASE_URL"))


@pytest.mark.skipif(ON_POSTGRESQL, reason="the PostgreSQL pass restores with pg_restore")
def test_sqlite_restores_into_a_fresh_data_folder_whole(backed_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, before, photo_name = backed_up
    _expect_backup(path, before, photo_name)
    home = tmp_path / "restored"
    out = _restore_and_verify(home, path)
    with sqlite3.connect(home / "careconductor.sqlite3") as restored:
        after = _rows(restored.cursor(), list(before))
        tables = {r[0] for r in restored.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert set(before) <= tables
    _expect_restored(before, after, out)
    assert (home / "uploads" / photo_name).read_bytes() == PHOTO


@pytest.mark.skipif(not ON_POSTGRESQL, reason="the SQLite pass restores with SQLite's backup API")
def test_postgresql_restores_into_a_second_database_whole(backed_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import psycopg

    path, before, photo_name = backed_up
    _expect_backup(path, before, photo_name)
    params = {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}
    target = f"{params['dbname']}_restore"
    admin = psycopg.connect(**{**params, "dbname": "postgres"}, autocommit=True)
    admin.execute(f'DROP DATABASE IF EXISTS "{target}"')
    admin.execute(f'CREATE DATABASE "{target}"')
    try:
        db = settings.DATABASES["default"]
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        url = f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{target}"
        out = _restore_and_verify(tmp_path / "restored", path, url)
        with psycopg.connect(**{**params, "dbname": target}) as restored:
            after = _rows(restored.cursor(), list(before))
        _expect_restored(before, after, out)
        assert (tmp_path / "restored" / "uploads" / photo_name).read_bytes() == PHOTO
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        admin.close()
