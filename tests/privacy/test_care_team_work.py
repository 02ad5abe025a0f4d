"""What a care-team member may do on a patient whose care team they are on: one table in privacy.policy
(CARE_TEAM_WORK, issue 17 §4), checked here against the expectation written out per discipline, then end to end
for a pharmacist (a contact, time that counts toward the month's billing, a medication) and against those who
may not: a physician on medications, an administrative member, a member given only a task, a member whose place
on the team has ended."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.accounts.choices import Discipline, Role
from careconductor.coordination.actions import ContactInput, do_create_task, do_log_contact, do_log_time
from careconductor.coordination.billing import month_facts
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.medications.actions import do_add_medication
from careconductor.patients.actions import do_add_care_team_member, do_add_note
from careconductor.patients.models import CareTeamMember
from careconductor.privacy import policy
from careconductor.privacy.policy import Action

from ..personas import World, make_staff

pytestmark = pytest.mark.django_db

WORK = (Action.LOG_CONTACT, Action.WRITE_NOTE, Action.LOG_TIME, Action.MESSAGE, Action.MEDICATIONS)
# Written out, not derived from the table it checks: contacts, notes, time and messages for the clinical
# disciplines; the medication list for pharmacists only; nothing for administration or privacy staff.
EXPECTED = {
    Discipline.NURSE: {"log_contact", "write_note", "log_time", "message"},
    Discipline.SOCIAL_WORK: {"log_contact", "write_note", "log_time", "message"},
    Discipline.CHW: {"log_contact", "write_note", "log_time", "message"},
    Discipline.PHYSICIAN: {"log_contact", "write_note", "log_time", "message"},
    Discipline.THERAPIST: {"log_contact", "write_note", "log_time", "message"},
    Discipline.PHARMACIST: {"log_contact", "write_note", "log_time", "message", "medications"},
    Discipline.ADMINISTRATION: set(),
    Discipline.PRIVACY: set(),
}


def _member(world: World, discipline: Discipline, username: str):  # type: ignore[no-untyped-def]
    user = make_staff(username, Role.CARE_TEAM, world.riverside, discipline=discipline)
    do_add_care_team_member(world.alice, world.paula, member=user, role=discipline.label)
    return user


@pytest.mark.parametrize("discipline", list(Discipline))
def test_each_discipline_on_the_care_team_does_its_share_and_never_changes_the_case(
    world: World, discipline: Discipline
) -> None:
    member = _member(world, discipline, f"m-{discipline.value}")
    allowed = {a.value for a in WORK if policy.may(member, a, world.paula)}
    assert allowed == EXPECTED[discipline]
    assert policy.allowed_actions(member, world.paula) == {Action.VIEW, *(Action(a) for a in allowed)}
    assert not policy.may(member, Action.CHANGE, world.paula)
    assert not policy.may(member, Action.ASSIGN, world.paula)


def test_case_staff_do_all_of_it_and_strangers_none(world: World) -> None:
    assert all(policy.may(world.alice, a, world.paula) for a in WORK)
    assert not any(policy.may(world.bob, a, world.paula) for a in WORK)  # her colleague, no relationship
    assert not any(policy.may(world.charlie, a, world.paula) for a in WORK)  # another organisation


def test_a_pharmacist_logs_a_contact_and_time_that_count_toward_billing_and_keeps_the_medications(
    world: World,
) -> None:
    kevin = _member(world, Discipline.PHARMACIST, "kevin")
    now = clock.now()
    do_log_contact(
        kevin,
        world.paula,
        ContactInput(contact_at=now - dt.timedelta(hours=1), mode="phone", direction="outbound", reached=True,
                     minutes=15),
        case=world.paula_case,
    )  # fmt: skip
    do_log_time(kevin, world.paula, on=clock.today(), activity="medication", minutes=10,
                case=world.paula_case)  # fmt: skip
    do_add_medication(kevin, world.paula, name="Metformin", dose="500 mg tablet", instructions="With food",
                      times=["08:00", "18:00"], start_date=clock.today())  # fmt: skip
    (month,) = month_facts(world.riverside.pk, clock.today(), [world.paula.pk])
    assert sorted(e.minutes for e in month.facts.entries) == [10, 15]


def test_the_work_is_refused_outside_the_discipline_or_the_care_team(world: World) -> None:
    dana = world.dana  # physician on Paula's care team
    with pytest.raises(ActionRefused):
        do_add_medication(
            dana, world.paula, name="X", dose="1", instructions="", times=[], start_date=clock.today()
        )
    clerk = _member(world, Discipline.ADMINISTRATION, "clerk")
    with pytest.raises(ActionRefused):
        do_add_note(clerk, world.paula, text="Called about parking")
    # A care-team member given a task on another patient of Alice's reads that chart but writes nothing there.
    pam = make_staff("pam", Role.CARE_TEAM, world.riverside, discipline=Discipline.PHARMACIST)
    do_create_task(
        world.alice, world.paula, owner=pam, title="Check the inhaler technique", due_at=clock.now()
    )
    assert policy.can(pam, Action.VIEW, world.paula)
    assert not policy.may(pam, Action.LOG_CONTACT, world.paula)
    # Once Dana's place on the team ends, so does her share of the work (and her access).
    CareTeamMember.objects.filter(user=dana).update(
        start_date=clock.today() - dt.timedelta(days=30), end_date=clock.today() - dt.timedelta(days=1)
    )
    with pytest.raises(NotVisible):
        do_add_note(dana, world.paula, text="Late note")


def test_nobody_files_a_note_with_a_label_they_could_not_read_back(world: World) -> None:
    from careconductor.privacy.choices import Sensitivity

    with pytest.raises(ActionRefused) as refused:
        do_add_note(world.adam, world.paula, text="Opioid programme letter", sensitivity=Sensitivity.PART2)
    assert "sensitivity" in refused.value.errors
    with pytest.raises(ActionRefused):
        do_add_note(world.dana, world.paula, text="Session notes", sensitivity=Sensitivity.PSYCHOTHERAPY)
    assert do_add_note(world.alice, world.paula, text="Methadone 60 mg", sensitivity=Sensitivity.PART2).pk
