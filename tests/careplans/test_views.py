"""The care plan screens end to end through the test client: from an assessment's findings to a plan in force,
approved, agreed and printed; errors beside their fields; read-only care team; the page query budgets."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.careplans import actions
from careconductor.careplans.choices import GoalLifecycle, PlanStatus, VersionStatus
from careconductor.careplans.models import CarePlan, Goal, Intervention
from careconductor.coordination.choices import TaskKind
from careconductor.coordination.models import Task
from careconductor.core import clock

from ..assessments.helpers import phq9_answers, record
from ..personas import World

pytestmark = pytest.mark.django_db

AHC_FOOD_TRANSPORT = None  # the AHC answers come from the demo helpers below


def _plan(world: World) -> CarePlan:
    return CarePlan.objects.get(case=world.paula_case, status__in=[PlanStatus.DRAFT, PlanStatus.ACTIVE])


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def test_from_findings_to_an_approved_agreed_printed_plan(world: World, login) -> None:
    record(world.alice, world.paula, "phq-9", phq9_answers(16))
    client = login(world.alice)
    case_page = _text(client.get(reverse("cases:detail", args=[world.paula_case.pk])))
    assert "No care plan yet" in case_page and "Start a care plan" in case_page

    started = client.post(reverse("careplans:start", args=[world.paula_case.pk]))
    plan = _plan(world)
    assert started["Location"] == reverse("careplans:plan", args=[plan.pk])
    page = _text(client.get(started["Location"]))
    assert "Depression symptoms (PHQ-9" in page  # the finding is offered as a problem
    assert "Not agreed with the patient" in page

    finding_id = re.search(r'name="finding" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    client.post(reverse("careplans:add_problems", args=[plan.pk]), {"finding": finding_id})
    problem = plan.problems.get()
    assert problem.condition.category == "health-concern"

    added = client.post(
        reverse("careplans:goal_new", args=[plan.pk]),
        {
            "patient_words": "Quiero volver a disfrutar de mis nietos.",
            "statement": "PHQ-9 below 10 within 12 weeks",
            "problems": [str(problem.pk)],
            "proposed_by": "patient",
            "agreement": "agreed",
            "patient_rank": "1",
            "measure": "phq9",
            "target_value": "10",
        },
    )
    assert added.status_code == 302
    goal = Goal.objects.get(plan=plan)
    assert goal.baseline_value == 16  # taken from the PHQ-9 on record, not typed

    client.post(
        reverse("careplans:template_apply", args=[plan.pk, "depression"]),
        {
            "goals": [
                g.key
                for g in __import__("careconductor.careplans.library", fromlist=["x"])
                .template("depression")
                .goals[:1]
            ],
            "problem": str(problem.pk),
        },
    )
    assert plan.goals.count() == 2

    sent = client.post(reverse("careplans:publish", args=[plan.pk]), {"reason": ""})
    assert sent.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT  # complex case management needs the supervisor's approval
    assert "Awaiting approval" in _text(client.get(reverse("careplans:plan", args=[plan.pk])))
    assert Task.objects.filter(owner=world.sam, kind=TaskKind.PLAN_APPROVAL).exists()

    supervisor = login(world.sam)
    supervisor.post(reverse("careplans:decide", args=[plan.pk, 1]), {"decision": "approve", "comment": ""})
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE and plan.current_version == 1
    goal.refresh_from_db()
    assert goal.lifecycle == GoalLifecycle.ACTIVE

    client = login(world.alice)
    today = clock.today().isoformat()  # an agreement cannot be older than the version it agrees to
    client.post(
        reverse("careplans:agreement", args=[plan.pk]),
        {"agreed_on": today, "method": "in-person", "agreed_by": "patient"},
    )
    page = _text(client.get(reverse("careplans:plan", args=[plan.pk])))
    assert f"Agreed by the patient on {today}" in page and "Not agreed with the patient" not in page

    printed = _text(client.get(reverse("careplans:print", args=[plan.pk])))
    assert "Quiero volver a disfrutar de mis nietos." in printed and 'lang="es"' in printed
    pdf = client.get(reverse("careplans:pdf", args=[plan.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_an_active_plan_changes_into_a_new_version_that_can_be_compared(
    world: World, login, settings
) -> None:
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    plan = actions.do_create_plan(world.alice, world.paula_case)
    goal = actions.do_add_goal(
        world.alice,
        plan,
        patient_words="Walk to church",
        proposed_by="patient",
        measure="steps",
        target_value=3000,
    )
    actions.do_publish(world.alice, plan, reason="")
    client = login(world.alice)
    client.post(
        reverse("careplans:goal_edit", args=[goal.pk]),
        {
            "patient_words": "Walk to church every Sunday",
            "proposed_by": "patient",
            "agreement": "agreed",
            "measure": "steps",
            "target_value": "3000",
        },
    )
    page = _text(client.get(reverse("careplans:plan", args=[plan.pk])))
    assert "Changes not yet in force" in page
    refused = client.post(reverse("careplans:publish", args=[plan.pk]), {"reason": ""})
    assert refused.status_code == 400 and "Say why the plan changed." in _text(refused)
    client.post(reverse("careplans:publish", args=[plan.pk]), {"reason": "Patient added Sundays"})
    compared = _text(client.get(reverse("careplans:versions", args=[plan.pk]) + "?a=1&b=2"))
    assert "Walk to church every Sunday" in compared and "Patient added Sundays" in compared
    assert 'class="old">Walk to church<' in compared


def test_form_errors_show_beside_their_fields_and_change_nothing(world: World, login) -> None:
    plan = actions.do_create_plan(world.alice, world.paula_case)
    client = login(world.alice)
    response = client.post(
        reverse("careplans:goal_new", args=[plan.pk]),
        {
            "patient_words": "",
            "proposed_by": "team",
            "agreement": "not-asked",
            "measure": "food",
            "target_value": "3",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_patient_words_error"' in body and 'id="id_target_value_error"' in body
    assert not plan.goals.exists()
    bad = client.post(
        reverse("careplans:decision_new", args=[plan.pk]),
        {
            "question": "Insulin or more tablets?",
            "option_1": "Insulin",
            "what_matters": "",
            "decision": "x",
            "participants": "Paula",
            "decided_on": clock.today().isoformat(),
        },
    )
    assert bad.status_code == 400 and "at least two options" in bad.content.decode()
    assert not plan.decisions.exists()


def test_a_care_team_physician_reads_the_plan_but_cannot_change_it(world: World, login) -> None:
    plan = actions.do_create_plan(world.alice, world.paula_case)
    client = login(world.dana)
    page = _text(client.get(reverse("careplans:plan", args=[plan.pk])))
    assert plan.title in page and "Add a goal" not in page
    refused = client.post(
        reverse("careplans:goal_new", args=[plan.pk]),
        {
            "patient_words": "x",
            "proposed_by": "team",
            "agreement": "not-asked",
            "measure": "food",
            "target_text": "x",
        },
    )
    assert refused.status_code in (403, 400) and not plan.goals.exists()


def _add_goals(world: World, plan: CarePlan, count: int) -> None:
    problem = plan.problems.first() or actions.do_add_problem_by_hand(
        world.alice, plan, title="Diabetes self-care"
    )
    for n in range(count):
        goal = actions.do_add_goal(
            world.alice,
            plan,
            problem_ids=[problem.pk],
            patient_words=f"Goal {n}",
            proposed_by="patient",
            measure="hba1c",
            target_value=8,
        )
        actions.do_add_step(world.alice, goal, text=f"Step {n}")
        actions.do_add_barrier(world.alice, goal, kind="cost", description="Test strips cost too much")
        actions.do_add_intervention(
            world.alice,
            plan,
            goal=goal,
            kind="education",
            title=f"Teach {n}",
            owner_type="staff",
            owner=world.alice,
        )


def _full_plan(world: World, goals: int) -> CarePlan:
    plan = actions.do_create_plan(world.alice, world.paula_case)
    _add_goals(world, plan, goals)
    return plan


PLAN_PAGE_BUDGET = 45
GOAL_PAGE_BUDGET = 30


def _count(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_plan_and_goal_pages_cost_the_same_queries_for_one_goal_or_seven(world: World, login) -> None:
    plan = _full_plan(world, 1)
    client = login(world.alice)
    url = reverse("careplans:plan", args=[plan.pk])
    goal_url = reverse("careplans:goal", args=[plan.goals.get().pk])
    small, small_goal = _count(client, url), _count(client, goal_url)
    _add_goals(world, plan, 6)
    large = _count(client, url)
    assert small == large <= PLAN_PAGE_BUDGET
    assert _count(client, goal_url) == small_goal <= GOAL_PAGE_BUDGET


def test_staff_interventions_become_tasks_when_the_plan_comes_into_force(world: World, settings) -> None:
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    plan = _full_plan(world, 2)
    assert not Intervention.objects.filter(plan=plan, task__isnull=False).exists()
    actions.do_publish(world.alice, plan, reason="")
    assert Intervention.objects.filter(plan=plan, task__isnull=False).count() == 2
    assert plan.versions.get().status == VersionStatus.IN_FORCE
