"""Task through the FHIR API: work items for staff about a patient, such as the urgent same-day follow-ups a
PHQ-9 item 9 above 0 raises. Read-only: tasks move on the screens."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.coordination.actions import do_create_task, do_move_task
from careconductor.coordination.choices import TaskKind, TaskPriority, TaskStatus
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record

from .conftest import query_count

pytestmark = pytest.mark.django_db

TASK_KIND = "https://careconductor.org/fhir/CodeSystem/task-kind"


@pytest.fixture
def assessment(world):
    return record(world.alice, world.paula, "phq-9", phq9_answers(8, item9=1))


@pytest.fixture
def urgent(world, assessment):
    return Task.objects.get(patient=world.paula, owner=world.alice)


@pytest.fixture
def routine(world):
    return do_create_task(
        world.alice,
        world.paula,
        owner=world.bob,
        title="Book a ride to the cardiology visit",
        due_at=clock.now() + dt.timedelta(days=3),
    )


def test_a_rule_raised_task_shows_its_focus_owner_and_due_time(world, api, assessment, urgent):
    reply = api(world.alice).get(f"Task/{urgent.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["status"], body["intent"], body["priority"]) == ("requested", "order", "urgent")
    assert body["code"] == {
        "coding": [{"system": TASK_KIND, "code": "safety-check", "display": "Same-day safety follow-up"}],
        "text": "Same-day safety follow-up",
    }
    assert body["description"] == urgent.title
    assert body["focus"] == {"reference": f"QuestionnaireResponse/{assessment.pk}"}
    assert body["for"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["owner"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["requester"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["restriction"] == {"period": {"end": urgent.due_at.isoformat()}}
    assert body["authoredOn"] == urgent.created_at.isoformat()
    assert body["lastModified"] == urgent.updated_at.isoformat()
    assert body["note"][0]["text"] == urgent.description
    assert "executionPeriod" not in body
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Task", object_id=str(urgent.pk)
    ).exists()


def test_a_completed_task_has_its_end_and_notes(world, api, routine):
    do_move_task(world.alice, routine, TaskStatus.COMPLETED, note="Ride booked for 9 am.")
    routine.refresh_from_db()
    body = api(world.alice).get(f"Task/{routine.pk}").body
    assert body["status"] == "completed"
    assert body["executionPeriod"] == {"end": routine.completed_at.isoformat()}
    assert body["note"][-1]["text"].endswith("Ride booked for 9 am.")
    assert "focus" not in body


def test_search_by_each_parameter(world, api, assessment, urgent, routine):
    alice = api(world.alice)
    paula = world.paula.pk
    by_sam = str(Task.objects.get(patient=world.paula, owner=world.sam).pk)
    every = sorted([str(urgent.pk), by_sam, str(routine.pk)])

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Task?{query}"))

    assert ids(f"patient={paula}") == every
    assert ids(f"subject=Patient/{paula}") == every
    assert ids(f"owner=Practitioner/{world.alice.pk}") == [str(urgent.pk)]
    assert ids(f"owner={world.bob.pk}") == [str(routine.pk)]
    assert ids(f"requester=Practitioner/{world.alice.pk}") == every
    assert ids("status=requested") == every
    assert ids("status=completed") == []
    assert ids("priority=urgent") == sorted([str(urgent.pk), by_sam])
    assert ids("priority=http://hl7.org/fhir/request-priority|routine") == [str(routine.pk)]
    assert ids("priority=whenever") == []
    assert ids(f"code={TASK_KIND}|safety-check") == sorted([str(urgent.pk), by_sam])
    assert ids("code=other") == [str(routine.pk)]
    assert ids(f"focus=QuestionnaireResponse/{assessment.pk}") == sorted([str(urgent.pk), by_sam])
    assert ids("focus=QuestionnaireResponse/999999") == []
    today = clock.today().isoformat()
    assert ids(f"authored-on={today}") == every
    assert ids(f"modified=lt{today}") == []
    assert ids(f"_id={routine.pk}") == [str(routine.pk)]


def test_include_brings_in_the_owner(world, api, urgent):
    reply = api(world.alice).get(f"Task?_id={urgent.pk}&_include=Task:owner")
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("Practitioner", str(world.alice.pk))]


def test_an_unknown_parameter_is_refused(world, api):
    reply = api(world.alice).get("Task?business-status=x")
    assert reply.status == 400
    assert reply.issue_paths() == ["business-status"]


def test_a_stranger_sees_nothing(world, api, urgent):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"Task/{urgent.pk}").status == 404
        assert not stranger.search(f"Task?patient={world.paula.pk}")
        assert not stranger.search("Task?priority=urgent")
    assert not api(world.charlie).search("Task")


def test_tasks_are_read_only(world, api, urgent):
    alice = api(world.alice)
    body = alice.get(f"Task/{urgent.pk}").body
    assert alice.post("Task", body).status == 405
    assert alice.put(f"Task/{urgent.pk}", body).status == 405


def test_a_page_costs_the_same_queries_however_many_tasks(world, api, routine):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Task?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    record(world.alice, world.paula, "phq-9", phq9_answers(8, item9=1))
    do_create_task(
        world.sam,
        world.paula,
        owner=world.dana,
        title="Review medications",
        due_at=clock.now() + dt.timedelta(days=1),
        kind=TaskKind.PHYSICIAN_REVIEW,
        priority=TaskPriority.ASAP,
    )
    assert query_count(lambda: page_has(4)) == one
