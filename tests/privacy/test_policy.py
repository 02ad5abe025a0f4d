"""Who may see, change and assign a patient's record: the one access policy, persona by persona."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.cases.actions import do_refer_case, do_transition_case
from careconductor.cases.choices import CaseStatus, ClosureReason, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.cases.rules import TransitionRequest
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import do_add_care_team_member
from careconductor.patients.models import CareTeamMember
from careconductor.privacy import policy
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType
from tests.personas import World, make_staff

A = policy.Action


# Paula's record, persona by persona: (view, change, assign).
PAULA_ACCESS = {
    "alice": (True, True, False),  # her case manager
    "bob": (False, False, False),  # same team, no relationship
    "sam": (True, True, True),  # supervisor of the team holding her case
    "dana": (True, False, False),  # on her care team: reads only
    "adam": (True, True, True),  # administrator of the organisation
    "uma": (False, False, False),  # UM reviewer: no chart access here
    "pia": (False, False, False),  # privacy officer: no chart access here
    "mo": (False, False, False),  # medical director: no chart access here
    "charlie": (False, False, False),  # another organisation
}


@pytest.mark.parametrize(
    ("persona", "action", "expected"),
    [
        (persona, action, answers[i])
        for persona, answers in PAULA_ACCESS.items()
        for i, action in enumerate((A.VIEW, A.CHANGE, A.ASSIGN))
    ],
)
def test_who_may_do_what_with_paulas_record(world: World, persona: str, action: A, expected: bool) -> None:
    user = getattr(world, persona)
    assert policy.may(user, action, world.paula) is expected
    if expected:
        policy.require(user, action, world.paula)
    else:
        # Without a relationship the record is "not there"; with one, the role is refused.
        sees = PAULA_ACCESS[persona][0]
        with pytest.raises(ActionRefused if sees else NotVisible):
            policy.require(user, action, world.paula)


@pytest.mark.parametrize("persona", PAULA_ACCESS)
def test_visible_patients_agrees_with_the_table(world: World, persona: str) -> None:
    user = getattr(world, persona)
    assert (world.paula in policy.visible_patients(user)) is PAULA_ACCESS[persona][0]


def test_only_case_staff_may_register_patients(world: World) -> None:
    allowed = {name for name in PAULA_ACCESS if policy.can_create_patients(getattr(world, name))}
    assert allowed == {"alice", "bob", "sam", "adam", "charlie"}


def test_an_anonymous_visitor_sees_nothing(world: World) -> None:
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not policy.may(anonymous, A.VIEW, world.paula)  # type: ignore[arg-type]
    assert not policy.can_create_patients(anonymous)  # type: ignore[arg-type]


def test_an_admin_of_another_organisation_never_sees_paula(world: World) -> None:
    lars = make_staff("lars", Role.ADMIN, world.lakeside)
    assert world.paula not in policy.visible_patients(lars)
    for action in A:
        assert not policy.may(lars, action, world.paula)
    with pytest.raises(NotVisible):
        policy.require(lars, A.VIEW, world.paula)


def test_a_case_manager_made_a_supervisor_elsewhere_gains_nothing_here(world: World) -> None:
    # Charlie supervising a team does not reach across organisations.
    world.north.supervisor = world.charlie
    world.north.save()
    assert not policy.may(world.charlie, A.VIEW, world.paula)


# --- relationship windows ---------------------------------------------------------------------------------


def close_paulas_case(world: World) -> Case:
    case = do_transition_case(world.alice, world.paula_case, TransitionRequest(CaseStatus.SCREENING))
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today(),
    )
    case = do_transition_case(world.alice, case, TransitionRequest(CaseStatus.ACTIVE))
    return do_transition_case(
        world.alice,
        case,
        TransitionRequest(
            CaseStatus.CLOSED, closure_reason=ClosureReason.GOALS_MET, closing_summary="Stable."
        ),
    )


def test_a_closed_case_stays_visible_to_its_manager_for_90_days_then_not(world: World) -> None:
    closed_at = timezone.now() + dt.timedelta(days=1)
    with time_machine.travel(closed_at, tick=False):
        close_paulas_case(world)
        assert policy.may(world.alice, A.VIEW, world.paula)

    with time_machine.travel(closed_at + dt.timedelta(days=90), tick=False):
        assert policy.may(world.alice, A.VIEW, world.paula)
        assert policy.may(world.sam, A.VIEW, world.paula)

    with time_machine.travel(closed_at + dt.timedelta(days=90, seconds=1), tick=False):
        assert not policy.may(world.alice, A.VIEW, world.paula)
        assert not policy.may(world.sam, A.VIEW, world.paula)
        assert world.paula not in policy.visible_patients(world.alice)
        # The care team and the administrator keep their own reasons to see her.
        assert policy.may(world.dana, A.VIEW, world.paula)
        assert policy.may(world.adam, A.VIEW, world.paula)


def test_a_declined_case_also_closes_the_door_after_90_days(world: World) -> None:
    declined_at = timezone.now() + dt.timedelta(days=1)
    with time_machine.travel(declined_at, tick=False):
        do_transition_case(world.alice, world.paula_case, TransitionRequest(CaseStatus.DECLINED, note="No"))
    with time_machine.travel(declined_at + dt.timedelta(days=91), tick=False):
        assert not policy.may(world.alice, A.VIEW, world.paula)


def test_an_old_closed_case_is_not_reopened_by_someone_elses_open_case(world: World) -> None:
    closed_at = timezone.now() + dt.timedelta(days=1)
    with time_machine.travel(closed_at, tick=False):
        close_paulas_case(world)
    with time_machine.travel(closed_at + dt.timedelta(days=100), tick=False):
        do_refer_case(
            world.sam,
            world.paula,
            program=Program.TCM,
            referral_source=ReferralSource.HOSPITAL,
            referral_reason="Readmitted",
            team=world.north,
            case_manager=world.bob,
        )
        assert policy.may(world.bob, A.VIEW, world.paula)
        assert not policy.may(world.alice, A.VIEW, world.paula), "Alice's old case must not count"


def test_care_team_membership_grants_access_only_between_its_dates(world: World) -> None:
    today = clock.today()
    membership = do_add_care_team_member(
        world.alice,
        world.paula,
        member=world.bob,
        role="Pharmacist",
        start_date=today + dt.timedelta(days=10),
    )
    # There is no action to end a membership yet, so the end date is set on the row.
    CareTeamMember.objects.filter(pk=membership.pk).update(end_date=today + dt.timedelta(days=20))
    noon = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))

    def sees_on(days: int) -> bool:
        with time_machine.travel(noon + dt.timedelta(days=days), tick=False):
            assert clock.today() == today + dt.timedelta(days=days)
            return policy.may(world.bob, A.VIEW, world.paula)

    assert [sees_on(d) for d in (0, 9, 10, 15, 20, 21)] == [False, False, True, True, True, False]


def test_a_care_team_member_never_changes_the_record_even_while_on_the_team(world: World) -> None:
    assert policy.may(world.dana, A.VIEW, world.paula)
    assert not policy.may(world.dana, A.CHANGE, world.paula)
    assert not policy.may(world.dana, A.ASSIGN, world.paula)


def test_visible_patients_lists_a_patient_once_however_many_relationships(world: World) -> None:
    # Alice manages two of Paula's cases and is also on her care team; Sam supervises both cases.
    do_refer_case(
        world.alice,
        world.paula,
        program=Program.TCM,
        referral_source=ReferralSource.HOSPITAL,
        referral_reason="Discharged",
        team=world.north,
        case_manager=world.alice,
    )
    do_add_care_team_member(world.alice, world.paula, member=world.alice, role="Nurse navigator")
    for user in (world.alice, world.sam):
        visible = list(policy.visible_patients(user))
        assert visible == [world.paula]
        assert policy.visible_patients(user).count() == 1
