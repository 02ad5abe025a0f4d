"""Goal through the FHIR API: a care plan's goal in the patient's own words, its target, how it is going and the
Observations that count as progress; read-only."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from careconductor.assessments.models import AssessmentScore
from careconductor.careplans.actions import (
    do_add_goal,
    do_add_problem_from_condition,
    do_create_plan,
    do_move_goal,
    do_publish,
    do_record_progress,
)
from careconductor.careplans.choices import Achievement, GoalAgreement, GoalLifecycle, Proposer
from careconductor.careplans.models import CarePlan, Goal
from careconductor.core import clock
from careconductor.patients.actions import do_add_condition
from careconductor.privacy.choices import Sensitivity
from tests.assessments.helpers import phq9_answers, record
from tests.personas import World

from .care_plan_kit import Plan, build_plan, ensure_instruments, publish
from .conftest import query_count, register_patient

pytestmark = pytest.mark.django_db

EXT = "https://careconductor.org/fhir/StructureDefinition/"
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
PRIORITY = "http://terminology.hl7.org/CodeSystem/goal-priority"
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def plan(world, settings) -> Plan:
    """Paula's plan in force: "feel like myself again" (PHQ-9, proposed by Paula) and "enough food" (proposed
    by the team, agreed)."""
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    made = build_plan(world)
    publish(world, made.plan, "First version")
    made.feel_better.refresh_from_db()
    made.eat_well.refresh_from_db()
    return made


def extensions(body: dict) -> dict[str, object]:
    return {
        e["url"].removeprefix(EXT): next(v for k, v in e.items() if k.startswith("value"))
        for e in body["extension"]
    }


def sleep_goal(world: World, plan: CarePlan, **fields: object) -> Goal:
    values: dict[str, object] = {
        "patient_words": "Sleep through the night",
        "proposed_by": Proposer.TEAM,
        "measure": "other",
        "measure_text": "Nights slept through",
        "target_text": "Five nights a week",
    }
    return do_add_goal(world.alice, plan, **{**values, **fields})


def test_a_goal_in_the_patients_words_with_its_target(world, api, plan):
    goal = plan.feel_better
    reply = api(world.alice).get(f"Goal/{goal.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["lifecycleStatus"] == "active"
    assert "achievementStatus" not in body
    assert body["description"] == {"text": "I want to feel like myself again"}
    assert body["note"] == [{"text": "Clinical statement: PHQ-9 below 5 within 12 weeks."}]
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["expressedBy"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["priority"]["coding"] == [
        {"system": PRIORITY, "code": "high-priority", "display": "High Priority"}
    ]
    assert extensions(body) == {
        "goal-patient-rank": 1,
        "goal-proposed-by": "patient",
        "goal-patient-agreement": "agreed",
        "goal-care-plan": {"reference": f"CarePlan/{plan.plan.pk}"},
    }
    # The baseline is the PHQ-9 the depression finding came from (taken as the goal was set).
    assert goal.baseline_on is not None
    assert body["startDate"] == goal.baseline_on.isoformat()
    assert body["target"] == [
        {
            "measure": {
                "coding": [{"system": "http://loinc.org", "code": "44261-6", "display": "PHQ-9 total score"}],
                "text": "PHQ-9 total score",
            },
            "detailQuantity": {
                "value": 5,
                "comparator": "<=",
                "unit": "{score}",
                "system": "http://unitsofmeasure.org",
                "code": "{score}",
            },
            "dueDate": goal.due_on.isoformat(),
        }
    ]
    assert body["addresses"] == [
        {"reference": f"Condition/{plan.mood.condition_id}", "display": "Depression symptoms"}
    ]
    # The baseline reading itself is not progress.
    assert "outcomeReference" not in body


def test_a_goal_the_team_proposed_with_a_target_in_words(world, api, plan):
    body = api(world.alice).get(f"Goal/{plan.eat_well.pk}").body
    assert "expressedBy" not in body
    assert extensions(body)["goal-proposed-by"] == "team"
    assert body["priority"]["coding"][0]["code"] == "medium-priority"
    assert body["target"] == [
        {
            "measure": {"text": "Has enough food"},
            "detailString": "Food every day of the month",
            "dueDate": plan.eat_well.due_on.isoformat(),
        }
    ]
    assert body["startDate"] == timezone.localdate(plan.eat_well.created_at).isoformat()


def test_priority_follows_the_patients_rank(world, api, plan):
    alice = api(world.alice)
    later = sleep_goal(world, plan.plan, patient_rank=3, agreement=GoalAgreement.NOT_ASKED)
    unranked = sleep_goal(
        world, plan.plan, patient_words="Walk to the shop", measure="steps", target_value=Decimal(4000)
    )
    body = alice.get(f"Goal/{later.pk}").body
    assert body["priority"]["coding"][0]["code"] == "low-priority"
    assert extensions(body) == {
        "goal-patient-rank": 3,
        "goal-proposed-by": "team",
        "goal-patient-agreement": "not-asked",
        "goal-care-plan": {"reference": f"CarePlan/{plan.plan.pk}"},
    }
    assert body["lifecycleStatus"] == "proposed"
    body = alice.get(f"Goal/{unranked.pk}").body
    assert "priority" not in body and "goal-patient-rank" not in extensions(body)
    assert body["target"][0]["detailQuantity"] == {
        "value": 4000,
        "comparator": ">=",
        "unit": "/d",
        "system": "http://unitsofmeasure.org",
        "code": "/d",
    }
    assert body["target"][0]["measure"]["coding"][0]["code"] == "41950-7"


def test_achievement_status_and_its_date(world, api, plan):
    do_record_progress(
        world.alice, plan.feel_better, note="Sleeping better", achievement=Achievement.IMPROVING
    )
    plan.feel_better.refresh_from_db()
    body = api(world.alice).get(f"Goal/{plan.feel_better.pk}").body
    assert body["achievementStatus"] == {
        "coding": [{"system": ACHIEVEMENT, "code": "improving", "display": "Improving"}]
    }
    assert body["statusDate"] == timezone.localdate(plan.feel_better.achievement_set_at).isoformat()


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=NEW_YORK)


def test_outcomes_are_the_latest_observations_since_the_baseline(world, api, settings):
    """A PHQ-9 on the first day is the baseline; twelve more follow. The goal names the latest ten, oldest
    first, and not the baseline or another instrument's score."""
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    ensure_instruments()
    first = clock.today() + dt.timedelta(days=2)
    with time_machine.travel(at(first), tick=False):
        record(world.alice, world.paula, "phq-9", phq9_answers(19))
    with time_machine.travel(at(first + dt.timedelta(days=1)), tick=False):
        plan = do_create_plan(world.alice, world.paula_case)
        goal = do_add_goal(
            world.alice,
            plan,
            patient_words="I want to enjoy things again",
            measure="phq9",
            target_value=Decimal(9),
        )
        do_publish(world.alice, plan, reason="")
    goal.refresh_from_db()
    assert goal.baseline_on == first
    for n in range(12):
        with time_machine.travel(at(first + dt.timedelta(days=2 + n)), tick=False):
            record(world.alice, world.paula, "phq-9", phq9_answers(18 - n))
    scores = list(
        AssessmentScore.objects.filter(patient=world.paula, code="44261-6").order_by("effective_at")
    )
    assert len(scores) == 13
    body = api(world.alice).get(f"Goal/{goal.pk}").body
    assert body["outcomeReference"] == [{"reference": f"Observation/{s.pk}"} for s in scores[3:]]
    assert body["startDate"] == first.isoformat()
    observation = api(world.alice).get(body["outcomeReference"][-1]["reference"]).body
    assert observation["valueInteger"] == 7


