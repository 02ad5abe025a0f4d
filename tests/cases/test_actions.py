"""Changing cases: the status machine end to end, assignment and acuity, all through the do_* actions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import time_machine

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_assign_case, do_refer_case, do_set_acuity, do_transition_case
from careconductor.cases.choices import CaseStatus, ClosureReason, Program, ReferralSource
from careconductor.cases.models import Case, CaseAssignment, CaseStatusChange
from careconductor.cases.queries import caseloads, points_used_by
from careconductor.cases.rules import TransitionRequest
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.privacy.actions import do_record_consent, do_revoke_consent
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentType
from careconductor.privacy.models import AuditEvent, Consent
from tests.personas import World, make_staff

S = CaseStatus
# Tomorrow at 14:00 UTC (the same date in New York), so every step happens after the world was built.
START = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(hour=14, minute=0, second=0, microsecond=0)


@pytest.fixture
def carol(world: World) -> User:
    """A second experienced case manager on team North, who does not speak Spanish."""
    return make_staff(
        "carol",
        Role.CASE_MANAGER,
        world.riverside,
        team=world.north,
        experience=ExperienceLevel.EXPERT,
        capacity=60,
        languages=["en"],
    )


@contextmanager
def day(n: int) -> Iterator[None]:
    """The clock stands still on day n after START."""
    with time_machine.travel(START + dt.timedelta(days=n), tick=False):
        yield


def consent(
    world: World,
    user: User | None = None,
    *,
    given_on: dt.date | None = None,
    expires_on: dt.date | None = None,
    refused: bool = False,
) -> Consent:
    """Paula's consent to case management, recorded by Alice today unless told otherwise."""
    return do_record_consent(
        user or world.alice,
        world.paula,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=given_on or clock.today(),
        expires_on=expires_on,
        refused=refused,
    )


def move(user: User, case: Case, target: S, **fields: str) -> Case:
    return do_transition_case(user, case, TransitionRequest(target, **fields))


def enrol(world: World) -> Case:
    move(world.alice, world.paula_case, S.SCREENING)
    consent(world)
    return move(world.alice, world.paula_case, S.ACTIVE)


def snapshot(case: Case) -> tuple[object, ...]:
    """Everything a refused attempt must leave untouched."""
    fresh = Case.objects.get(pk=case.pk)
    return (
        fresh.status,
        fresh.enrolled_at,
        fresh.closed_at,
        fresh.closure_reason,
        fresh.primary_case_manager_id,
        fresh.acuity_tier,
        CaseStatusChange.objects.count(),
        CaseAssignment.objects.count(),
        AuditEvent.objects.count(),
    )


# --- the life of a case -----------------------------------------------------------------------------------


def test_a_case_goes_from_referral_to_closure_keeping_who_when_and_why(world: World) -> None:
    alice, paula = world.alice, world.paula
    case = world.paula_case
    assert case.status == S.REFERRED

    with day(1):
        case = move(alice, case, S.SCREENING)
    assert case.status == S.SCREENING

    with day(2):
        before = snapshot(case)
        with pytest.raises(ActionRefused) as refused:
            move(alice, case, S.ACTIVE)
        assert refused.value.errors == {
            "": "Record the patient's consent to case management before enrolling."
        }
        assert snapshot(case) == before, (
            "a refused enrolment writes nothing: no change, no status row, no audit"
        )

        consent(world)
        case = move(alice, case, S.ACTIVE)
    assert case.status == S.ACTIVE
    assert case.enrolled_at == START + dt.timedelta(days=2)
    assert (
        AuditEvent.objects.filter(
            user=alice,
            patient=paula,
            action=AuditAction.UPDATE,
            object_type="Case",
            object_id=str(case.pk),
            detail="status active",
            recorded_at=START + dt.timedelta(days=2),
        ).count()
        == 1
    )

    with day(10), pytest.raises(ActionRefused) as refused:
        move(alice, case, S.ON_HOLD)
    assert refused.value.errors == {"note": "Say why, so the next person understands."}
    with day(10):
        case = move(alice, case, S.ON_HOLD, note="  Admitted to hospital  ")
    with day(20):
        case = move(alice, case, S.ACTIVE)
    assert case.enrolled_at == START + dt.timedelta(days=2), "re-activation keeps the first enrolment date"

    with day(90), pytest.raises(ActionRefused) as refused:
        move(alice, case, S.CLOSED)
    assert set(refused.value.errors) == {"closure_reason", "closing_summary"}
    with day(90):
        case = move(
            alice,
            case,
            S.CLOSED,
            closure_reason=ClosureReason.GOALS_MET,
            closing_summary="  A1c under 8; PCP follows up.  ",
        )

    case = Case.objects.get(pk=case.pk)
    assert case.status == S.CLOSED
    assert case.closed_at == START + dt.timedelta(days=90)
    assert case.closure_reason == ClosureReason.GOALS_MET
    assert case.closing_summary == "A1c under 8; PCP follows up."
    assert not case.is_open

    history = [
        (c.from_status, c.to_status, c.changed_by.username, c.changed_at, c.note)
        for c in case.status_changes.select_related("changed_by")
    ]
    assert history[1:] == [
        (S.REFERRED, S.SCREENING, "alice", START + dt.timedelta(days=1), ""),
        (S.SCREENING, S.ACTIVE, "alice", START + dt.timedelta(days=2), ""),
        (S.ACTIVE, S.ON_HOLD, "alice", START + dt.timedelta(days=10), "Admitted to hospital"),
        (S.ON_HOLD, S.ACTIVE, "alice", START + dt.timedelta(days=20), ""),
        (S.ACTIVE, S.CLOSED, "alice", START + dt.timedelta(days=90), "Goals met"),
    ]
    assert history[0][:3] == ("", S.REFERRED, "alice")
    status_audits = AuditEvent.objects.filter(
        patient=paula, action=AuditAction.UPDATE, object_type="Case", detail__startswith="status"
    )
    assert [e.detail for e in status_audits.order_by("pk")] == [
        "status screening",
        "status active",
        "status on_hold",
        "status active",
        "status closed",
    ]


