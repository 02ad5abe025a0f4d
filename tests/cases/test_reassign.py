"""Bulk reassignment (issue 17 §4): a supervisor moves several of one person's open cases to a colleague, with
the open tasks the old case manager held on them; all or nothing; the new owner is told once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer, do_transition_case
from careconductor.cases.choices import CaseStatus, Program, ReferralSource
from careconductor.cases.models import Case, CaseAssignment
from careconductor.cases.reassign import do_reassign_cases
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.actions import do_create_task
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.models import Notification, Task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.privacy.models import AuditEvent

from ..personas import World, make_staff
from ..shared import ModuleDb

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Ids:
    erin: int  # proficient, speaks Spanish: the top suggestion for Paula's tier 3 case
    nell: int  # a novice
    tess: int  # supervisor of another team
    omar_case: int  # Alice's tier 2 case
    vic_case: int  # Alice's tier 1 case, left where it is
    paula_task: int  # Alice's task under Paula's case
    omar_task: int  # Alice's task about Omar under no case
    vic_task: int  # Alice's task about Vic: stays
    dana_task: int  # Dana's task about Paula: not Alice's, stays


def _patient(world: World, given: str, tier: int) -> Case:
    patient = do_register_and_refer(
        world.alice,
        PatientDetails(given_name=given, family_name="Moves", birth_date=dt.date(1950, 5, 5), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Two chronic conditions",
        acuity_tier=tier,
    )
    return Case.objects.get(patient=patient)


def _build(world: World) -> Ids:
    erin = make_staff(
        "erin",
        Role.CASE_MANAGER,
        world.riverside,
        team=world.north,
        experience=ExperienceLevel.PROFICIENT,
        capacity=60,
        languages=["en", "es"],
    )
    nell = make_staff(
        "nell",
        Role.CASE_MANAGER,
        world.riverside,
        team=world.north,
        experience=ExperienceLevel.NOVICE,
        capacity=60,
    )
    tess = make_staff("tess", Role.SUPERVISOR, world.riverside)
    omar, vic = _patient(world, "Omar", 2), _patient(world, "Vic", 1)
    due = clock.now() + dt.timedelta(days=3)

    def task(owner: User, case: Case, title: str, *, filed: bool = True) -> int:
        return do_create_task(
            world.alice,
            case.patient,
            owner=owner,
            title=title,
            due_at=due,
            case_id=case.pk if filed else None,
        ).pk

    return Ids(
        erin=erin.pk,
        nell=nell.pk,
        tess=tess.pk,
        omar_case=omar.pk,
        vic_case=vic.pk,
        paula_task=task(world.alice, world.paula_case, "Review the insulin plan"),
        omar_task=task(world.alice, omar, "Call Omar", filed=False),
        vic_task=task(world.alice, vic, "Call Vic"),
        dana_task=task(world.dana, world.paula_case, "See Paula in clinic"),
    )


@pytest.fixture(scope="module")
def shared_ids(module_db: ModuleDb, shared_world: World) -> Ids:
    return module_db.build(_build, shared_world)


@pytest.fixture
def ids(shared_ids: Ids, world: World) -> Ids:
    return shared_ids


def cases(world: World, ids: Ids) -> list[Case]:
    return [world.paula_case, Case.objects.get(pk=ids.omar_case)]


def owner(task_id: int) -> int | None:
    return Task.objects.get(pk=task_id).owner_id


def test_the_cases_move_with_the_old_managers_open_tasks_and_the_new_owner_is_told_once(
    world: World, ids: Ids
) -> None:
    erin = User.objects.get(pk=ids.erin)
    made = do_reassign_cases(world.sam, cases(world, ids), erin, reason="Alice is on long leave")

    assert [a.case_id for a in made] == sorted([world.paula_case.pk, ids.omar_case])
    assert set(Case.objects.filter(primary_case_manager=erin).values_list("pk", flat=True)) == {
        world.paula_case.pk,
        ids.omar_case,
    }
    assert Case.objects.get(pk=ids.vic_case).primary_case_manager_id == world.alice.pk
    rows = CaseAssignment.objects.filter(case_manager=erin)
    assert {(r.reason, r.suggested_rank, r.was_eligible, r.override_reason) for r in rows} == {
        ("Alice is on long leave", 1, True, "")
    }
    # Alice's tasks on the two cases (filed under the case, or about its patient under none) go with them.
    assert owner(ids.paula_task) == owner(ids.omar_task) == erin.pk
    assert owner(ids.vic_task) == world.alice.pk and owner(ids.dana_task) == world.dana.pk
    [told] = Notification.objects.filter(user=erin)
    assert told.kind == NotificationKind.HANDOVER
    assert told.title == "2 cases handed over to you with 2 open tasks by Sam Tester"
    assert "Alice is on long leave" in told.body and "Paula Reyes" in told.body
    assert told.url == f"/cases/?status=open&case_manager={erin.pk}"
    audited = AuditEvent.objects.filter(user=world.sam, detail="reassigned (bulk)")
    assert set(audited.values_list("patient_id", flat=True)) == {
        world.paula.pk,
        Case.objects.get(pk=ids.omar_case).patient_id,
    }


def test_a_tier_3_case_to_a_competent_colleague_needs_an_override_reason_and_nothing_moves_without_it(
    world: World, ids: Ids
) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_reassign_cases(world.sam, cases(world, ids), world.bob, reason="Balancing caseloads")
    assert refused.value.errors == {
        "override_reason": "Bob Tester may not take them all: Paula Reyes (Complex case management, tier 3): "
        "tier 3 needs proficient or expert staff (competent). Give a reason to choose them anyway."
    }
    assert Case.objects.filter(primary_case_manager=world.alice).count() == 3
    assert owner(ids.paula_task) == owner(ids.omar_task) == world.alice.pk
    assert not CaseAssignment.objects.filter(case_manager=world.bob).exists()
    assert not Notification.objects.filter(user=world.bob).exists()

    do_reassign_cases(
        world.sam,
        cases(world, ids),
        world.bob,
        reason="Balancing",
        override_reason="Bob has known Paula for years",
    )
    row = CaseAssignment.objects.get(case=world.paula_case, case_manager=world.bob)
    assert not row.was_eligible and row.override_reason == "Bob has known Paula for years"


def test_a_case_closed_meanwhile_refuses_the_whole_move_naming_it(world: World, ids: Ids) -> None:
    omar_case = Case.objects.get(pk=ids.omar_case)
    do_transition_case(world.alice, omar_case, TransitionRequest(CaseStatus.DECLINED, note="Moved away"))
    with pytest.raises(ActionRefused) as refused:
        do_reassign_cases(world.sam, cases(world, ids), User.objects.get(pk=ids.erin), reason="Leave")
    assert refused.value.errors == {
        "cases": "Omar Moves (Chronic care management, tier 2) is declined. Nothing was moved."
    }
    assert Case.objects.get(pk=world.paula_case.pk).primary_case_manager_id == world.alice.pk
    assert owner(ids.paula_task) == world.alice.pk


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("alice", ActionRefused),  # a case manager does not reassign
        ("charlie", NotVisible),  # another organisation's cases are not found
    ],
)
def test_only_supervisors_and_administrators_reassign_cases_they_see(
    world: World, ids: Ids, who: str, refusal: type[Exception]
) -> None:
    user = getattr(world, who)
    if who == "charlie":
        user.role = Role.SUPERVISOR  # even a supervisor there, giving Riverside's cases to himself
    new_manager = world.charlie if who == "charlie" else User.objects.get(pk=ids.erin)
    with pytest.raises(refusal):
        do_reassign_cases(user, cases(world, ids), new_manager, reason="x")


def test_input_is_checked_beside_its_field(world: World, ids: Ids) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_reassign_cases(world.sam, [], world.charlie, reason=" ")
    assert set(refused.value.errors) == {"cases", "reason", "case_manager"}


# --- The page ------------------------------------------------------------------------------------------------
def page(staff_id: int) -> str:
    return reverse("cases:reassign", args=[staff_id])


def test_the_caseloads_page_leads_to_reassigning_a_persons_cases(world: World, ids: Ids, login) -> None:
    body = login(world.sam).get(reverse("cases:caseloads")).content.decode()
    assert page(world.alice.pk) in body and reverse("cases:covers") in body


def test_the_page_suggests_for_the_selection_and_moves_it(
    world: World, ids: Ids, login, django_assert_max_num_queries
) -> None:
    client = login(world.sam)
    first = client.get(page(world.alice.pk)).content.decode()
    assert "Reyes, Paula" in first and "Moves, Omar" in first and "Suggest a case manager" in first
    assert "Reassign 2 cases" not in first

    selected = {"cases": [world.paula_case.pk, ids.omar_case]}
    suggested = client.get(page(world.alice.pk), selected).content.decode()
    assert "Who takes 2 cases (6 points)" in suggested
    assert suggested.index("Erin Tester") < suggested.index("Bob Tester")
    assert "tier 3 needs proficient or expert staff (novice)" in suggested  # Nell's row says why not

    refused = client.post(page(world.alice.pk), {**selected, "case_manager": ids.erin, "reason": ""})
    assert refused.status_code == 400 and 'id="id_reason_error"' in refused.content.decode()
    assert Case.objects.filter(primary_case_manager=world.alice).count() == 3

    done = client.post(page(world.alice.pk), {**selected, "case_manager": ids.erin, "reason": "Leave"})
    assert done.status_code == 302 and done["Location"] == reverse("cases:caseloads")
    assert Case.objects.filter(primary_case_manager_id=ids.erin).count() == 2


def test_the_page_costs_the_same_queries_for_one_case_as_for_three(
    world: World, ids: Ids, login, django_assert_max_num_queries
) -> None:
    client = login(world.sam)
    counts = []
    for chosen in ([world.paula_case.pk], [world.paula_case.pk, ids.omar_case, ids.vic_case]):
        with django_assert_max_num_queries(PAGE_BUDGET) as captured:
            assert client.get(page(world.alice.pk), {"cases": chosen}).status_code == 200
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1], counts


# The page: session, user, second factor and organisation (4), the person (1), their open cases (1), the staff
# who carry cases and their points (2), the audit of the reads (6: as the worklist's), the session save (3).
PAGE_BUDGET = 17


@pytest.mark.parametrize("who", ["tess", "bob"])
def test_a_supervisor_of_another_team_and_a_case_manager_cannot_open_it(
    world: World, ids: Ids, login, who: str
) -> None:
    user = User.objects.get(pk=ids.tess) if who == "tess" else world.bob
    response = login(user).get(page(world.alice.pk))
    assert response.status_code in (403, 404) and "Reyes" not in response.content.decode()


def test_nonsense_in_the_selection_is_ignored(world: World, ids: Ids, login) -> None:
    client = login(world.sam)
    response = client.get(page(world.alice.pk), {"cases": ["abc", "99999999999999999999", str(ids.vic_case)]})
    assert response.status_code == 200 and "Who takes 1 case (1 point)" in response.content.decode()


def test_the_case_history_shows_why_it_changed_hands(world: World, ids: Ids, login) -> None:
    do_reassign_cases(world.sam, cases(world, ids), User.objects.get(pk=ids.erin), reason="Alice is on leave")
    body = login(world.sam).get(reverse("cases:detail", args=[world.paula_case.pk])).content.decode()
    assert "Assigned to Erin Tester (suggestion #1) – Alice is on leave" in body