def test_a_goal_only_for_a_labelled_condition_is_labelled_and_shown_only_to_who_may_read_it(world, api, plan):
    """Issue 17 §1: its words name the record ("Stay in the methadone programme")."""
    opioid = do_add_condition(
        world.alice,
        world.paula,
        icd10_code="F11.20",
        display="Opioid dependence",
        sensitivity=Sensitivity.PART2,
    )
    problem = do_add_problem_from_condition(world.alice, plan.plan, opioid)
    goal = sleep_goal(world, plan.plan, problem_ids=[problem.pk])
    body = api(world.alice).get(f"Goal/{goal.pk}").body
    assert body["addresses"] == [{"reference": f"Condition/{opioid.pk}", "display": "Opioid dependence"}]
    assert [s["code"] for s in body["meta"]["security"]] == ["ETH", "R"]  # Part 2, restricted
    assert api(world.dana).get(f"Goal/{goal.pk}").status == 404  # on her care team, no consent
    assert str(goal.pk) not in [g["id"] for g in api(world.dana).search("Goal")]
    # A goal also for a normal problem is everyone's, and names only that one.
    mixed = sleep_goal(world, plan.plan, problem_ids=[problem.pk, plan.feel_better.problems.first().pk])
    seen = api(world.dana).get(f"Goal/{mixed.pk}").body
    assert f"Condition/{opioid.pk}" not in str(seen)
    assert "security" not in seen.get("meta", {})