def test_a_closed_case_cannot_be_reopened(world: World) -> None:
    case = enrol(world)
    move(world.alice, case, S.CLOSED, closure_reason=ClosureReason.MOVED, closing_summary="Moved to Ohio.")
    with pytest.raises(ActionRefused) as refused:
        move(world.alice, case, S.ACTIVE)
    assert "the case is finished" in refused.value.errors[""]


def test_declining_keeps_the_note_and_finishes_the_case(world: World) -> None:
    with day(3):
        case = move(world.alice, world.paula_case, S.DECLINED, note="Prefers her daughter to coordinate")
    assert case.status == S.DECLINED
    assert case.closed_at == START + dt.timedelta(days=3)
    assert case.status_changes.last().note == "Prefers her daughter to coordinate"  # type: ignore[union-attr]


def test_closing_for_another_reason_keeps_the_description(world: World) -> None:
    case = enrol(world)
    case = move(
        world.alice,
        case,
        S.CLOSED,
        closure_reason=ClosureReason.OTHER,
        closure_reason_other=" Entered a research programme ",
        closing_summary="Handed over.",
    )
    assert Case.objects.get(pk=case.pk).closure_reason_other == "Entered a research programme"


def test_it_refuses_enrolment_without_a_case_manager_until_one_is_assigned(world: World) -> None:
    sam = world.sam
    case = do_refer_case(
        sam,
        world.paula,
        program=Program.TCM,
        referral_source=ReferralSource.HOSPITAL,
        referral_reason="Discharged after CHF admission",
        team=world.north,
    )
    move(sam, case, S.SCREENING)
    consent(world, sam)
    with pytest.raises(ActionRefused) as refused:
        move(sam, case, S.ACTIVE)
    assert refused.value.errors == {"case_manager": "Assign a case manager before enrolling."}

    do_assign_case(sam, case, world.alice)
    assert move(sam, case, S.ACTIVE).status == S.ACTIVE


# --- consent ----------------------------------------------------------------------------------------------


def test_revoking_consent_takes_effect_at_once(world: World) -> None:
    move(world.alice, world.paula_case, S.SCREENING)
    given = consent(world)
    do_revoke_consent(world.alice, given)
    with pytest.raises(ActionRefused) as refused:
        move(world.alice, world.paula_case, S.ACTIVE)
    assert "consent" in refused.value.errors[""]

    consent(world)
    assert move(world.alice, world.paula_case, S.ACTIVE).status == S.ACTIVE


def test_an_expired_consent_does_not_allow_enrolment(world: World) -> None:
    move(world.alice, world.paula_case, S.SCREENING)
    today = clock.today()
    consent(world, given_on=today - dt.timedelta(days=400), expires_on=today - dt.timedelta(days=1))
    with pytest.raises(ActionRefused):
        move(world.alice, world.paula_case, S.ACTIVE)


