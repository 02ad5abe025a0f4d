"""The case list and the case page (chart/case_page.py): what they cost in queries however much a case has, and
the care plan card they show."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.careplans import actions as plan_actions
from careconductor.careplans.choices import PlanStatus
from careconductor.cases.actions import do_register_and_refer, do_set_acuity
from careconductor.cases.choices import Program, ReferralSource
from careconductor.coordination.actions import do_create_task
from careconductor.core import clock
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex

from ..personas import World

pytestmark = pytest.mark.django_db

# The case manager's own open cases with her open tasks (issue 18: 41 before, 23 in November): the request's
# session, log-in and second-factor device, the filter's staff, the page's count and cases, the tasks with their
# owners and queues (they were read one query per task), the emergency-access lookup and one audit batch
# (savepoint, chain head, insert, head update, release), the session saved (savepoint, update, release).
CASE_LIST_BUDGET = 16
# One case with a draft plan (issue 18: 40 before, 28 in November): the request 3, the case, the header 4 (open
# cases, flags, recent discharge, allergies) and its MRN, history 2, consent 1, the policy 3 (sees the patient, a
# standing relationship, case staff: who reads sensitive records), acuity suggestion 2, assessments due 4
# (programme rules, the instruments' versions in one, done, depression), follow-up 7 (last contact, last reached,
# cadence, and the unable-to-reach state: last reached, portal use, failed attempts, protocol steps), the plan
# card 3 (the plan in one, its versions, goals), the tasks, the emergency-access lookup and one audit batch 6, the
# session 3.
CASE_PAGE_BUDGET = 41


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _patient_with_task(world: World, n: int) -> None:
    patient = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name=f"Extra{n}", family_name="Zed", birth_date=dt.date(1950, 1, 1 + n), sex=Sex.MALE
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="test",
    )
    do_create_task(
        world.alice,
        patient,
        owner=world.alice,
        title=f"Call Extra{n}",
        due_at=clock.now() + dt.timedelta(days=1),
    )


def _case_work(world: World, n: int) -> None:
    """n more tasks, history entries and goals on Paula's case."""
    plan = plan_actions.do_create_plan(world.alice, world.paula_case) if n == 1 else None
    plan = plan or world.paula_case.care_plans.get(status=PlanStatus.DRAFT)
    for i in range(n):
        do_create_task(
            world.alice,
            world.paula,
            owner=world.alice,
            title=f"Follow up {i}",
            due_at=clock.now() + dt.timedelta(days=1),
            case_id=world.paula_case.pk,
        )
        world.paula_case.refresh_from_db()
        do_set_acuity(world.alice, world.paula_case, 2 + i % 3, note=f"review {i}")
        plan_actions.do_add_goal(
            world.alice,
            plan,
            patient_words=f"Goal {i}",
            proposed_by="patient",
            measure="hba1c",
            target_value=8,
        )


def test_the_case_list_costs_the_same_queries_for_one_task_or_seven(world: World, login) -> None:
    client = login(world.alice)
    url = reverse("cases:list")
    _patient_with_task(world, 1)
    small = _count(client, url)
    for n in range(2, 8):
        _patient_with_task(world, n)
    large = _count(client, url)
    body = client.get(url).content.decode()
    assert body.count("Call Extra") == 7 and "Alice Tester" in body
    assert small == large <= CASE_LIST_BUDGET, (small, large)


def test_the_case_page_costs_the_same_queries_for_little_or_much_work(world: World, login) -> None:
    client = login(world.alice)
    url = reverse("cases:detail", args=[world.paula_case.pk])
    _case_work(world, 1)
    small = _count(client, url)
    _case_work(world, 6)
    large = _count(client, url)
    body = client.get(url).content.decode()
    # Every task and acuity change; the card shows six goals.
    assert body.count("Follow up ") == 7 and body.count("“Goal ") == 6 and "review 5" in body
    assert small == large <= CASE_PAGE_BUDGET, (small, large)


def test_the_plan_card_shows_the_plan_being_worked_on_else_the_last_one_ended(world: World, login) -> None:
    client = login(world.alice)
    url = reverse("cases:detail", args=[world.paula_case.pk])
    assert "No care plan yet" in client.get(url).content.decode()
    first = plan_actions.do_create_plan(world.alice, world.paula_case, title="First plan")
    plan_actions.do_end_plan(world.alice, first, PlanStatus.REVOKED, reason="Started again")
    page = client.get(url).content.decode()
    assert "The last plan was revoked" in page and "Start a care plan" in page
    plan_actions.do_create_plan(world.alice, world.paula_case, title="Second plan")
    page = client.get(url).content.decode()
    assert "Second plan" in page and "The last plan was" not in page and "Start a care plan" not in page
    assert "Second plan" in client.get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