# --- searching --------------------------------------------------------------------------------------------------


def test_search_by_each_parameter(world, api, plan):
    alice = api(world.alice)
    feel, food = str(plan.feel_better.pk), str(plan.eat_well.pk)
    proposed = sleep_goal(world, plan.plan, due_on=clock.today() + dt.timedelta(days=200))
    asleep = str(proposed.pk)
    do_record_progress(world.alice, plan.feel_better, achievement=Achievement.IMPROVING)
    do_record_progress(world.alice, plan.eat_well, achievement=Achievement.NO_CHANGE)
    every = sorted([feel, food, asleep])

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Goal?{query}"))

    assert ids("") == every
    assert ids(f"patient={world.paula.pk}") == every
    assert ids(f"subject=Patient/{world.paula.pk}") == every
    assert ids("patient=999999") == []
    assert ids("lifecycle-status=active") == sorted([feel, food])
    assert ids("lifecycle-status=http://hl7.org/fhir/goal-status|proposed") == [asleep]
    assert ids("lifecycle-status=active,proposed") == every
    assert ids("lifecycle-status:not=active") == [asleep]
    assert ids("lifecycle-status=cancelled") == []
    assert ids("lifecycle-status=finished") == []
    assert ids("achievement-status=improving") == [feel]
    assert ids(f"achievement-status={ACHIEVEMENT}|no-change") == [food]
    assert ids("achievement-status=improving,no-change") == sorted([feel, food])
    assert ids("achievement-status=http://example.org|improving") == []
    assert ids("achievement-status=achieved") == []
    today = clock.today()
    due = plan.feel_better.due_on.isoformat()
    assert ids(f"target-date={due}") == [feel]
    assert ids(f"target-date=gt{(today + dt.timedelta(days=100)).isoformat()}") == [asleep]
    assert ids(f"target-date=le{plan.eat_well.due_on.isoformat()}") == [food]
    assert ids(f"start-date={today.isoformat()}") == every
    assert ids(f"start-date=lt{today.isoformat()}") == []
    assert ids(f"start-date=ge{today.isoformat()}&lifecycle-status=proposed") == [asleep]
    assert ids(f"_id={food}") == [food]
    assert ids(f"_lastUpdated=ge{today.isoformat()}") == every
    assert [r["id"] for r in alice.search("Goal?_sort=target-date")] == [food, feel, asleep]
    assert [r["id"] for r in alice.search("Goal?_sort=-target-date")] == [asleep, feel, food]
    assert alice.search("Goal?_sort=start-date,lifecycle-status,achievement-status")
    do_move_goal(world.alice, proposed, GoalLifecycle.CANCELLED)
    assert ids("lifecycle-status=cancelled") == [asleep]


def test_include_the_patient(world, api, plan):
    reply = api(world.alice).get(f"Goal?_id={plan.feel_better.pk}&_include=Goal:patient")
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("Patient", str(world.paula.pk))]


def test_a_stranger_sees_nothing(world, api, plan):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"Goal/{plan.feel_better.pk}").status == 404
        assert not stranger.search("Goal")
        assert not stranger.search(f"Goal?patient={world.paula.pk}")
        assert not stranger.search("Goal?lifecycle-status=active")


