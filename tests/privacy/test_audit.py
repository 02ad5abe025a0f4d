"""The audit trail: append-only, filled with the request's context, one read row per patient shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from pytest_django import DjangoAssertNumQueries

from careconductor.patients.actions import PatientDetails, do_create_patient
from careconductor.patients.choices import Sex
from careconductor.patients.queries import access_patient
from careconductor.privacy import audit
from careconductor.privacy.audit import AuditContext, audit_context, record_reads
from careconductor.privacy.choices import AuditAction, AuditOutcome
from careconductor.privacy.middleware import RequirePolicyMiddleware
from careconductor.privacy.models import AuditEvent
from tests.personas import World


@pytest.fixture
def event(world: World) -> AuditEvent:
    return audit.record(world.alice, AuditAction.READ, patient=world.paula, obj=world.paula)


# --- append-only ------------------------------------------------------------------------------------------


def test_an_event_cannot_be_changed_once_written(event: AuditEvent) -> None:
    event.detail = "nothing to see"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.save(update_fields=["detail"])
    assert AuditEvent.objects.get(pk=event.pk).detail == ""


def test_an_event_cannot_be_deleted(event: AuditEvent) -> None:
    with pytest.raises(PermissionError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_queryset_refuses_updates(event: AuditEvent) -> None:
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(detail="rewritten")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(user=None)
    # bulk_update runs inside its own atomic block, so give it a savepoint to roll back to.
    with pytest.raises(PermissionError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["detail"])
    assert AuditEvent.objects.get(pk=event.pk).user_id is not None


def test_the_queryset_refuses_deletes(event: AuditEvent) -> None:
    count = AuditEvent.objects.count()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == count


def test_new_events_can_still_be_written(world: World) -> None:
    before = AuditEvent.objects.count()
    audit.record(world.alice, AuditAction.EXPORT, patient=world.paula)
    assert AuditEvent.objects.count() == before + 1


# --- what an event holds ----------------------------------------------------------------------------------


def test_an_event_names_who_did_what_to_whose_record(event: AuditEvent, world: World) -> None:
    assert event.user == world.alice
    assert event.username == "alice"
    assert event.role == "case_manager"
    assert event.organization_id_value == world.riverside.pk
    assert event.patient == world.paula
    assert (event.action, event.object_type, event.object_id) == ("read", "Patient", str(world.paula.pk))
    assert event.outcome == AuditOutcome.SUCCESS


def test_outside_a_request_events_are_marked_as_operations_from_the_command_line(event: AuditEvent) -> None:
    assert (event.purpose, event.user_agent, event.client_address) == (
        "OPERATIONS",
        "careconductor-cli",
        None,
    )


def test_the_audit_context_fills_address_agent_and_purpose(world: World) -> None:
    ctx = AuditContext(client_address="203.0.113.9", user_agent="Firefox/128.0", purpose="TREAT")
    with audit_context(ctx):
        access_patient(world.alice, world.paula.pk)
    access_patient(world.alice, world.paula.pk)

    inside, outside = AuditEvent.objects.filter(action=AuditAction.READ).order_by("pk")
    assert (inside.client_address, inside.user_agent, inside.purpose) == (
        "203.0.113.9",
        "Firefox/128.0",
        "TREAT",
    )
    assert (outside.client_address, outside.user_agent, outside.purpose) == (
        None,
        "careconductor-cli",
        "OPERATIONS",
    )


def test_a_long_user_agent_is_cut_to_fit(world: World) -> None:
    with audit_context(AuditContext(user_agent="x" * 1000)):
        event = audit.record(world.alice, AuditAction.READ, patient=world.paula)
    assert AuditEvent.objects.get(pk=event.pk).user_agent == "x" * 300


def test_each_request_records_its_own_address_and_agent(world: World) -> None:
    def view(request: HttpRequest) -> HttpResponse:
        access_patient(world.alice, world.paula.pk)
        return HttpResponse("ok")

    middleware = RequirePolicyMiddleware(view)
    factory = RequestFactory()
    middleware(factory.get("/patients/", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Safari/17"))
    middleware(factory.get("/patients/", REMOTE_ADDR="2001:db8::1", HTTP_USER_AGENT="Edge/120"))

    rows = AuditEvent.objects.filter(action=AuditAction.READ).order_by("pk")
    assert [(e.client_address, e.user_agent, e.purpose) for e in rows] == [
        ("198.51.100.7", "Safari/17", "TREAT"),
        ("2001:db8::1", "Edge/120", "TREAT"),
    ]
    # The request's context does not leak into what happens after it.
    after = audit.record(world.alice, AuditAction.READ, patient=world.paula)
    assert (after.client_address, after.user_agent) == (None, "careconductor-cli")


# --- list reads -------------------------------------------------------------------------------------------


def test_record_reads_writes_one_row_per_patient_in_a_fixed_number_of_queries(
    world: World,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    omar = do_create_patient(
        world.alice,
        PatientDetails(
            given_name="Omar", family_name="Haddad", birth_date=dt.date(1948, 11, 2), sex=Sex.MALE
        ),
    )
    before = AuditEvent.objects.count()
    with (
        audit_context(AuditContext(client_address="192.0.2.1", user_agent="Firefox")),
        # One query for emergency access in force, then lock the chain head, one insert for all rows,
        # move the head (plus the savepoint pair).
        django_assert_num_queries(6),
    ):
        record_reads(world.alice, [world.paula, omar])

    rows = AuditEvent.objects.filter(action=AuditAction.READ).order_by("patient_id")
    assert AuditEvent.objects.count() == before + 2
    assert [(e.patient_id, e.object_type, e.object_id) for e in rows] == [
        (world.paula.pk, "Patient", str(world.paula.pk)),
        (omar.pk, "Patient", str(omar.pk)),
    ]
    assert {(e.user_id, e.role, e.client_address, e.user_agent) for e in rows} == {
        (world.alice.pk, "case_manager", "192.0.2.1", "Firefox"),
    }


def test_record_reads_of_nobody_writes_nothing(world: World) -> None:
    before = AuditEvent.objects.count()
    record_reads(world.alice, [])
    assert AuditEvent.objects.count() == before


def test_record_reads_can_name_another_kind_of_record(world: World) -> None:
    record_reads(world.alice, [world.paula], object_type="Case")
    assert AuditEvent.objects.get(action=AuditAction.READ).object_type == "Case"
