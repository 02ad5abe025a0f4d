"""When a patient was last reached (Patient.last_reached_at, issue 18): stored so the worklist and the team view
read it from the row, and always the latest reached contact of the contact log, whatever changes the log:
contacts logged late and out of order, failed attempts, contacts removed, two records merged, and the migration
that filled it for the rows there before (the demo's bulk rows: tests/demo/test_demo_last_reached.py)."""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterator

import pytest
import time_machine
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.coordination.models import Contact
from careconductor.coordination.reach import refresh_last_reached
from careconductor.patients import merge
from careconductor.patients.actions import PatientDetails, do_update_patient
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient

from ..personas import World
from .test_followup_actions import at, log

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 3, 8)


@pytest.fixture(autouse=True)
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(at(TODAY, 17), tick=False) as t:
        yield t


def stored(patient: Patient) -> dt.datetime | None:
    return Patient.objects.values_list("last_reached_at", flat=True).get(pk=patient.pk)


def from_the_log(patient: Patient) -> dt.datetime | None:
    """The latest reached contact, read from the contact log as the worklist did before issue 18."""
    return (
        Contact.objects.filter(patient=patient, reached=True)
        .order_by("-contact_at")
        .values_list("contact_at", flat=True)
        .first()
    )


def moment(days_ago: int, hour: int) -> dt.datetime:
    return at(TODAY - dt.timedelta(days=days_ago), hour)


@pytest.mark.parametrize(
    ("logged", "latest"),
    [
        ([], None),
        ([(3, 9, False)], None),  # a failed attempt is not reaching the patient
        ([(3, 9, True)], (3, 9)),
        ([(1, 9, True), (5, 9, True)], (1, 9)),  # an older call logged late does not move it back
        ([(5, 9, True), (1, 14, False)], (5, 9)),  # nor does a failed attempt after it
        ([(5, 9, True), (2, 9, True), (2, 16, False), (0, 10, True)], (0, 10)),
        ([(9, 11, False), (9, 10, True)], (9, 10)),  # one day: the moment, not the day, counts
    ],
)
def test_logging_contacts_keeps_the_latest_reached_moment(
    world: World, logged: list[tuple[int, int, bool]], latest: tuple[int, int] | None
) -> None:
    for days_ago, hour, reached in logged:
        log(world.alice, world.paula, moment(days_ago, hour), reached=reached)
    assert stored(world.paula) == (moment(*latest) if latest else None) == from_the_log(world.paula)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 360), st.integers(8, 16), st.booleans(), st.booleans()), max_size=6))
def test_any_log_and_any_removal_leave_the_logs_latest_reached_moment(
    world: World, steps: list[tuple[int, int, bool, bool]]
) -> None:
    """Contacts logged in any order, some then removed (the demo's scenarios clear a log this way, and refresh):
    the stored moment is always the log's."""
    with transaction.atomic():
        contacts = [
            (log(world.alice, world.paula, moment(days_ago, hour), reached=reached), remove)
            for days_ago, hour, reached, remove in steps
        ]
        assert stored(world.paula) == from_the_log(world.paula)
        Contact.objects.filter(pk__in=[c.pk for c, remove in contacts if remove]).delete()
        refresh_last_reached([world.paula.pk])
        assert stored(world.paula) == from_the_log(world.paula)
        transaction.set_rollback(True)


def test_saving_a_record_read_before_a_contact_does_not_put_the_old_moment_back(world: World) -> None:
    paula = Patient.objects.get(pk=world.paula.pk)  # read before the contact: last reached never
    log(world.alice, world.paula, moment(1, 10))
    details = PatientDetails(
        given_name=paula.given_name,
        family_name=paula.family_name,
        birth_date=paula.birth_date,
        sex=Sex(paula.sex),
        phone="555-0142",
    )
    do_update_patient(world.alice, paula, details)
    assert Patient.objects.get(pk=paula.pk).phone == "555-0142"
    assert stored(paula) == moment(1, 10)


@pytest.mark.parametrize("later", ["kept", "duplicate", "neither"])
def test_a_merged_record_was_last_reached_when_either_record_was(world: World, later: str) -> None:
    duplicate = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name="Pau", family_name="Reyes", birth_date=world.paula.birth_date, sex=Sex.FEMALE
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        case_manager=world.alice,
    )
    if later != "neither":
        log(world.alice, world.paula, moment(4 if later == "duplicate" else 2, 10))
        log(world.alice, duplicate, moment(2 if later == "duplicate" else 4, 10))
    log(world.alice, duplicate, moment(1, 10), reached=False)

    merge.do_merge_patients(world.adam, world.paula, duplicate, "Pau is Paula's nickname")

    assert stored(world.paula) == (moment(2, 10) if later != "neither" else None)
    assert stored(world.paula) == from_the_log(world.paula)


def test_the_migration_fills_the_rows_that_were_there(world: World) -> None:
    log(world.alice, world.paula, moment(3, 9))
    log(world.alice, world.paula, moment(2, 9), reached=False)
    Patient.objects.update(last_reached_at=None)  # as the rows were before the field
    fill = importlib.import_module(
        "careconductor.coordination.migrations.0012_fill_patient_last_reached"
    ).fill
    fill(apps, None)
    assert stored(world.paula) == moment(3, 9)
    assert all(p.last_reached_at == from_the_log(p) for p in Patient.objects.all())
