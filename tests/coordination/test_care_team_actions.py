"""The care team through the actions: adding members, the lead, ending a membership. The clock and world of
test_followup_actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from careconductor.accounts.choices import Discipline, Role
from careconductor.cases.models import Case
from careconductor.coordination.actions import (
    do_add_holiday,
    do_create_task,
    do_move_task,
    do_remove_holiday,
    do_reset_cadence,
    do_set_cadence,
)
from careconductor.coordination.calendar import holiday_set
from careconductor.coordination.choices import (
    TaskStatus,
)
from careconductor.coordination.models import (
    CadenceRule,
)
from careconductor.coordination.rules import add_business_days
from careconductor.coordination.worklist import cadence_of, cadence_table
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import (
    do_add_care_team_member,
    do_end_care_team_member,
    do_set_care_team_lead,
)
from careconductor.patients.models import CareTeamMember
from careconductor.privacy import policy
from careconductor.privacy.choices import AuditAction

from ..personas import World, build_world, make_staff
from .test_followup_actions import (
    MONDAY,
    at,
    audit_rows,
    day,
    new_patient,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    """The clock stands still at 09:00 on MONDAY until a test moves it (as in test_followup_actions)."""
    with time_machine.travel(at(MONDAY, 9), tick=False) as t:
        yield t


@pytest.fixture
def world(db: None, traveller: time_machine.Traveller) -> World:
    return build_world()


# --- The care team ------------------------------------------------------------------------------------------------
def test_someone_outside_the_system_needs_a_name_and_a_way_to_reach_them(world: World) -> None:
    members = CareTeamMember.objects.count()
    with pytest.raises(ActionRefused) as refused:
        do_add_care_team_member(
            world.alice, world.paula, role="Daughter, main caregiver", category="caregiver"
        )
    assert set(refused.value.errors) == {"name", "phone"}
    with pytest.raises(ActionRefused) as refused:
        do_add_care_team_member(world.alice, world.paula, role="Daughter", name="Rosa Reyes")
    assert set(refused.value.errors) == {"phone"}
    with pytest.raises(ActionRefused) as refused:
        do_add_care_team_member(world.alice, world.paula, role=" ", name="Rosa Reyes", phone="555-0101")
    assert set(refused.value.errors) == {"role"}
    assert CareTeamMember.objects.count() == members
    rosa = do_add_care_team_member(
        world.alice, world.paula, role="Daughter", name="Rosa Reyes", email="rosa@example.org"
    )
    assert rosa.is_external and rosa.display_name == "Rosa Reyes"
    assert audit_rows(object_type="CareTeamMember", object_id=str(rosa.pk), action=AuditAction.CREATE) == 1


def test_membership_opens_the_chart_for_its_period_only(
    world: World, traveller: time_machine.Traveller
) -> None:
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    member = do_add_care_team_member(
        world.alice,
        world.paula,
        member=world.bob,
        role="Covering case manager",
        start_date=day(2),
        end_date=day(5),
    )
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)  # not started yet
    traveller.move_to(at(day(2), 9))
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)
    traveller.move_to(at(day(5), 23, 59))
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)  # the last day counts
    traveller.move_to(at(day(6), 0, 1))
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    # Ending a membership early closes the chart the next day.
    traveller.move_to(at(day(3), 9))
    do_end_care_team_member(world.alice, member, end_date=day(3), reason="Alice is back")
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)
    traveller.move_to(at(day(4), 9))
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    assert audit_rows(object_type="CareTeamMember", object_id=str(member.pk), detail="ended") == 1


def test_ending_a_membership_needs_a_reason_and_a_date_after_it_began(world: World) -> None:
    member = CareTeamMember.objects.get(patient=world.paula, user=world.dana)
    with pytest.raises(ActionRefused) as refused:
        do_end_care_team_member(world.alice, member, reason=" ")
    assert set(refused.value.errors) == {"reason"}
    with pytest.raises(ActionRefused) as refused:
        do_end_care_team_member(world.alice, member, end_date=day(-1), reason="Left")
    assert set(refused.value.errors) == {"end_date"}
    member.refresh_from_db()
    assert member.end_date is None


def test_the_team_has_one_lead_at_a_time(world: World, traveller: time_machine.Traveller) -> None:
    dana = CareTeamMember.objects.get(patient=world.paula, user=world.dana)
    rosa = do_add_care_team_member(
        world.alice, world.paula, role="Daughter", name="Rosa Reyes", phone="555-0101", is_lead=True
    )
    do_set_care_team_lead(world.alice, dana)
    assert list(world.paula.care_team.filter(is_lead=True)) == [dana]
    nurse = do_add_care_team_member(
        world.alice, world.paula, role="Nurse", name="Ann", phone="1", is_lead=True
    )
    assert list(world.paula.care_team.filter(is_lead=True)) == [nurse]
    do_end_care_team_member(world.alice, rosa, end_date=clock.today(), reason="Moved away")
    traveller.move_to(at(day(1), 9))
    with pytest.raises(ActionRefused):
        do_set_care_team_lead(world.alice, rosa)  # a past member cannot lead
    with pytest.raises(ActionRefused):
        do_set_care_team_lead(world.dana, dana)  # a care-team member reads, does not change
    assert list(world.paula.care_team.filter(is_lead=True)) == [nurse]
    assert audit_rows(object_type="CareTeamMember", detail="lead", user=world.alice) == 1


def test_a_task_given_to_someone_opens_the_chart_to_them_until_it_is_done(world: World) -> None:
    """privacy/policy.py: the owner of an open task has a relationship to its patient (read only); a finished
    task ends it. Charlie (no relationship to Paula) is the colleague the work goes to."""
    case = new_patient(world, "Tove")
    patient = case.patient
    charlie = make_staff("carl", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    assert not policy.can(charlie, policy.Action.VIEW, patient)
    task = do_create_task(
        world.alice,
        patient,
        owner=charlie,
        title="Review the medicines",
        due_at=clock.now() + dt.timedelta(days=1),
    )
    assert policy.can(charlie, policy.Action.VIEW, patient)
    assert not policy.may(
        charlie, policy.Action.CHANGE, patient
    )  # read only: nothing else lets him change it
    do_move_task(charlie, task, TaskStatus.COMPLETED)
    assert not policy.can(charlie, policy.Action.VIEW, patient)


def test_only_an_administrator_sets_the_cadence_and_days_off_and_they_take_effect(world: World) -> None:
    """The follow-up settings page's actions: a programme row replaces the tier default (docs/coordination.md);
    an office day off stops counting as a business day for the transitional-care call."""
    with pytest.raises(ActionRefused):
        do_set_cadence(world.sam, program="ccm", acuity_tier=2, interval_days=10, mode="phone")
    with pytest.raises(ActionRefused) as refused:
        do_set_cadence(world.adam, program="ccm", acuity_tier=2, interval_days=0, mode="fax")
    assert set(refused.value.errors) == {"interval_days", "mode"}
    assert not CadenceRule.objects.exists()
    rule = do_set_cadence(
        world.adam, program="ccm", acuity_tier=2, interval_days=10, mode="video", by_whom="CHW"
    )
    assert (
        cadence_of(Case(program="ccm", acuity_tier=2), cadence_table(world.riverside.pk)).interval_days == 10
    )
    do_reset_cadence(world.adam, rule)
    assert (
        cadence_of(Case(program="ccm", acuity_tier=2), cadence_table(world.riverside.pk)).interval_days == 30
    )

    friday = dt.date(2026, 12, 4)
    monday = friday + dt.timedelta(days=3)
    assert add_business_days(
        friday, 2, holiday_set(world.riverside.pk, friday, monday + dt.timedelta(7))
    ) == (monday + dt.timedelta(days=1))
    holiday = do_add_holiday(world.adam, date=monday, name="Staff training day (offices closed)")
    with pytest.raises(ActionRefused):
        do_add_holiday(world.adam, date=monday, name="Again")
    days_off = holiday_set(world.riverside.pk, friday, monday + dt.timedelta(7))
    assert add_business_days(friday, 2, days_off) == monday + dt.timedelta(days=2)
    do_remove_holiday(world.adam, holiday)
    assert monday not in holiday_set(world.riverside.pk, friday, monday)