def test_a_recorded_refusal_of_consent_does_not_allow_enrolment(world: World) -> None:
    move(world.alice, world.paula_case, S.SCREENING)
    consent(world, refused=True)
    with pytest.raises(ActionRefused):
        move(world.alice, world.paula_case, S.ACTIVE)


def test_consent_to_something_else_does_not_allow_enrolment(world: World) -> None:
    move(world.alice, world.paula_case, S.SCREENING)
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.CCM_BILLING,
        method=ConsentMethod.WRITTEN,
        given_on=clock.today(),
    )
    with pytest.raises(ActionRefused):
        move(world.alice, world.paula_case, S.ACTIVE)


# --- who may change a case --------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["bob", "charlie", "uma", "pia", "mo"])
def test_people_without_a_relationship_cannot_find_the_case_to_change_it(world: World, persona: str) -> None:
    before = snapshot(world.paula_case)
    with pytest.raises(NotVisible):
        move(getattr(world, persona), world.paula_case, S.SCREENING)
    assert snapshot(world.paula_case) == before


def test_the_care_team_can_look_but_not_move_the_case(world: World) -> None:
    before = snapshot(world.paula_case)
    with pytest.raises(ActionRefused) as refused:
        move(world.dana, world.paula_case, S.SCREENING)
    assert "may look at this record but not make this change" in str(refused.value)
    assert snapshot(world.paula_case) == before


@pytest.mark.parametrize("persona", ["alice", "sam", "adam"])
def test_the_case_manager_supervisor_and_admin_can_move_the_case(world: World, persona: str) -> None:
    user = getattr(world, persona)
    case = move(user, world.paula_case, S.SCREENING)
    assert case.status_changes.last().changed_by == user  # type: ignore[union-attr]


def test_it_refuses_a_case_manager_from_another_organisation_on_referral(world: World) -> None:
    count = Case.objects.count()
    with pytest.raises(ActionRefused) as refused:
        do_refer_case(
            world.alice,
            world.paula,
            program=Program.CCM,
            referral_source=ReferralSource.PCP,
            referral_reason="Diabetes and COPD",
            team=world.north,
            case_manager=world.charlie,
        )
    assert "case_manager" in refused.value.errors
    assert Case.objects.count() == count


def test_a_case_manager_cannot_give_themselves_access_by_referring_a_patient_they_cannot_see(
    world: World,
) -> None:
    with pytest.raises((NotVisible, ActionRefused)):
        do_refer_case(
            world.bob,
            world.paula,
            program=Program.CCM,
            referral_source=ReferralSource.SELF,
            referral_reason="Wants help",
            team=world.north,
            case_manager=world.bob,
        )


# --- assignment -------------------------------------------------------------------------------------------


def test_the_supervisor_assigns_the_top_suggestion_without_a_reason(world: World, carol: User) -> None:
    # Paula speaks Spanish and her case is tier 3: Alice (proficient, Spanish) is the top suggestion.
    assignment = do_assign_case(world.sam, world.paula_case, world.alice)
    assert assignment.suggested_rank == 1
    assert assignment.was_eligible
    assert assignment.override_reason == ""
    assert assignment.assigned_by == world.sam


def test_it_refuses_a_lower_suggestion_without_a_reason(world: World, carol: User) -> None:
    before = snapshot(world.paula_case)
    with pytest.raises(ActionRefused) as refused:
        do_assign_case(world.sam, world.paula_case, carol)
    assert refused.value.errors == {
        "override_reason": "Carol Tester is not the top suggestion: give a reason."
    }
    assert snapshot(world.paula_case) == before


def test_it_refuses_an_ineligible_choice_without_a_reason(world: World) -> None:
    # Bob is competent, not proficient: not eligible for a tier 3 case.
    with pytest.raises(ActionRefused) as refused:
        do_assign_case(world.sam, world.paula_case, world.bob, override_reason="   ")
    assert refused.value.errors == {"override_reason": "Bob Tester is not eligible: give a reason."}
    assert Case.objects.get(pk=world.paula_case.pk).primary_case_manager == world.alice


