"""Reading cases: lists and filters only ever show visible cases, reads are audited, caseloads stay cheap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import Team, User
from careconductor.cases.actions import do_register_and_refer, do_transition_case
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.cases.queries import access_case, assignment_candidates, case_list, caseloads
from careconductor.cases.rules import TransitionRequest
from careconductor.core.errors import NotVisible
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent
from tests.personas import World, make_staff


def refer(
    user: User,
    given: str,
    *,
    team: Team,
    manager: User | None,
    program: Program = Program.CCM,
    tier: int = 2,
) -> Case:
    patient = do_register_and_refer(
        user,
        PatientDetails(given_name=given, family_name="Tester", birth_date=dt.date(1950, 1, 1), sex=Sex.MALE),
        program=program,
        referral_source=ReferralSource.PCP,
        referral_reason="Frequent admissions",
        team=team,
        case_manager=manager,
        acuity_tier=tier,
    )
    return Case.objects.get(patient=patient)


@dataclass
class Board:
    """Team North's cases as Sam sees them, plus cases nobody on North may see."""

    paula: Case  # complex, referred, Alice
    quinn: Case  # CCM, declined a week ago, Bob
    rosa: Case  # transitional care, referred, nobody assigned yet
    south: Case  # another team's case in the same organisation
    lake: Case  # Charlie's case in another organisation


@pytest.fixture
def board(world: World) -> Board:
    now = timezone.now()
    with time_machine.travel(now - dt.timedelta(days=7), tick=False):
        quinn = refer(world.bob, "Quinn", team=world.north, manager=world.bob)
        quinn = do_transition_case(world.bob, quinn, TransitionRequest(CaseStatus.DECLINED, note="Not now"))
    with time_machine.travel(now + dt.timedelta(minutes=1), tick=False):
        rosa = refer(world.sam, "Rosa", team=world.north, manager=None, program=Program.TCM)
    sue = make_staff("sue", Role.SUPERVISOR, world.riverside)
    south_team = Team.objects.create(organization=world.riverside, name="South", supervisor=sue)
    carl = make_staff("carl", Role.CASE_MANAGER, world.riverside, team=south_team, capacity=40)
    south = refer(carl, "Sid", team=south_team, manager=carl)
    lake_team = Team.objects.get(organization=world.lakeside)
    lake = refer(world.charlie, "Lars", team=lake_team, manager=world.charlie)
    return Board(world.paula_case, quinn, rosa, south, lake)


def pks(cases: object) -> set[int]:
    return {c.pk for c in cases}  # type: ignore[attr-defined]


# --- case_list --------------------------------------------------------------------------------------------


def test_the_supervisor_sees_the_cases_of_his_team_and_no_others(world: World, board: Board) -> None:
    assert pks(case_list(world.sam)) == pks([board.paula, board.quinn, board.rosa])


def test_a_case_manager_sees_only_her_own_cases(world: World, board: Board) -> None:
    assert pks(case_list(world.alice)) == {board.paula.pk}
    assert pks(case_list(world.bob)) == {board.quinn.pk}
    assert pks(case_list(world.charlie)) == {board.lake.pk}


def test_the_admin_sees_every_case_in_the_organisation_only(world: World, board: Board) -> None:
    assert pks(case_list(world.adam)) == pks([board.paula, board.quinn, board.rosa, board.south])


def test_open_means_not_yet_finished(world: World, board: Board) -> None:
    assert pks(case_list(world.sam, status="open")) == pks([board.paula, board.rosa])


def test_a_status_filter_matches_that_status_only(world: World, board: Board) -> None:
    assert pks(case_list(world.sam, status="declined")) == {board.quinn.pk}
    assert pks(case_list(world.sam, status="referred")) == pks([board.paula, board.rosa])
    assert pks(case_list(world.sam, status="active")) == set()


def test_a_program_filter_matches_that_program_only(world: World, board: Board) -> None:
    assert pks(case_list(world.sam, program=Program.CCM)) == {board.quinn.pk}
    assert pks(case_list(world.sam, program=Program.TCM)) == {board.rosa.pk}
    assert pks(case_list(world.sam, status="open", program=Program.CCM)) == set()


def test_case_manager_zero_means_unassigned(world: World, board: Board) -> None:
    assert pks(case_list(world.sam, case_manager_id=0)) == {board.rosa.pk}


def test_a_case_manager_filter_matches_their_cases(world: World, board: Board) -> None:
    assert pks(case_list(world.sam, case_manager_id=world.alice.pk)) == {board.paula.pk}
    assert pks(case_list(world.sam, case_manager_id=world.bob.pk)) == {board.quinn.pk}


