"""Reads of medications: who sees one, today's doses for the portal form, and 30-day adherence in a fixed
number of queries however many medications the patient takes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careconductor.core.errors import NotVisible
from careconductor.medications import actions, queries
from careconductor.medications.rules import Adherence
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent

from ..personas import World
from .conftest import TODAY
from .helpers import metformin, other_patient

pytestmark = pytest.mark.django_db


def _days_ago(n: int) -> dt.date:
    return TODAY - dt.timedelta(days=n)


# --- access -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("persona", ["alice", "sam", "dana", "adam"])
def test_people_with_a_relationship_open_a_medication_and_the_read_is_audited(
    world: World, persona: str
) -> None:
    medication = metformin(world.alice, world.paula)
    user = getattr(world, persona)
    assert queries.access_medication(user, medication.pk) == medication
    assert AuditEvent.objects.filter(
        user=user, action=AuditAction.READ, object_type="Medication", object_id=str(medication.pk)
    ).exists()


@pytest.mark.parametrize("persona", ["bob", "charlie", "uma", "pia", "mo"])
def test_a_medication_of_someone_else_is_not_found(world: World, persona: str) -> None:
    medication = metformin(world.alice, world.paula)
    user = getattr(world, persona)
    with pytest.raises(NotVisible):
        queries.access_medication(user, medication.pk)
    with pytest.raises(NotVisible):
        queries.access_medication(user, 999999)
    assert not AuditEvent.objects.filter(user=user, patient=world.paula).exists()


# --- the lists ----------------------------------------------------------------------------------------------------
def test_active_medications_are_those_running_on_the_day(world: World) -> None:
    running = metformin(world.alice, world.paula)
    ended = metformin(world.alice, world.paula, times=["12:00"])
    actions.do_stop_medication(world.alice, ended, reason="Side effects", end_date=_days_ago(2))
    later = metformin(world.alice, world.paula, start_date=TODAY + dt.timedelta(days=1))
    assert list(queries.active_medications(world.paula)) == [running]
    assert set(queries.active_medications(world.paula, _days_ago(3))) == {running, ended}
    assert set(queries.active_medications(world.paula, TODAY + dt.timedelta(days=1))) == {running, later}


def test_the_staff_list_puts_stopped_medications_last(world: World) -> None:
    stopped = actions.do_add_medication(
        world.alice,
        world.paula,
        name="Aspirin",
        dose="81 mg",
        instructions="",
        times=["08:00"],
        start_date=TODAY,
    )
    actions.do_stop_medication(world.alice, stopped, reason="Bleeding risk")
    running = metformin(world.alice, world.paula)
    assert queries.patient_medications(world.paula) == [running, stopped]


def test_the_doses_of_a_day_come_in_time_order_with_their_answers(world: World) -> None:
    met = metformin(world.alice, world.paula)
    lis = actions.do_add_medication(
        world.alice,
        world.paula,
        name="Lisinopril",
        dose="10 mg",
        instructions="",
        times=["08:00"],
        start_date=TODAY,
    )
    actions.do_add_medication(
        world.alice,
        world.paula,
        name="Paracetamol",
        dose="500 mg",
        instructions="",
        times=[],
        start_date=TODAY,
    )
    actions.do_report_doses(world.alice, world.paula, day=TODAY, answers={(lis.pk, "08:00"): False})
    slots = queries.doses_for_day(world.paula, TODAY)
    assert [(d.medication.name, d.slot, d.taken) for d in slots] == [
        ("Lisinopril", "08:00", False),
        ("Metformin", "08:00", None),
        ("Metformin", "18:00", None),
    ]
    # Yesterday Lisinopril had not started; as-needed medications are never listed as due.
    assert [(d.medication, d.slot) for d in queries.doses_for_day(world.paula, _days_ago(1))] == [
        (met, "08:00"),
        (met, "18:00"),
    ]


# --- adherence ----------------------------------------------------------------------------------------------------
def test_adherence_counts_unreported_doses_as_not_taken(world: World) -> None:
    medication = metformin(world.alice, world.paula)  # two doses a day, running all month
    for n in range(7):
        actions.do_report_doses(
            world.alice,
            world.paula,
            day=_days_ago(n),
            answers={(medication.pk, "08:00"): True, (medication.pk, "18:00"): n % 2 == 0},
        )
    # 60 doses due in the 30 days; 7 mornings and 4 evenings reported taken.
    assert queries.adherence_for(world.paula) == Adherence(
        scheduled=60, taken=11, share=Decimal(11) / Decimal(60)
    )
    assert queries.adherence_for(world.paula, days=7) == Adherence(
        scheduled=14, taken=11, share=Decimal(11) / 14
    )


def test_adherence_covers_only_the_days_a_medication_ran(world: World) -> None:
    medication = metformin(world.alice, world.paula, start_date=_days_ago(4), times=["09:00"])
    actions.do_report_doses(
        world.alice, world.paula, day=_days_ago(4), answers={(medication.pk, "09:00"): True}
    )
    actions.do_stop_medication(world.alice, medication, reason="Course done", end_date=_days_ago(1))
    # Due on four days (4 to 1 days ago), one reported taken; today is after its end.
    assert queries.adherence_by_medication(world.paula) == {
        medication.pk: Adherence(scheduled=4, taken=1, share=Decimal("0.25"))
    }


def test_nothing_scheduled_has_no_adherence(world: World) -> None:
    actions.do_add_medication(
        world.alice,
        world.paula,
        name="Paracetamol",
        dose="500 mg",
        instructions="",
        times=[],
        start_date=TODAY,
    )
    assert queries.adherence_for(world.paula) == Adherence(scheduled=0, taken=0, share=None)
    assert queries.adherence_by_medication(world.paula) == {}


def test_another_patients_doses_do_not_count(world: World) -> None:
    metformin(world.alice, world.paula)
    omar = other_patient(world)
    his = metformin(world.alice, omar)
    actions.do_report_doses(world.alice, omar, day=TODAY, answers={(his.pk, "08:00"): True})
    assert queries.adherence_for(world.paula).taken == 0
    assert queries.adherence_for(omar).taken == 1


@pytest.mark.parametrize("medications", [1, 6])
def test_adherence_takes_at_most_three_queries_however_many_medications(
    world: World, medications: int, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(medications):
        medication = metformin(world.alice, world.paula, times=[f"{8 + n:02d}:00"])
        actions.do_report_doses(
            world.alice, world.paula, day=TODAY, answers={(medication.pk, f"{8 + n:02d}:00"): True}
        )
    with django_assert_max_num_queries(3):
        found = queries.adherence_for(world.paula)
    assert (found.scheduled, found.taken) == (30 * medications, medications)
    with django_assert_max_num_queries(3):
        assert len(queries.adherence_by_medication(world.paula)) == medications
    with django_assert_max_num_queries(3):
        assert len(queries.doses_for_day(world.paula, TODAY)) == medications