def test_an_override_keeps_its_reason_and_moves_the_points(world: World, carol: User) -> None:
    alice, sam = world.alice, world.sam
    assert points_used_by([alice.pk, carol.pk]) == {alice.pk: 4}

    with day(5):
        assignment = do_assign_case(sam, world.paula_case, carol, override_reason="  Alice is on leave  ")

    assert assignment.suggested_rank == 2
    assert assignment.was_eligible
    assert assignment.override_reason == "Alice is on leave"
    assert assignment.assigned_at == START + dt.timedelta(days=5)
    case = Case.objects.get(pk=world.paula_case.pk)
    assert case.primary_case_manager == carol
    assert case.team == world.north
    assert points_used_by([alice.pk, carol.pk]) == {carol.pk: 4}
    loads = {row.profile.user.username: (row.load.open_cases, row.load.points) for row in caseloads(sam)}
    assert loads["carol"] == (1, 4)
    assert loads["alice"] == (0, 0)
    assert AuditEvent.objects.filter(
        user=sam, patient=world.paula, action=AuditAction.UPDATE, detail="assigned"
    ).exists()


def test_an_ineligible_choice_with_a_reason_is_kept_as_such(world: World) -> None:
    assignment = do_assign_case(world.sam, world.paula_case, world.bob, override_reason="Mentored by Alice")
    assert not assignment.was_eligible
    assert assignment.override_reason == "Mentored by Alice"
    assert Case.objects.get(pk=world.paula_case.pk).primary_case_manager == world.bob


def test_a_reason_given_for_the_top_suggestion_is_not_kept_as_an_override(world: World) -> None:
    assignment = do_assign_case(world.sam, world.paula_case, world.alice, override_reason="Because")
    assert assignment.override_reason == ""


def test_a_case_manager_cannot_assign_cases(world: World, carol: User) -> None:
    before = snapshot(world.paula_case)
    with pytest.raises(ActionRefused):
        do_assign_case(world.alice, world.paula_case, carol, override_reason="Swap")
    assert snapshot(world.paula_case) == before


def test_people_without_a_relationship_cannot_assign(world: World) -> None:
    with pytest.raises(NotVisible):
        do_assign_case(world.bob, world.paula_case, world.bob, override_reason="Mine now")
    with pytest.raises(NotVisible):
        do_assign_case(world.charlie, world.paula_case, world.charlie, override_reason="Mine now")


def test_it_refuses_staff_from_another_organisation(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_assign_case(world.sam, world.paula_case, world.charlie, override_reason="Speaks Spanish")
    assert "case_manager" in refused.value.errors


def test_it_refuses_to_assign_a_finished_case(world: World) -> None:
    case = move(world.alice, world.paula_case, S.INELIGIBLE, note="Outside the service area")
    with pytest.raises(ActionRefused) as refused:
        do_assign_case(world.sam, case, world.alice)
    assert refused.value.errors == {"": "Only an open case can be assigned."}


# --- acuity -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tier", [0, 5, -1])
def test_it_refuses_an_acuity_tier_outside_1_to_4(world: World, tier: int) -> None:
    before = snapshot(world.paula_case)
    with pytest.raises(ActionRefused) as refused:
        do_set_acuity(world.alice, world.paula_case, tier)
    assert refused.value.errors == {"acuity_tier": "Acuity tier must be 1 to 4."}
    assert snapshot(world.paula_case) == before


def test_raising_acuity_is_recorded_and_weighs_on_the_caseload(world: World) -> None:
    alice = world.alice
    with day(4):
        do_set_acuity(alice, world.paula_case, 4, note=" New dialysis schedule ")
    case = Case.objects.get(pk=world.paula_case.pk)
    assert case.acuity_tier == 4
    change = case.status_changes.last()
    assert change is not None
    assert (change.from_status, change.to_status) == (S.REFERRED, S.REFERRED)
    assert change.note == "Acuity tier 3 → 4: New dialysis schedule"
    assert change.changed_at == START + dt.timedelta(days=4)
    assert points_used_by([alice.pk]) == {alice.pk: 6}
    assert AuditEvent.objects.filter(user=alice, patient=world.paula, detail="acuity 4").exists()


def test_the_care_team_cannot_change_acuity(world: World) -> None:
    with pytest.raises(ActionRefused):
        do_set_acuity(world.dana, world.paula_case, 1)
    with pytest.raises(NotVisible):
        do_set_acuity(world.bob, world.paula_case, 1)
    assert Case.objects.get(pk=world.paula_case.pk).acuity_tier == 3


def test_the_acuity_of_a_finished_case_cannot_change(world: World) -> None:
    case = move(world.alice, world.paula_case, S.DECLINED, note="Declined at first call")
    with pytest.raises(ActionRefused):
        do_set_acuity(world.alice, case, 1)