ACHIEVEMENT_SYSTEM = "http://terminology.hl7.org/CodeSystem/goal-achievement"


def test_a_partner_reports_progress_and_moves_the_goal_as_on_the_screens(world, api, plan):
    alice = api(world.alice)
    goal = plan.feel_better
    body = alice.get(f"Goal/{goal.pk}").body
    improving = {**body, "achievementStatus": {"coding": [{"system": ACHIEVEMENT_SYSTEM, "code": "improving"}]},
                 "statusReason": "Sleeping better since the new routine"}  # fmt: skip
    answer = alice.put(f"Goal/{goal.pk}", improving)
    assert answer.status == 200, answer.body
    assert answer.body["achievementStatus"]["coding"][0]["code"] == "improving"
    progress = goal.progress.order_by("-pk").first()
    assert (progress.achievement, progress.note, progress.author) == (
        "improving",
        "Sleeping better since the new routine",
        world.alice,
    )

    completing = {**answer.body, "lifecycleStatus": "completed"}  # an outcome first (careplans.rules)
    refused = alice.put(f"Goal/{goal.pk}", completing)
    assert refused.status == 422 and refused.issue_paths()
    achieved = {**answer.body, "lifecycleStatus": "completed", "statusReason": "PHQ-9 under 5 twice",
                "achievementStatus": {"coding": [{"system": ACHIEVEMENT_SYSTEM, "code": "achieved"}]}}  # fmt: skip
    done = alice.put(f"Goal/{goal.pk}", achieved)
    assert done.status == 200, done.body
    goal.refresh_from_db()
    assert (goal.lifecycle, goal.achievement) == ("completed", "achieved")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"description": {"text": "Something else"}}, "Goal.description"),
        ({"target": []}, "Goal.target"),
        ({"subject": {"reference": "Patient/1"}}, "Goal.subject"),
        ({"lifecycleStatus": "dancing"}, "Goal.lifecycleStatus"),
        ({"achievementStatus": {"coding": [{"system": ACHIEVEMENT_SYSTEM, "code": "maybe"}]}}, "Goal.achievementStatus"),
        ({"statusReason": 5}, "Goal.statusReason"),
    ],
)  # fmt: skip
def test_what_a_goal_is_changes_only_on_the_care_plan(world, api, plan, change, path):
    alice = api(world.alice)
    goal = plan.feel_better
    body = alice.get(f"Goal/{goal.pk}").body
    answer = alice.put(f"Goal/{goal.pk}", {**body, **change})
    assert answer.status == 422 and answer.issue_paths() == [path]
    assert alice.get(f"Goal/{goal.pk}").body == body


def test_only_who_may_change_the_plan_reports_progress(world, api, plan):
    goal = plan.feel_better
    body = api(world.alice).get(f"Goal/{goal.pk}").body
    improving = {
        **body,
        "achievementStatus": {"coding": [{"system": ACHIEVEMENT_SYSTEM, "code": "improving"}]},
    }
    assert api(world.bob).put(f"Goal/{goal.pk}", improving).status == 404  # no relationship: not found
    assert api(world.alice, scopes=("user/Goal.rs",)).put(f"Goal/{goal.pk}", improving).status == 403
    assert not goal.progress.exists()


def test_a_page_of_goals_costs_a_fixed_number_of_queries(world, api, plan, django_assert_max_num_queries):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search("Goal?_count=50")) == n

    one = query_count(lambda: page_has(2))
    # Goals of other patients, with scores and progress.
    for n in range(3):
        patient = register_patient(world.alice, f"Patient{n}", "Test")
        more = build_plan(world, patient.cases.get(), title=f"Plan {n}")
        publish(world, more.plan, "First version")
        more.feel_better.refresh_from_db()
        record(world.alice, patient, "phq-9", phq9_answers(9))
        do_record_progress(world.alice, more.feel_better, achievement=Achievement.IMPROVING)
        sleep_goal(world, more.plan, patient_rank=n + 3)
    assert query_count(lambda: page_has(11)) == one
    with django_assert_max_num_queries(one):
        page_has(11)
