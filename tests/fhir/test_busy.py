"""A database that stays locked past the busy timeout is answered 503 with Retry-After and changes nothing;
never a 500 (core.database.is_busy). On SQLite a second connection holds the write lock on a real file in WAL
mode, as a long bundle import would; on PostgreSQL it holds a table lock and the request's lock_timeout ends
the wait."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.patients.models import Condition
from careconductor.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


@contextmanager
def on_file_database(path: Path, busy_seconds: float) -> Iterator[None]:
    """Serve the test from a copy of the in-memory test database in a WAL file, as `careconductor serve` does.
    The in-memory connection is kept aside (closing it would drop the test database) and put back after."""
    settings_dict = connection.settings_dict
    saved = settings_dict["NAME"], settings_dict["OPTIONS"]
    connection.ensure_connection()
    memory = connection.connection
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    connection.connection = None
    settings_dict["NAME"] = str(path)
    settings_dict["OPTIONS"] = {**saved[1], "timeout": busy_seconds}
    try:
        connection.ensure_connection()
        assert connection.cursor().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        yield
    finally:
        connection.close()
        settings_dict["NAME"], settings_dict["OPTIONS"] = saved
        connection.connection = memory


@contextmanager
def write_lock_held(path: Path) -> Iterator[sqlite3.Connection]:
    """Another connection takes the write lock (BEGIN IMMEDIATE) and writes without committing."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("UPDATE accounts_apitoken SET name = 'held'")
    try:
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("ROLLBACK")
        holder.close()


def new_condition(patient_id: int) -> dict[str, object]:
    return {
        "resourceType": "Condition",
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}
            ]
        },
        "code": {"coding": [{"system": ICD10, "code": "I10", "display": "Essential hypertension"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL is tested with a table lock below")


def test_a_write_that_cannot_get_the_lock_is_503_with_retry_after_and_changes_nothing(world, api, tmp_path):
    sqlite_only()
    client = api(world.alice)
    path = tmp_path / "careconductor.sqlite3"
    with on_file_database(path, busy_seconds=0.3):
        conditions, events = Condition.objects.count(), AuditEvent.objects.count()
        with write_lock_held(path):
            started = time.monotonic()
            reply = client.post("Condition", new_condition(world.paula.pk))
            waited = time.monotonic() - started
            # WAL: reading goes on while the other connection holds the write lock.
            assert Condition.objects.count() == conditions
        assert reply.status == 503, reply.body
        assert reply.headers["Retry-After"] == "2"
        assert reply.body["issue"][0]["code"] == "transient"
        assert waited >= 0.25  # it waited for the lock (the busy timeout) before giving up
        assert Condition.objects.count() == conditions
        assert AuditEvent.objects.count() == events


def test_a_page_that_cannot_get_the_lock_is_a_plain_503(world, login, tmp_path):
    sqlite_only()
    client = login(world.alice)
    path = tmp_path / "careconductor.sqlite3"
    with on_file_database(path, busy_seconds=0.2), write_lock_held(path):
        response = client.get(reverse("patients:chart", args=[world.paula.pk]))
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response["Content-Type"].startswith("text/html")
    assert "Busy for a moment" in response.content.decode()


def test_a_read_waits_for_a_short_write_and_is_served(world, api, tmp_path):
    """A read behind a write that ends within the busy timeout waits for it and is answered (with its audit
    event written), rather than failing."""
    sqlite_only()
    client = api(world.alice)
    path = tmp_path / "careconductor.sqlite3"
    with on_file_database(path, busy_seconds=5), write_lock_held(path) as holder:
        releaser = threading.Timer(0.4, lambda: holder.execute("COMMIT"))
        releaser.start()
        started = time.monotonic()
        reply = client.get(f"Patient/{world.paula.pk}")
        waited = time.monotonic() - started
        releaser.join()
        assert reply.status == 200, reply.body
        assert waited >= 0.3
        assert AuditEvent.objects.filter(object_type="Patient", object_id=str(world.paula.pk)).exists()


def test_a_read_commits_once(world, api, tmp_path):
    """A read's audit events are written in one transaction: one commit, one disk sync (the token's use was
    written when the test's client was made, so it is not due again)."""
    sqlite_only()
    client = api(world.alice)
    with on_file_database(tmp_path / "careconductor.sqlite3", busy_seconds=1):
        with CaptureQueriesContext(connection) as queries:
            reply = client.get(f"Patient/{world.paula.pk}")
        assert reply.status == 200
        assert [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("BEGIN", "COMMIT"))] == [
            "BEGIN IMMEDIATE",
            "COMMIT",
        ]


def test_writers_take_turns_on_a_file_beside_the_database_and_give_them_back_at_commit(world, tmp_path):
    """core/sqlite3: a transaction holds the writer's turn (an flock on <database>-writer.lock) from BEGIN to its
    end, so writers queue there rather than in SQLite's sleeping busy handler."""
    sqlite_only()
    path = tmp_path / "careconductor.sqlite3"

    def turn_is_free() -> bool:
        fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # closing the file gives a lock taken through it back
        return True

    with on_file_database(path, busy_seconds=1):
        with transaction.atomic():
            assert not turn_is_free()
        assert turn_is_free()
        with pytest.raises(RuntimeError), transaction.atomic():
            raise RuntimeError("rolled back")
        assert turn_is_free()


def test_a_writer_that_waits_too_long_for_its_turn_is_503(world, api, tmp_path):
    sqlite_only()
    client = api(world.alice)
    path = tmp_path / "careconductor.sqlite3"
    with on_file_database(path, busy_seconds=0.3):
        fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT)
        fcntl.flock(fd, fcntl.LOCK_EX)  # another writer's turn, taken and kept
        try:
            conditions = Condition.objects.count()
            reply = client.post("Condition", new_condition(world.paula.pk))
        finally:
            os.close(fd)
        assert reply.status == 503, reply.body
        assert reply.headers["Retry-After"] == "2"
        assert Condition.objects.count() == conditions


def test_postgresql_lock_timeout_is_503_too(world, api):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's lock timeout")
    import psycopg

    client = api(world.alice)
    conditions = Condition.objects.count()
    params = connection.get_connection_params()
    holder = psycopg.connect(**{k: v for k, v in params.items() if k != "cursor_factory"})
    try:
        holder.execute("LOCK TABLE privacy_auditchainhead IN EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        reply = client.post("Condition", new_condition(world.paula.pk))
    finally:
        holder.rollback()
        holder.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert reply.status == 503, reply.body
    assert reply.headers["Retry-After"] == "2"
    assert Condition.objects.count() == conditions
