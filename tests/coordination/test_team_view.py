"""The supervisor's team view (coordination/team.py): per-person counts in a few aggregate queries that say
exactly what the worklist's items say, the same caseload load as the caseloads page, and a query count that
does not grow with the people and cases of the teams (issue 18)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.cases.actions import do_refer_case
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.queries import caseloads
from careconductor.coordination.actions import do_raise_flag, do_set_cadence
from careconductor.coordination.escalation import do_escalate_overdue_tasks
from careconductor.coordination.models import Contact
from careconductor.coordination.reach import with_portal_activity
from careconductor.coordination.rules import Band
from careconductor.coordination.team import team_view
from careconductor.coordination.worklist import (
    Worklist,
    build_team_worklist,
    compute,
    team_cases,
    team_tasks,
)

from ..personas import World, build_world, make_staff
from .test_followup_actions import at, enrol, log
from .test_worklist import caseload, discharge, patient_of, task

pytestmark = pytest.mark.django_db

START = dt.date(2027, 2, 1)  # Monday: the cases are enrolled
TODAY = dt.date(2027, 3, 8)  # Monday five weeks later: the supervisor opens the team view


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(at(START, 9), tick=False) as t:
        yield t


@pytest.fixture
def world(db: None, traveller: time_machine.Traveller) -> World:
    return build_world()


def team_worklist_from_the_log(user: User) -> Worklist:
    """build_team_worklist as it was before the last reached moment was stored on the patient: each case's
    looked up in the contact log."""
    last = (
        Contact.objects.filter(patient_id=OuterRef("patient_id"), reached=True)
        .order_by("-contact_at")
        .values("contact_at")[:1]
    )
    cases = with_portal_activity(team_cases(user).annotate(last_success=Subquery(last)))
    return compute(
        list(cases.select_related("patient", "primary_case_manager")), team_tasks(user), user, reviews=False
    )


def counted_from_items(worklist: Worklist) -> dict[str, tuple[int, int, int, int, int]]:
    """What the team view counted before issue 18, item by item over every work item of the teams:
    (contacts overdue, due today, tasks overdue, escalated, discharge deadlines) per username."""
    counts: dict[int, Counter[str]] = {}
    for item in worklist.items:
        row = counts.setdefault(item.staff_id or 0, Counter())
        if item.kind in ("contact", "outreach") and item.band == Band.CONTACT:
            row["contacts_overdue" if item.overdue else "due_today"] += 1
        elif item.kind in ("task", "alert") and item.overdue:
            row["tasks_overdue"] += 1
            task = worklist.tasks.get(item.task_id or 0)
            row["escalated"] += 1 if task is not None and task.escalated_to_id else 0
        elif item.kind == "transition" and item.band == Band.TRANSITION:
            row["transitions"] += 1
    names = dict(User.objects.values_list("pk", "username"))
    keys = ("contacts_overdue", "due_today", "tasks_overdue", "escalated", "transitions")
    return {names[pk]: tuple(c[k] for k in keys) for pk, c in counts.items() if pk}  # type: ignore[misc]


def test_the_counts_are_the_worklists_own(world: World, traveller: time_machine.Traveller) -> None:
    """Every kind of work the team view counts, on Alice's and Bob's cases, against the item-by-item count."""
    alice, bob = world.alice, world.bob
    do_set_cadence(world.adam, program=Program.BEHAVIOURAL, acuity_tier=2, interval_days=10, mode="phone")
    enrol(world, world.paula_case)  # tier 3, complex: overdue since Feb 15, never reached
    tess = patient_of(world, bob, "Tess", tier=4).patient  # reached Mar 1: due today
    brenda = patient_of(world, bob, "Brenda", program=Program.BEHAVIOURAL).patient  # 10 days: due Mar 8 too
    una = patient_of(world, bob, "Una").patient  # three failed attempts: the unable-to-reach steps
    trina = patient_of(world, alice, "Trina").patient  # one failed attempt: still the cadence
    hal = patient_of(world, alice, "Hal").patient  # discharged home on Friday
    rita = patient_of(world, alice, "Rita").patient  # a task overdue and escalated
    for k, hour in enumerate((9, 14, 18)):
        traveller.move_to(at(dt.date(2027, 2, 22 + k), hour))
        log(bob, una, at(dt.date(2027, 2, 22 + k), hour), reached=False)
    traveller.move_to(at(dt.date(2027, 2, 26), 10))
    log(bob, brenda, at(dt.date(2027, 2, 26), 9))
    traveller.move_to(at(dt.date(2027, 3, 1), 10))
    for who, patient in ((bob, tess), (alice, trina), (alice, hal), (alice, rita)):
        log(who, patient, at(dt.date(2027, 3, 1), 9))
    task(alice, rita, "Send the diet leaflet", dt.date(2027, 3, 2), priority="urgent")
    traveller.move_to(at(dt.date(2027, 3, 4), 10))
    log(alice, trina, at(dt.date(2027, 3, 4), 9), reached=False)
    do_escalate_overdue_tasks()
    discharge(alice, hal, dt.date(2027, 3, 5))
    traveller.move_to(at(TODAY, 8))
    do_raise_flag(alice, hal, text="Fell at home", rule="test-falls")

    view = team_view(world.sam)
    got = {
        r.profile.user.username: (
            r.contacts_overdue,
            r.due_today,
            r.tasks_overdue,
            r.escalated,
            r.transitions,
        )
        for r in view.rows
    }
    # The reference reads the contact log itself, as before the moment was stored on the patient.
    expected = counted_from_items(team_worklist_from_the_log(world.sam))
    assert counted_from_items(build_team_worklist(world.sam)) == expected
    assert got["alice"] == expected["alice"] == (1, 0, 1, 1, 1)
    # Tess and Brenda are due today; Una's attempts put her on the unable-to-reach steps, overdue.
    assert got["bob"] == expected["bob"] == (1, 2, 0, 0, 0)
    assert [r.profile.user.username for r in view.rows][:2] == ["alice", "bob"]  # the most behind first

    # The urgent table: the same items, in the same order, as the full list ranked.
    full = team_worklist_from_the_log(world.sam).items
    wanted = [i for i in full if i.band == Band.URGENT or (i.overdue and i.band <= Band.TRANSITION)]
    assert [(i.kind, i.patient_id) for i in view.urgent] == [(i.kind, i.patient_id) for i in wanted]
    # Hal's alert, Rita's urgent task, Paula's overdue contact, Una's unable-to-reach step (Hal's discharge
    # contact is due tomorrow, so not yet overdue).
    assert {i.kind for i in view.urgent} == {"flag", "task", "contact", "outreach"}
    assert set(view.patients) == {i.patient_id for i in view.urgent}


def test_the_team_view_and_the_caseloads_page_give_one_load(
    world: World, traveller: time_machine.Traveller, login
) -> None:
    """Alice carries a North case and a South case: both pages weigh both (the team view used to count only
    the cases of the supervisor's own teams, and showed her at half the load the caseloads page did)."""
    south = Team.objects.create(organization=world.riverside, name="South", supervisor=world.adam)
    enrol(world, world.paula_case)  # tier 3: 4 points, North
    do_refer_case(
        world.sam,
        world.paula,
        program=Program.BEHAVIOURAL,
        referral_source=ReferralSource.PCP,
        referral_reason="Low mood",
        team=south,
        case_manager=world.alice,
        acuity_tier=4,
    )
    client = login(world.sam)
    team_rows = {
        r.profile.user.username: r.load for r in client.get(reverse("coordination:team")).context["rows"]
    }
    page = client.get(reverse("cases:caseloads"))
    caseload_rows = {r.profile.user.username: r.load for r in page.context["rows"]}
    assert team_rows["alice"] == caseload_rows["alice"]
    assert (team_rows["alice"].open_cases, team_rows["alice"].points, team_rows["alice"].percent) == (
        2,
        10,
        17,
    )
    assert "10 / 60 (17%)" in page.content.decode()
    assert {r.profile.user.username: r.load for r in caseloads(world.sam)}["alice"] == team_rows["alice"]


def test_the_team_view_costs_the_same_queries_however_many_people_and_cases(
    world: World, traveller: time_machine.Traveller, login
) -> None:
    caseload(world, traveller, "carol", 4)  # tiers 1-4: two contacts overdue after 20 days
    traveller.move_to(at(START + dt.timedelta(days=20), 9))
    client = login(world.sam)

    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("coordination:team"))
        assert response.status_code == 200
        return len(queries.captured_queries)

    small = page_queries()
    traveller.move_to(at(START, 9))
    caseload(world, traveller, "dave", 12)
    make_staff("erin", Role.CASE_MANAGER, world.riverside, team=world.north, capacity=40)
    traveller.move_to(at(START + dt.timedelta(days=20), 9))
    rows = client.get(reverse("coordination:team")).context["rows"]
    assert {r.profile.user.username for r in rows} >= {"carol", "dave", "erin"}
    assert next(r for r in rows if r.profile.user.username == "dave").load.open_cases == 12
    assert page_queries() == small <= TEAM_PAGE_BUDGET, small


# The page: session, user, second factor and organisation (4); people, loads, cadence rows, each active case's
# state in one pass, the cases trying to reach and those discharged loaded together (and, when there are some,
# their failed attempts and protocol steps; discharges, contacts, visits, holidays), overdue tasks, flags,
# urgent tasks, the most overdue contacts (with failed attempts and steps), the patients named (18); the audit
# of the reads (6); the session save (3).
TEAM_PAGE_BUDGET = 31
