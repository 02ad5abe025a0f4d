"""Audit events written in batches (privacy.audit.batched): one chain extension per batch, events of rolled-back
work dropped with it, reads written before the answer is sent, and `audit verify` still catching tampering
inside a batch."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from careconductor.accounts.actions import do_create_token
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditChainHead, AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db

HEAD = AuditChainHead._meta.db_table
TABLE = AuditEvent._meta.db_table


def head_writes(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if q["sql"].startswith("UPDATE") and HEAD in q["sql"])


def test_a_batch_extends_the_chain_once_for_all_its_events(world: World) -> None:
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), audit.batched():
        for _ in range(2):
            audit.record(world.alice, AuditAction.READ, patient=world.paula, obj=world.paula)
        with transaction.atomic():  # a nested transaction's events join the batch
            audit.record_reads(world.alice, [world.paula, world.paula])
        assert AuditEvent.objects.count() == before  # nothing written until the batch ends
    assert AuditEvent.objects.count() == before + 4
    assert head_writes(queries) == 1
    seqs = list(AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[:4])
    assert seqs == list(range(seqs[0], seqs[0] - 4, -1))  # consecutive, in one piece of the chain
    call_command("audit", "verify")


def test_events_of_a_rolled_back_savepoint_are_dropped_from_the_batch(world: World) -> None:
    before = AuditEvent.objects.count()
    with transaction.atomic(), audit.batched():
        audit.record(world.alice, AuditAction.UPDATE, patient=world.paula, detail="kept")
        try:
            with transaction.atomic():
                audit.record(world.alice, AuditAction.UPDATE, patient=world.paula, detail="undone")
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    details = list(AuditEvent.objects.order_by("-seq").values_list("detail", flat=True)[:1])
    assert AuditEvent.objects.count() == before + 1
    assert details == ["kept"]


def test_a_batch_in_a_transaction_that_fails_writes_nothing(world: World) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic(), audit.batched():
        audit.record(world.alice, AuditAction.CREATE, patient=world.paula)
        raise RuntimeError("the bundle failed")
    assert AuditEvent.objects.count() == before


def test_outside_a_transaction_reads_wait_for_the_end_of_the_batch_and_writes_go_at_once(
    world: World,
) -> None:
    before = AuditEvent.objects.count()
    with audit.batched_reads():
        audit.record_reads(world.alice, [world.paula])
        assert AuditEvent.objects.count() == before
        with transaction.atomic():
            audit.record(world.alice, AuditAction.UPDATE, patient=world.paula)
        assert AuditEvent.objects.count() == before + 1  # in its own transaction, as the change it records
    assert AuditEvent.objects.count() == before + 2


def test_a_read_records_the_token_use_and_what_it_showed_after_building_the_answer(
    world: World, client
) -> None:
    """The answer is built before anything is written; then the token's use (the first in a minute) and the
    read are written, the read naming the token (tests/fhir/test_busy.py: one transaction on a real SQLite file
    once the use is not due)."""
    token, secret = do_create_token(world.alice, name="test", scopes=("user/*.*",))
    before = AuditEvent.objects.count()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/fhir/r4/Patient/{world.paula.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    new = AuditEvent.objects.order_by("seq")[before:]
    assert [(e.action, e.object_type) for e in new] == [("login", "ApiToken"), ("read", "Patient")]
    assert new[1].detail.startswith(f"token {token.prefix}; ")
    sql = [q["sql"] for q in queries.captured_queries]
    first_write = next(i for i, text in enumerate(sql) if text.startswith(("UPDATE", "INSERT")))
    read = next(i for i, text in enumerate(sql) if text.startswith("SELECT") and "patients_patient" in text)
    assert read < first_write


def test_a_refused_token_shows_nothing_and_records_the_refusal_not_the_read(world: World, client) -> None:
    token, secret = do_create_token(world.alice, name="test", scopes=("user/*.*",))
    token.revoked_at = token.created_at
    token.save()
    before = AuditEvent.objects.count()
    response = client.get(f"/fhir/r4/Patient/{world.paula.pk}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert b"Paula" not in response.content
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)[before:]) == [
        "login_failed"
    ]


def test_verify_catches_an_event_altered_inside_a_batch(world: World) -> None:
    with transaction.atomic(), audit.batched():
        for _ in range(5):
            audit.record(world.alice, AuditAction.READ, patient=world.paula)
    middle = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[2]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET object_id = %s WHERE seq = %s", ["999", middle])
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert f"BROKEN at event {middle}:" in str(failed.value)
