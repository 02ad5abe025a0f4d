"""Medication reconciliation through its actions: started from the patient's list, the discharge list entered
line by line, what the patient takes, a decision on every line; completing it raises one task per discrepancy
for the pharmacist (else the physician, else the case manager) and makes the confirmed list the schedule.
Refusals change nothing; people without a relationship or the right role change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from careconductor.accounts.choices import Discipline, Role
from careconductor.coordination.choices import TaskPriority
from careconductor.coordination.models import Task
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.medications import actions, queries
from careconductor.medications.choices import Discrepancy, ReconciliationStatus
from careconductor.medications.models import Medication, Reconciliation, ReconciliationLine
from careconductor.patients.actions import do_add_care_team_member, do_add_encounter
from careconductor.patients.models import Encounter
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent

from ..personas import World, make_staff
from .conftest import NOW, TODAY
from .helpers import metformin, other_patient

pytestmark = pytest.mark.django_db

YESTERDAY = TODAY - dt.timedelta(days=1)


def _state() -> tuple[Any, ...]:
    return (
        sorted(Reconciliation.objects.values_list("pk", "status", "version", "participants")),
        sorted(
            ReconciliationLine.objects.values_list(
                "pk", "version", "discharge_dose", "patient_takes", "decision", "discrepancy", "task"
            )
        ),
        sorted(Medication.objects.values_list("pk", "dose", "end_date", "version")),
        Task.objects.count(),
        AuditEvent.objects.exclude(action=AuditAction.READ).count(),
    )


def _lisinopril(world: World, **changes: Any) -> Medication:
    fields: dict[str, Any] = {
        "name": "Lisinopril",
        "dose": "10 mg tablet",
        "instructions": "In the morning",
        "times": ["08:00"],
        "start_date": TODAY - dt.timedelta(days=30),
    }
    fields.update(changes)
    return actions.do_add_medication(world.alice, world.paula, **fields)


def _discharge(world: World) -> Encounter:
    return do_add_encounter(
        world.alice,
        world.paula,
        encounter_class="IMP",
        facility="St. Mary's",
        start=NOW - dt.timedelta(days=4),
        end=NOW - dt.timedelta(days=1),
    )


def _line(reconciliation: Reconciliation, name: str) -> ReconciliationLine:
    return reconciliation.lines.get(name=name)


def _pharmacist(world: World) -> Any:
    kevin = make_staff("kevin", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    do_add_care_team_member(world.alice, world.paula, member=kevin, role="Pharmacist")
    return kevin


# --- starting ----------------------------------------------------------------------------------------------------
def test_starting_lists_the_medications_the_patient_takes_today(world: World) -> None:
    first = metformin(world.alice, world.paula)
    second = _lisinopril(world)
    stopped = _lisinopril(world, name="Amoxicillin", dose="500 mg")
    actions.do_stop_medication(world.alice, stopped, reason="Course done", end_date=YESTERDAY)
    discharge = _discharge(world)

    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=discharge)

    assert (reconciliation.status, reconciliation.started_by, reconciliation.encounter) == (
        ReconciliationStatus.IN_PROGRESS,
        world.alice,
        discharge,
    )
    lines = list(reconciliation.lines.order_by("name"))
    assert [(x.name, x.medication, x.own_dose, x.on_discharge_list, x.discrepancy) for x in lines] == [
        ("Lisinopril", second, "10 mg tablet", False, Discrepancy.NONE),
        ("Metformin", first, "500 mg tablet", False, Discrepancy.NONE),
    ]
    event = AuditEvent.objects.get(object_type="Reconciliation", object_id=str(reconciliation.pk))
    assert (event.action, event.user, event.patient_id) == (AuditAction.CREATE, world.alice, world.paula.pk)


def test_it_refuses_a_second_reconciliation_in_progress_or_someone_elses_visit(world: World) -> None:
    actions.do_start_reconciliation(world.alice, world.paula)
    before = _state()
    with pytest.raises(ActionRefused):
        actions.do_start_reconciliation(world.alice, world.paula)
    omar = other_patient(world)
    his_stay = do_add_encounter(
        world.alice, omar, encounter_class="IMP", start=NOW - dt.timedelta(days=3), end=NOW
    )
    with pytest.raises(ActionRefused) as refused:
        actions.do_start_reconciliation(world.alice, world.paula, encounter=his_stay)
    assert "encounter" in refused.value.errors
    assert _state()[:4] == before[:4]


def test_it_refuses_a_stay_that_has_not_ended(world: World) -> None:
    still_in = do_add_encounter(world.alice, world.paula, encounter_class="IMP", start=NOW)
    with pytest.raises(ActionRefused) as refused:
        actions.do_start_reconciliation(world.alice, world.paula, encounter=still_in)
    assert "encounter" in refused.value.errors
    assert not Reconciliation.objects.exists()


# --- the discharge list -----------------------------------------------------------------------------------------
def test_discharge_lines_join_the_same_medicine_or_come_as_new_lines(world: World) -> None:
    metformin(world.alice, world.paula)
    _lisinopril(world)
    _lisinopril(world, name="Atorvastatin", dose="20 mg")
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)

    same = actions.do_add_discharge_line(
        world.alice, reconciliation, name=" METFORMIN ", dose="1000 mg tablet"
    )
    new = actions.do_add_discharge_line(
        world.alice, reconciliation, name="Apixaban", dose="5 mg", rxnorm="1364445"
    )
    stop = actions.do_add_discharge_line(
        world.alice, reconciliation, name="atorvastatin", dose="", says_stop=True
    )

    assert same == _line(reconciliation, "Metformin")
    assert (same.discharge_dose, same.discrepancy) == ("1000 mg tablet", Discrepancy.DOSE_MISMATCH)
    assert (new.on_own_list, new.rxnorm, new.discrepancy) == (False, "1364445", Discrepancy.NONE)
    assert (stop.discharge_says_stop, stop.discrepancy) == (True, Discrepancy.NONE)
    # Once a discharge list is entered, what it leaves out is an omission.
    assert _line(reconciliation, "Lisinopril").discrepancy == Discrepancy.OMISSION
    assert reconciliation.lines.count() == 4


def test_a_second_entry_of_one_medicine_makes_both_lines_duplications(world: World) -> None:
    metformin(world.alice, world.paula)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    actions.do_add_discharge_line(world.alice, reconciliation, name="Metformin", dose="500 mg tablet")
    glucophage = actions.do_add_discharge_line(
        world.alice, reconciliation, name="Glucophage", dose="500 mg", rxnorm="860975"
    )
    assert glucophage.discrepancy == Discrepancy.NONE  # a brand matches its generic only by code
    second = actions.do_add_discharge_line(world.alice, reconciliation, name="metformin", dose="850 mg")
    assert second != _line(reconciliation, "Metformin")
    assert set(
        reconciliation.lines.filter(name__iexact="metformin").values_list("discrepancy", flat=True)
    ) == {Discrepancy.DUPLICATION}


def test_a_discharge_line_joins_by_rxnorm_code(world: World) -> None:
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    first = actions.do_add_discharge_line(
        world.alice, reconciliation, name="Eliquis", dose="5 mg", rxnorm="1364445"
    )
    # A line is joined only while the discharge list does not name it; a repeat is a second line.
    again = actions.do_add_discharge_line(
        world.alice, reconciliation, name="Apixaban", dose="5 mg", rxnorm="1364445"
    )
    assert first != again
    assert {first.pk, again.pk} == set(
        reconciliation.lines.filter(discrepancy=Discrepancy.DUPLICATION).values_list("pk", flat=True)
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " ", "dose": "5 mg"}, "name"),
        ({"name": "Apixaban", "dose": ""}, "dose"),
        ({"name": "Apixaban", "dose": "5 mg", "rxnorm": "RX-12"}, "rxnorm"),
    ],
)
def test_it_refuses_a_discharge_line_that_does_not_make_sense(
    world: World, fields: dict[str, Any], field: str
) -> None:
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_add_discharge_line(world.alice, reconciliation, **fields)
    assert field in refused.value.errors
    assert _state() == before


def test_what_the_patient_takes_changes_the_discrepancy(world: World) -> None:
    metformin(world.alice, world.paula)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    actions.do_add_discharge_line(world.alice, reconciliation, name="Metformin", dose="", says_stop=True)
    line = actions.do_record_patient_takes(
        world.alice, _line(reconciliation, "Metformin"), takes=True, barrier="  can't afford the new one "
    )
    assert (line.patient_takes, line.barrier, line.discrepancy) == (
        True,
        "can't afford the new one",
        Discrepancy.STOPPED_BUT_TAKEN,
    )
    line = actions.do_record_patient_takes(world.alice, line, takes=False)
    assert line.discrepancy == Discrepancy.NONE


# --- deciding and completing ------------------------------------------------------------------------------------
def _two_discrepancies(world: World) -> tuple[Reconciliation, dict[str, Medication]]:
    """Metformin at a different dose on the discharge list, lisinopril left off it (an omission), atorvastatin
    the same on both, amlodipine stopped by the hospital, apixaban new."""
    meds = {
        "Metformin": metformin(world.alice, world.paula),
        "Lisinopril": _lisinopril(world),
        "Atorvastatin": _lisinopril(world, name="Atorvastatin", dose="20 mg", times=["21:00"]),
        "Amlodipine": _lisinopril(world, name="Amlodipine", dose="5 mg"),
    }
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula, encounter=_discharge(world))
    add = actions.do_add_discharge_line
    add(world.alice, reconciliation, name="Metformin", dose="1000 mg tablet")
    add(world.alice, reconciliation, name="Atorvastatin", dose="20 mg")
    add(world.alice, reconciliation, name="Amlodipine", dose="", says_stop=True)
    add(world.alice, reconciliation, name="Apixaban", dose="5 mg tablet")
    return reconciliation, meds


def _decide_all(world: World, reconciliation: Reconciliation) -> None:
    decide = actions.do_decide_line
    decide(world.alice, _line(reconciliation, "Metformin"), decision="change-dose", new_dose="1000 mg tablet")
    decide(
        world.alice, _line(reconciliation, "Lisinopril"), decision="continue", note="PCP wants it continued"
    )
    decide(world.alice, _line(reconciliation, "Atorvastatin"), decision="continue")
    decide(world.alice, _line(reconciliation, "Amlodipine"), decision="stop")
    decide(world.alice, _line(reconciliation, "Apixaban"), decision="new", new_times=["20:00", "08:00"])


def test_two_discrepancies_become_two_tasks_for_the_pharmacist(world: World) -> None:
    kevin = _pharmacist(world)
    reconciliation, _ = _two_discrepancies(world)
    _decide_all(world, reconciliation)
    actions.do_complete_reconciliation(world.alice, reconciliation, participants="the patient, her daughter")

    tasks = Task.objects.filter(patient=world.paula, rule="medication-reconciliation").order_by("title")
    assert [(t.title, t.owner, t.priority, t.case_id) for t in tasks] == [
        (
            "Medication reconciliation: dose mismatch, Metformin",
            kevin,
            TaskPriority.ROUTINE,
            world.paula_case.pk,
        ),
        ("Medication reconciliation: omission, Lisinopril", kevin, TaskPriority.ROUTINE, world.paula_case.pk),
    ]
    metformin_task = tasks[0]
    assert "Patient's list: 500 mg tablet. Discharge list: 1000 mg tablet." in metformin_task.description
    assert "Decided: change dose to 1000 mg tablet." in metformin_task.description
    assert _line(reconciliation, "Metformin").task == metformin_task
    assert _line(reconciliation, "Atorvastatin").task is None


def test_without_a_pharmacist_the_physician_gets_the_task_and_without_either_the_case_manager(
    world: World,
) -> None:
    metformin(world.alice, world.paula)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    actions.do_add_discharge_line(world.alice, reconciliation, name="Metformin", dose="850 mg")
    actions.do_decide_line(world.alice, _line(reconciliation, "Metformin"), decision="continue")
    actions.do_complete_reconciliation(world.alice, reconciliation, participants="the patient")
    assert Task.objects.get(rule="medication-reconciliation").owner == world.dana

    omar = other_patient(world)  # Alice's patient, no one on his care team
    actions.do_add_medication(
        world.alice, omar, name="Furosemide", dose="40 mg", instructions="", times=["08:00"], start_date=TODAY
    )
    his = actions.do_start_reconciliation(world.alice, omar)
    actions.do_add_discharge_line(world.alice, his, name="Furosemide", dose="80 mg")
    actions.do_decide_line(world.alice, _line(his, "Furosemide"), decision="continue")
    actions.do_complete_reconciliation(world.sam, his, participants="the patient by phone")
    assert Task.objects.get(rule="medication-reconciliation", patient=omar).owner == world.alice


def test_a_stopped_medicine_still_taken_is_urgent(world: World) -> None:
    metformin(world.alice, world.paula)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    actions.do_add_discharge_line(world.alice, reconciliation, name="Metformin", dose="", says_stop=True)
    actions.do_record_patient_takes(world.alice, _line(reconciliation, "Metformin"), takes=True)
    actions.do_decide_line(world.alice, _line(reconciliation, "Metformin"), decision="stop")
    actions.do_complete_reconciliation(world.alice, reconciliation, participants="the patient")
    task = Task.objects.get(rule="medication-reconciliation")
    assert (task.title, task.priority) == (
        "Medication reconciliation: stopped but taken, Metformin",
        TaskPriority.URGENT,
    )


def test_completing_applies_the_decisions_to_the_patients_list(world: World) -> None:
    reconciliation, meds = _two_discrepancies(world)
    _decide_all(world, reconciliation)
    done = actions.do_complete_reconciliation(
        world.alice, reconciliation, participants=" the patient, her daughter, Kevin Tran PharmD "
    )
    assert (done.status, done.completed_at, done.completed_by, done.participants) == (
        ReconciliationStatus.COMPLETED,
        NOW,
        world.alice,
        "the patient, her daughter, Kevin Tran PharmD",
    )
    for medication in meds.values():
        medication.refresh_from_db()
    # Continued: unchanged.
    assert (meds["Lisinopril"].end_date, meds["Atorvastatin"].end_date) == (None, None)
    # Stopped, and changed: their last dose was due yesterday.
    assert (meds["Amlodipine"].end_date, meds["Amlodipine"].stopped_reason) == (
        YESTERDAY,
        "Stopped at medication reconciliation.",
    )
    assert meds["Metformin"].end_date == YESTERDAY
    # Today's list, the portal's schedule, is the confirmed one.
    current = sorted(
        (m.name, m.dose, m.times, m.start_date) for m in queries.active_medications(world.paula, TODAY)
    )
    assert current == [
        ("Apixaban", "5 mg tablet", ["08:00", "20:00"], TODAY),
        ("Atorvastatin", "20 mg", ["21:00"], meds["Atorvastatin"].start_date),
        ("Lisinopril", "10 mg tablet", ["08:00"], meds["Lisinopril"].start_date),
        ("Metformin", "1000 mg tablet", ["08:00", "18:00"], TODAY),
    ]
    assert [(d.medication.name, d.slot) for d in queries.doses_for_day(world.paula, TODAY)][:2] == [
        ("Apixaban", "08:00"),
        ("Lisinopril", "08:00"),
    ]
    event = AuditEvent.objects.filter(object_type="Reconciliation", action=AuditAction.UPDATE).get()
    assert event.detail == "completed: 5 lines, 2 tasks"


def test_it_refuses_to_complete_until_every_line_is_decided_and_changes_nothing(world: World) -> None:
    reconciliation, _ = _two_discrepancies(world)
    actions.do_decide_line(world.alice, _line(reconciliation, "Metformin"), decision="continue")
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_complete_reconciliation(world.alice, reconciliation, participants="")
    assert refused.value.errors[""] == "4 lines are not decided yet: decide every line first."
    assert "participants" in refused.value.errors
    assert _state() == before


@pytest.mark.parametrize(
    ("name", "fields", "field"),
    [
        ("Apixaban", {"decision": "continue"}, "decision"),
        ("Metformin", {"decision": "change-dose", "new_dose": " "}, "new_dose"),
        ("Metformin", {"decision": "new", "new_dose": "5 mg"}, "decision"),
        ("Apixaban", {"decision": "new", "new_times": ["8 am"]}, "new_times"),
        ("Metformin", {"decision": "later"}, "decision"),
    ],
)
def test_it_refuses_a_decision_that_does_not_fit_the_line(
    world: World, name: str, fields: dict[str, Any], field: str
) -> None:
    reconciliation, _ = _two_discrepancies(world)
    before = _state()
    with pytest.raises(ActionRefused) as refused:
        actions.do_decide_line(world.alice, _line(reconciliation, name), **fields)
    assert field in refused.value.errors
    assert _state() == before


def test_a_completed_reconciliation_changes_no_more(world: World) -> None:
    reconciliation, _ = _two_discrepancies(world)
    _decide_all(world, reconciliation)
    actions.do_complete_reconciliation(world.alice, reconciliation, participants="the patient")
    line = _line(reconciliation, "Metformin")
    before = _state()
    for attempt in (
        lambda: actions.do_complete_reconciliation(world.alice, reconciliation, participants="again"),
        lambda: actions.do_decide_line(world.alice, line, decision="stop"),
        lambda: actions.do_record_patient_takes(world.alice, line, takes=False),
        lambda: actions.do_add_discharge_line(world.alice, reconciliation, name="Aspirin", dose="81 mg"),
    ):
        with pytest.raises(ActionRefused):
            attempt()
    assert _state() == before
    # The next one may start.
    assert actions.do_start_reconciliation(world.alice, world.paula).lines.count() == 4  # the confirmed list


def test_a_stranger_or_a_read_only_role_cannot_reconcile(world: World) -> None:
    metformin(world.alice, world.paula)
    reconciliation = actions.do_start_reconciliation(world.alice, world.paula)
    line = _line(reconciliation, "Metformin")
    before = _state()
    for user, refusal in ((world.charlie, NotVisible), (world.bob, NotVisible), (world.dana, ActionRefused)):
        with pytest.raises(refusal):
            actions.do_start_reconciliation(user, world.paula)
        with pytest.raises(refusal):
            actions.do_add_discharge_line(user, reconciliation, name="Aspirin", dose="81 mg")
        with pytest.raises(refusal):
            actions.do_record_patient_takes(user, line, takes=True)
        with pytest.raises(refusal):
            actions.do_decide_line(user, line, decision="continue")
        with pytest.raises(refusal):
            actions.do_complete_reconciliation(user, reconciliation, participants="x")
    assert _state() == before


def test_the_care_teams_pharmacist_may_reconcile(world: World) -> None:
    kevin = _pharmacist(world)
    metformin(world.alice, world.paula)
    reconciliation = actions.do_start_reconciliation(kevin, world.paula)
    assert reconciliation.started_by == kevin
