"""Tamper tests for the audit hash chain: alter, remove or insert rows directly in the database, as someone
with SQL access but not the installation's secret key would, and `audit verify` names the broken event."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from careconductor.privacy import anchor, audit, chain
from careconductor.privacy.anchor_rules import AnchorKind
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditChainHead, AuditEvent
from careconductor.privacy.tasks import anchor_audit_chain

from ..personas import World

pytestmark = pytest.mark.django_db

TABLE = AuditEvent._meta.db_table
HEAD_TABLE = AuditChainHead._meta.db_table


def _sql(statement: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def _verify_fails_at(seq: int) -> str:
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert f"BROKEN at event {seq}:" in str(failed.value)
    return str(failed.value)


def test_an_untouched_trail_verifies(world: World, capsys) -> None:
    count = AuditEvent.objects.count()
    assert count > 10
    call_command("audit", "verify")
    assert f"Audit trail intact: {count} events checked" in capsys.readouterr().out


def test_events_are_numbered_and_linked_in_order(world: World) -> None:
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "prev_hash", "hash"))
    assert [r[0] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[0][1] == chain.GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, len(rows)))


def test_it_catches_an_altered_event(world: World) -> None:
    _sql(f"UPDATE {TABLE} SET detail = %s WHERE seq = 5", ["harmless looking change"])
    assert "event 5 was altered" in _verify_fails_at(5)


def test_it_catches_a_change_to_who_did_it(world: World) -> None:
    _sql(f"UPDATE {TABLE} SET user_id = %s WHERE seq = 7", [world.bob.pk])
    _verify_fails_at(7)


def test_it_catches_a_removed_event(world: World) -> None:
    _sql(f"DELETE FROM {TABLE} WHERE seq = 4")
    assert "event 4 is missing" in _verify_fails_at(4)


def test_it_catches_events_removed_from_the_end(world: World) -> None:
    last = AuditChainHead.objects.get().last_seq
    _sql(f"DELETE FROM {TABLE} WHERE seq >= %s", [last - 1])
    assert "events removed" in _verify_fails_at(last - 1)


def test_it_catches_an_inserted_event_even_with_a_recomputed_plain_hash(world: World) -> None:
    # The forger renumbers the tail to make room and computes a SHA-256 over the fields as they guess them.
    head = AuditChainHead.objects.get()
    row = AuditEvent.objects.get(seq=3)
    _sql(f"UPDATE {TABLE} SET seq = seq + 1000000 WHERE seq >= 4")
    _sql(f"UPDATE {TABLE} SET seq = seq - 1000000 + 1 WHERE seq >= 1000000")
    forged = hashlib.sha256(f"4|forged|{row.hash}".encode()).hexdigest()
    _sql(
        f"INSERT INTO {TABLE} (seq, prev_hash, hash, recorded_at, username, role, action, object_type, object_id,"
        " purpose, user_agent, outcome, detail) VALUES (4, %s, %s, %s, 'ghost', 'admin', 'read', 'Patient', '1',"
        " 'TREAT', '', '0', '')",
        [row.hash, forged, row.recorded_at],
    )
    AuditChainHead.objects.filter(pk=head.pk).update(last_seq=head.last_seq + 1)
    assert "event 4 was altered" in _verify_fails_at(4)


def test_the_verify_walk_reads_one_short_query_per_chunk(world: World, django_assert_max_num_queries) -> None:
    # Keyset pages, not one long-lived cursor (which PostgreSQL would spool to disk): the number of queries
    # follows the number of chunks, plus the head.
    events = AuditEvent.objects.count()
    with django_assert_max_num_queries(events // 3 + 3):
        result = chain.verify(chunk_size=3)
    assert result.ok and result.checked == events
    with django_assert_max_num_queries(2):
        assert chain.verify(chunk_size=10_000).ok


def test_it_catches_the_head_moved_back_over_removed_events(world: World) -> None:
    # Remove the last two events and point the head at the one before, whose hash anyone can read.
    head = AuditChainHead.objects.get()
    keep = AuditEvent.objects.get(seq=head.last_seq - 2)
    _sql(f"DELETE FROM {TABLE} WHERE seq > %s", [keep.seq])
    _sql(
        f"UPDATE {AuditChainHead._meta.db_table} SET last_seq = %s, last_hash = %s",
        [keep.seq, keep.hash],
    )
    assert "chain head was altered" in _verify_fails_at(keep.seq)


def test_events_written_while_it_verifies_are_not_taken_for_tampering(world: World, monkeypatch) -> None:
    """On a live system a writer commits between the last chunk and the head read: the walk carries on."""
    real_filter = AuditChainHead.objects.filter
    appended: list[int] = []
    writing = []

    def head_after_a_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not writing:  # the first head read by verify: a colleague's page view commits just before it
            writing.append(True)
            appended.append(audit.record(world.alice, AuditAction.READ, patient=world.paula).seq)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(AuditChainHead.objects, "filter", head_after_a_write)
    result = chain.verify()
    assert result.ok, result.problem
    assert result.checked == appended[0]


def _insert_forged(seq: int, prev_hash: str) -> None:
    _sql(
        f"INSERT INTO {TABLE} (seq, prev_hash, hash, recorded_at, username, role, action, object_type, object_id,"
        " purpose, user_agent, outcome, detail) VALUES (%s, %s, %s, %s, 'ghost', 'admin', 'read', 'Patient', '1',"
        " 'TREAT', '', '0', '')",
        [seq, prev_hash, "f" * 64, AuditEvent.objects.get(seq=1).recorded_at],
    )


@contextmanager
def _without_the_seq_check() -> Iterator[None]:
    """As on a database made before the constraint (privacy 0009). On PostgreSQL the dropped constraint comes
    back when the test's transaction is rolled back."""
    if connection.vendor == "sqlite":
        _sql("PRAGMA ignore_check_constraints = ON")
        try:
            yield
        finally:
            _sql("PRAGMA ignore_check_constraints = OFF")
    else:
        _sql("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE waits for no deferred foreign-key check
        _sql(f"ALTER TABLE {TABLE} DROP CONSTRAINT audit_seq_positive")
        yield


@pytest.mark.parametrize("seq", [0, -1])
def test_the_database_refuses_an_event_numbered_0_or_below(world: World, seq: int) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_forged(seq, chain.GENESIS)
    assert not AuditEvent.objects.filter(seq__lte=0).exists()


@pytest.mark.parametrize("seq", [0, -1])
def test_it_catches_an_event_numbered_0_or_below_on_a_database_without_the_check(
    world: World, seq: int
) -> None:
    assert chain.verify().ok
    with _without_the_seq_check():
        _insert_forged(seq, chain.GENESIS)
    assert f"event {seq} is forged: the chain starts at event 1" in _verify_fails_at(seq)


def _anchors() -> list[anchor.Anchor]:
    read = anchor.read_anchors()
    assert not read.problem
    return read.anchors


def test_verify_anchors_the_head_it_found_intact(world: World, capsys) -> None:
    head = AuditChainHead.objects.get()
    assert _anchors() == []
    call_command("audit", "verify")
    assert f"head anchored in {anchor.anchor_file()}" in capsys.readouterr().out
    [written] = _anchors()
    assert (written.seq, written.hash, written.kind) == (head.last_seq, head.last_hash, AnchorKind.VERIFY)
    call_command("audit", "verify")  # the chain keeps its own anchor
    assert len(_anchors()) == 2


def test_the_anchor_catches_a_wiped_trail(world: World) -> None:
    call_command("audit", "verify")
    [kept] = _anchors()
    _sql(f"DELETE FROM {TABLE}")
    _sql(f"DELETE FROM {HEAD_TABLE}")
    assert chain.verify().ok  # inside the database, an empty trail and no head look like a new installation
    message = _verify_fails_at(1)
    assert (
        f"the audit trail was cut back: the anchor of {kept.when} recorded event {kept.seq} with hash {kept.hash},"
        " but the chain ends at event 0"
    ) in message
    assert len(_anchors()) == 1  # a broken chain is not anchored


def test_the_anchor_catches_a_head_put_back_over_removed_events(world: World) -> None:
    # Someone copies the genuine head row (its seal is valid), lets the worker anchor two more events, then removes
    # them and puts the copy back: inside the database the shorter chain verifies.
    old = AuditChainHead.objects.values_list("last_seq", "last_hash", "head_mac").get()
    audit.record(world.alice, AuditAction.READ, patient=world.paula)
    audit.record(world.alice, AuditAction.READ, patient=world.paula)
    assert anchor_audit_chain.call_local() == old[0] + 2
    _sql(f"DELETE FROM {TABLE} WHERE seq > %s", [old[0]])
    _sql(f"UPDATE {HEAD_TABLE} SET last_seq = %s, last_hash = %s, head_mac = %s", list(old))
    assert chain.verify().ok
    # The worker's next anchor records the shorter head; the furthest anchor still holds.
    assert anchor_audit_chain.call_local() == old[0]
    assert f"recorded event {old[0] + 2} with hash" in _verify_fails_at(old[0] + 1)


def test_the_worker_does_not_anchor_a_head_whose_seal_does_not_match(world: World) -> None:
    _sql(f"UPDATE {HEAD_TABLE} SET last_seq = last_seq - 1")
    assert anchor_audit_chain.call_local() is None
    assert _anchors() == []


def test_the_anchor_catches_a_chain_replaced_by_another(world: World) -> None:
    anchor.append_anchor(5, "e" * 64, AnchorKind.VERIFY)
    real = AuditEvent.objects.get(seq=5).hash
    message = _verify_fails_at(5)
    assert "the audit trail was replaced: the anchor of" in message
    assert f"recorded event 5 with hash {'e' * 64}, but the chain's event 5 has hash {real}" in message


def test_it_catches_a_changed_anchor_line(world: World) -> None:
    call_command("audit", "verify")
    path = anchor.anchor_file()
    head = AuditChainHead.objects.get()
    path.write_text(path.read_text().replace(f'"seq":{head.last_seq},', f'"seq":{head.last_seq - 1},'))
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert "BROKEN: line 1 of the audit anchor file was altered (its seal does not match)" in str(
        failed.value
    )


def test_a_restore_anchor_is_the_one_cut_back_it_accepts(world: World) -> None:
    head = AuditChainHead.objects.get()
    anchor.append_anchor(
        head.last_seq + 50, "a" * 64, AnchorKind.VERIFY
    )  # the trail as it was before the restore
    _verify_fails_at(head.last_seq + 1)
    anchor.append_anchor(head.last_seq, head.last_hash, AnchorKind.RESTORE)
    call_command("audit", "verify")


def test_an_anchor_file_it_cannot_write_is_an_error_not_a_pass(world: World, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "not-a-folder").write_text("")
    settings.AUDIT_ANCHOR_FILE = tmp_path / "not-a-folder" / "audit-anchors.log"
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert "cannot be read or appended to" in str(failed.value)
