"""Appointment through the FHIR API: read (valid R4: the validator checks every reply), search by patient,
date, status and practitioner with a fixed number of queries, strangers see nothing, and a booking created
through the API goes through do_book_appointment (refusals as OperationOutcome at the element)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careconductor.appointments.actions import do_book_appointment, do_record_outcome
from careconductor.appointments.models import Appointment
from careconductor.core import clock
from careconductor.privacy.models import AuditEvent

from .conftest import query_count

pytestmark = pytest.mark.django_db


def _book(world, days: int = 2, **changes):
    fields = {
        "starts_at": clock.now().replace(microsecond=0) + dt.timedelta(days=days),
        "purpose": "Follow-up visit",
        "staff": world.dana,
        "location": "Riverside Clinic, room 4",
        "what_to_bring": "Your medicines",
    }
    fields.update(changes)
    return do_book_appointment(world.alice, world.paula, **fields)


def test_an_appointment_reads_as_fhir(world, api) -> None:
    appointment = _book(world)
    reply = api(world.alice).get(f"Appointment/{appointment.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["status"], body["description"], body["minutesDuration"]) == ("booked", "Follow-up visit", 30)
    assert body["start"] == appointment.starts_at.isoformat()
    assert body["patientInstruction"] == "Your medicines"
    actors = [p["actor"] for p in body["participant"]]
    assert actors[0]["reference"] == f"Patient/{world.paula.pk}"
    assert actors[1]["reference"] == f"Practitioner/{world.dana.pk}"
    assert actors[2] == {"display": "Riverside Clinic, room 4"}
    assert body["participant"][0]["status"] == "needs-action"
    interpreter = next(e for e in body["extension"] if e["url"].endswith("appointment-interpreter"))
    assert {"url": "language", "valueCode": "es"} in interpreter["extension"]
    assert AuditEvent.objects.filter(user=world.alice, action="read", object_type="Appointment").exists()


def test_search_by_patient_date_status_and_practitioner(world, api) -> None:
    soon = _book(world, days=1)
    later = _book(world, days=9, staff=None, provider_name="Dr Lee")
    alice = api(world.alice)
    paula = world.paula.pk

    def found(query: str) -> set[int]:
        return {int(r["id"]) for r in alice.search(f"Appointment?{query}")}

    assert found(f"patient={paula}") == {soon.pk, later.pk}
    assert found(f"practitioner={world.dana.pk}") == {soon.pk}
    day = (clock.now() + dt.timedelta(days=5)).date().isoformat()
    assert found(f"patient={paula}&date=ge{day}") == {later.pk}
    assert found("status=booked") == {soon.pk, later.pk}
    assert found("status=cancelled") == set()
    with time_machine.travel(soon.starts_at + dt.timedelta(hours=1), tick=False):
        do_record_outcome(world.alice, soon, status="noshow")
    assert found("status=noshow") == {soon.pk}
    many = query_count(lambda: alice.get(f"Appointment?patient={paula}"))
    for n in range(3):
        _book(world, days=20 + n)
    assert query_count(lambda: alice.get(f"Appointment?patient={paula}")) == many


def test_strangers_find_nothing(world, api) -> None:
    appointment = _book(world)
    for person in (world.bob, world.charlie):
        assert api(person).get(f"Appointment/{appointment.pk}").status == 404
        assert api(person).search(f"Appointment?patient={world.paula.pk}") == []


def test_a_booking_made_through_the_api(world, api) -> None:
    start = clock.now().replace(microsecond=0) + dt.timedelta(days=3)
    resource = {
        "resourceType": "Appointment",
        "status": "booked",
        "description": "Medication review",
        "start": start.isoformat(),
        "end": (start + dt.timedelta(minutes=45)).isoformat(),
        "participant": [
            {"actor": {"reference": f"Patient/{world.paula.pk}"}, "status": "needs-action"},
            {"actor": {"reference": f"Practitioner/{world.dana.pk}"}, "status": "accepted"},
            {"actor": {"display": "Riverside Clinic"}, "status": "accepted"},
        ],
    }
    reply = api(world.alice).post("Appointment", resource)
    assert reply.status == 201, reply.body
    made = Appointment.objects.get(pk=int(reply.body["id"]))
    assert (made.staff, made.location, made.booked_by, made.ends_at - made.starts_at) == (
        world.dana,
        "Riverside Clinic",
        world.alice,
        dt.timedelta(minutes=45),
    )
    past = dict(
        resource,
        start=(start - dt.timedelta(days=30)).isoformat(),
        end=(start - dt.timedelta(days=29)).isoformat(),
    )
    refused = api(world.alice).post("Appointment", past)
    assert refused.status in (400, 422) and "Appointment.start" in refused.issue_paths()
    no_place = dict(resource, participant=resource["participant"][:2])
    assert "Appointment.participant" in api(world.alice).post("Appointment", no_place).issue_paths()
    assert api(world.bob).post("Appointment", resource).status in (403, 404)
