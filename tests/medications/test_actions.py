"""Medications through their actions: who may add and stop them, which dose reports are accepted from the
portal, the last answer counting, and one audit event per change. A refused action changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.medications import actions
from careconductor.medications.models import DoseReport, Medication
from careconductor.patients.actions import do_link_portal_user
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, World
from .conftest import TODAY
from .helpers import metformin, other_patient

pytestmark = pytest.mark.django_db

YESTERDAY = TODAY - dt.timedelta(days=1)


def _state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    return (
        sorted(
            Medication.objects.values_list("pk", "name", "times", "end_date", "stopped_reason", "version")
        ),
        sorted(DoseReport.objects.values_list("pk", "medication_id", "day", "slot", "taken")),
        AuditEvent.objects.exclude(action=AuditAction.READ).count(),
    )


def _add(world: World, **changes: Any) -> Medication:
    fields: dict[str, Any] = {
        "name": "Lisinopril",
        "dose": "10 mg tablet",
        "instructions": "In the morning",
        "times": ["08:00"],
        "start_date": TODAY,
    }
    fields.update(changes)
    return actions.do_add_medication(world.alice, world.paula, **fields)


# --- adding -------------------------------------------------------------------------------------------------------
def test_the_case_manager_adds_a_medication_and_the_audit_says_so(world: World) -> None:
    medication = _add(world, times=["20:00", "08:00"], name="  Lisinopril ")
    assert (medication.name, medication.times, medication.added_by) == (
        "Lisinopril",
        ["08:00", "20:00"],
        world.alice,
    )
    event = AuditEvent.objects.get(object_type="Medication", object_id=str(medication.pk))
    assert (event.action, event.user, event.patient_id) == (AuditAction.CREATE, world.alice, world.paula.pk)


def test_a_medication_with_no_times_is_taken_as_needed(world: World) -> None:
    assert _add(world, times=[], name="Paracetamol").as_needed


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": " "}, "name"),
        ({"dose": ""}, "dose"),
        ({"times": ["8 am"]}, "times"),
        ({"times": ["08:00", "08:00"]}, "times"),
        ({"times": [f"{h:02d}:00" for h in range(9)]}, "times"),
        ({"end_date": TODAY - dt.timedelta(days=1)}, "end_date"),
    ],
)
def test_it_refuses_a_medication_that_does_not_make_sense(
    world: World, changes: dict[str, Any], field: str
) -> None:
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        _add(world, **changes)
    assert field in refused.value.errors
    assert _state() == before


def test_only_staff_who_may_change_the_record_add_medications(world: World) -> None:
    before = _state()
    with pytest.raises(NotVisible):
        actions.do_add_medication(
            world.bob, world.paula, name="X", dose="1", instructions="", times=[], start_date=TODAY
        )
    with pytest.raises(ActionRefused):  # the physician on the care team reads the list
        actions.do_add_medication(
            world.dana, world.paula, name="X", dose="1", instructions="", times=[], start_date=TODAY
        )
    assert _state() == before


# --- stopping -------------------------------------------------------------------------------------------------------
def test_stopping_keeps_the_reason_and_ends_today_unless_told(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    actions.do_stop_medication(world.alice, medication, reason=" Stomach upset ")
    medication.refresh_from_db()
    assert (medication.end_date, medication.stopped_reason, medication.stopped) == (
        TODAY,
        "Stomach upset",
        True,
    )
    assert AuditEvent.objects.filter(
        object_type="Medication", object_id=str(medication.pk), action=AuditAction.UPDATE, detail="stopped"
    ).exists()


def test_stopping_can_be_dated_back_to_when_the_patient_stopped(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    actions.do_stop_medication(world.alice, medication, reason="Stopped on her own", end_date=YESTERDAY)
    medication.refresh_from_db()
    assert medication.end_date == YESTERDAY


@pytest.mark.parametrize(
    ("reason", "end_date", "field"),
    [("", None, "reason"), ("Side effects", TODAY - dt.timedelta(days=61), "end_date")],
)
def test_it_refuses_stopping_without_a_reason_or_before_the_start(
    world: World, reason: str, end_date: dt.date | None, field: str
) -> None:
    medication = metformin(world.alice, world.paula)
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_stop_medication(world.alice, medication, reason=reason, end_date=end_date)
    assert field in refused.value.errors
    assert _state() == before


def test_it_refuses_stopping_twice(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    actions.do_stop_medication(world.alice, medication, reason="Side effects")
    before = _state()
    with pytest.raises(ActionRefused):
        actions.do_stop_medication(world.alice, medication, reason="Again")
    assert _state() == before


def test_a_read_only_role_cannot_stop_a_medication(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    before = _state()
    with pytest.raises(ActionRefused):
        actions.do_stop_medication(world.dana, medication, reason="No")
    with pytest.raises(NotVisible):
        actions.do_stop_medication(world.charlie, medication, reason="No")
    assert _state() == before


# --- reporting doses --------------------------------------------------------------------------------------------
def test_doses_are_reported_and_audited_once_per_call(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    events = AuditEvent.objects.count()
    reports = actions.do_report_doses(
        world.alice,
        world.paula,
        day=TODAY,
        answers={(medication.pk, "08:00"): True, (medication.pk, "18:00"): False},
    )
    assert [(r.slot, r.taken, r.reported_by, r.patient) for r in reports] == [
        ("08:00", True, world.alice, world.paula),
        ("18:00", False, world.alice, world.paula),
    ]
    assert AuditEvent.objects.count() == events + 1
    event = AuditEvent.objects.order_by("-pk").first()
    assert event is not None
    assert (event.action, event.object_type, event.object_id, event.patient_id) == (
        AuditAction.CREATE,
        "DoseReport",
        TODAY.isoformat(),
        world.paula.pk,
    )
    assert event.detail == "2 doses: 1 taken, 1 not taken"


def test_the_last_answer_for_a_dose_counts(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    first = actions.do_report_doses(
        world.alice, world.paula, day=TODAY, answers={(medication.pk, "08:00"): False}
    )
    again = actions.do_report_doses(
        world.alice, world.paula, day=TODAY, answers={(medication.pk, "08:00"): True}
    )
    assert DoseReport.objects.count() == 1
    assert first[0].pk == again[0].pk and again[0].taken is True
    assert AuditEvent.objects.order_by("-pk").values_list("action", flat=True).first() == AuditAction.UPDATE


def test_the_patient_reports_their_own_doses_from_the_portal(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    login = do_create_user("paula.reyes", Role.PATIENT, world.riverside, PASSWORD)
    do_link_portal_user(world.adam, world.paula, login)
    world.paula.refresh_from_db()
    [report] = actions.do_report_doses(
        login, world.paula, day=YESTERDAY, answers={(medication.pk, "18:00"): True}
    )
    assert (report.reported_by, report.day, report.taken) == (login, YESTERDAY, True)


def test_a_read_only_role_and_strangers_cannot_report_doses(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    answers = {(medication.pk, "08:00"): True}
    before = _state()
    with pytest.raises(ActionRefused):
        actions.do_report_doses(world.dana, world.paula, day=TODAY, answers=answers)
    with pytest.raises(NotVisible):
        actions.do_report_doses(world.bob, world.paula, day=TODAY, answers=answers)
    stranger = do_create_user("pat", Role.PATIENT, world.riverside, PASSWORD)
    with pytest.raises(NotVisible):
        actions.do_report_doses(stranger, world.paula, day=TODAY, answers=answers)
    assert _state()[:2] == before[:2]


@pytest.mark.parametrize(
    ("day", "field"),
    [(TODAY + dt.timedelta(days=1), "day"), (TODAY - dt.timedelta(days=8), "day")],
)
def test_it_refuses_days_ahead_or_more_than_a_week_back(world: World, day: dt.date, field: str) -> None:
    medication = metformin(world.alice, world.paula)
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_report_doses(world.alice, world.paula, day=day, answers={(medication.pk, "08:00"): True})
    assert field in refused.value.errors
    assert _state() == before


def test_a_week_back_is_still_accepted(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    week_ago = TODAY - dt.timedelta(days=7)
    assert actions.do_report_doses(
        world.alice, world.paula, day=week_ago, answers={(medication.pk, "08:00"): True}
    )


def test_it_refuses_doses_that_were_not_due_and_changes_nothing(world: World) -> None:
    medication = metformin(world.alice, world.paula)
    ended = _add(world, name="Amoxicillin", start_date=TODAY - dt.timedelta(days=20), end_date=YESTERDAY)
    later = _add(world, name="Atorvastatin", start_date=TODAY + dt.timedelta(days=3))
    as_needed = _add(world, name="Paracetamol", times=[])
    other = other_patient(world)
    not_hers = actions.do_add_medication(
        world.alice,
        other,
        name="Insulin",
        dose="10 units",
        instructions="",
        times=["08:00"],
        start_date=TODAY,
    )
    before = _state()
    for bad in [
        {(medication.pk, "08:00"): True, (medication.pk, "12:00"): True},  # not one of its times
        {(medication.pk, "08:00"): True, (ended.pk, "08:00"): True},  # ended yesterday
        {(later.pk, "08:00"): True},  # not started
        {(as_needed.pk, "08:00"): True},  # as needed has no dose times
        {(not_hers.pk, "08:00"): True},  # another patient's
        {(999999, "08:00"): True},  # no such medication
        {},  # nothing answered
    ]:
        with pytest.raises(ActionRefused):
            actions.do_report_doses(world.alice, world.paula, day=TODAY, answers=bad)
    assert _state() == before


def test_an_ended_medication_takes_reports_for_the_days_it_ran(world: World) -> None:
    ended = _add(world, name="Amoxicillin", start_date=TODAY - dt.timedelta(days=20), end_date=YESTERDAY)
    assert actions.do_report_doses(
        world.alice, world.paula, day=YESTERDAY, answers={(ended.pk, "08:00"): True}
    )