def test_filters_never_reach_past_what_the_user_may_see(world: World, board: Board) -> None:
    assert pks(case_list(world.sam, case_manager_id=world.charlie.pk)) == set()
    assert pks(case_list(world.alice, case_manager_id=world.bob.pk)) == set()
    assert pks(case_list(world.alice, case_manager_id=0)) == set()
    assert pks(case_list(world.charlie, program=Program.COMPLEX)) == set()


@pytest.mark.parametrize("persona", ["uma", "pia", "mo"])
def test_function_roles_see_no_cases(world: World, board: Board, persona: str) -> None:
    assert list(case_list(getattr(world, persona))) == []


def test_the_newest_referral_comes_first(world: World, board: Board) -> None:
    assert [c.pk for c in case_list(world.sam)] == [board.rosa.pk, board.paula.pk, board.quinn.pk]


# --- access_case ------------------------------------------------------------------------------------------


def test_opening_a_case_is_an_audited_read(world: World) -> None:
    case = access_case(world.alice, world.paula_case.pk)
    assert case == world.paula_case
    event = AuditEvent.objects.filter(action=AuditAction.READ).get()
    assert (event.user, event.patient, event.role) == (world.alice, world.paula, Role.CASE_MANAGER)
    assert (event.object_type, event.object_id) == ("Case", str(case.pk))


@pytest.mark.parametrize("persona", ["bob", "charlie", "uma"])
def test_a_case_you_may_not_see_looks_missing(world: World, persona: str) -> None:
    with pytest.raises(NotVisible):
        access_case(getattr(world, persona), world.paula_case.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.READ).exists()


def test_a_case_that_does_not_exist_looks_the_same(world: World) -> None:
    with pytest.raises(NotVisible):
        access_case(world.alice, 10**9)


# --- caseloads --------------------------------------------------------------------------------------------


def test_the_supervisor_sees_his_team_points_against_capacity(world: World, board: Board) -> None:
    rows = {row.profile.user.username: row for row in caseloads(world.sam)}
    # Sam carries no cases himself (capacity 0); Dana is not a case manager; Carl is on South.
    assert set(rows) == {"alice", "bob"}
    alice, bob = rows["alice"], rows["bob"]
    assert (alice.load.open_cases, alice.load.points, alice.load.capacity, alice.load.percent) == (
        1,
        4,
        60,
        7,
    )
    # Bob's only case was declined, so it no longer weighs on him.
    assert (bob.load.open_cases, bob.load.points, bob.load.percent) == (0, 0, 0)


def test_the_admin_sees_every_team(world: World, board: Board) -> None:
    assert {row.profile.user.username for row in caseloads(world.adam)} == {"alice", "bob", "carl"}


def test_a_case_manager_supervises_nobody(world: World, board: Board) -> None:
    assert caseloads(world.alice) == []


def test_caseloads_cost_the_same_few_queries_however_many_staff_and_cases(
    world: World,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    budget = 3

    def render(user: User) -> list[tuple[str, str, int, int, int]]:
        return [
            (
                r.profile.user.display_name(),
                str(r.profile.team),
                r.load.open_cases,
                r.load.points,
                r.load.percent,
            )
            for r in caseloads(user)
        ]

    with django_assert_max_num_queries(budget):
        small = render(world.sam)
    assert len(small) == 2

    for n in range(4):
        extra = make_staff(
            f"extra{n}",
            Role.CASE_MANAGER,
            world.riverside,
            team=world.north,
            experience=ExperienceLevel.EXPERT,
            capacity=30,
        )
        for k in range(2):
            refer(extra, f"Pat{n}{k}", team=world.north, manager=extra, tier=k + 1)

    with django_assert_max_num_queries(budget):
        large = render(world.sam)
    assert len(large) == 6
    assert {(row[2], row[3]) for row in large if row[0].startswith("Extra")} == {(2, 3)}


# --- assignment candidates --------------------------------------------------------------------------------


def test_candidates_come_from_the_case_organisation_only(world: World, board: Board) -> None:
    names = {r.candidate.name for r in assignment_candidates(world.paula_case)}
    assert names == {"Alice Tester", "Bob Tester", "Carl Tester"}
    assert "Charlie Tester" not in names
    lake_names = {r.candidate.name for r in assignment_candidates(board.lake)}
    assert lake_names == {"Charlie Tester"}


def test_the_current_manager_is_not_charged_twice_for_the_case(world: World) -> None:
    alice = next(r for r in assignment_candidates(world.paula_case) if r.candidate.name == "Alice Tester")
    assert alice.candidate.points_used == 0
    assert alice.eligible and alice.shares_language
