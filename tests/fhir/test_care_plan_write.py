"""A partner writes care plans and goals through the FHIR API with the plan screen's rules (issue 23, "Write where
a partner writes"): a draft plan for an open case, its goals, its first version into force (or to the supervisor
for approval), a new version with a reason, the end; and every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.careplans.actions import do_add_problem_from_condition, do_create_plan
from careconductor.careplans.models import CarePlan, Goal, PlanVersion
from careconductor.coordination.choices import TaskKind
from careconductor.core import clock
from careconductor.patients.actions import do_add_condition
from careconductor.privacy.choices import AuditAction, Sensitivity
from careconductor.privacy.models import AuditEvent
from tests.personas import World

from .care_plan_kit import ext, refs
from .conftest import Api, register_patient
from .test_bad_input import JSON

pytestmark = pytest.mark.django_db

EXT = "https://careconductor.org/fhir/StructureDefinition/"
LOINC = "http://loinc.org"


@pytest.fixture
def asthma(world: World):  # type: ignore[no-untyped-def]
    """A condition on Paula's problem list, for her plan to address."""
    return do_add_condition(
        world.alice, world.paula, icd10_code="J45.40", display="Moderate persistent asthma"
    )


def new_plan(world: World, condition_id: int, **changes: Any) -> dict[str, Any]:
    body = {
        "resourceType": "CarePlan",
        "status": "draft",
        "intent": "plan",
        "title": "Breathing easier",
        "subject": {"reference": f"Patient/{world.paula.pk}"},
        "supportingInfo": [{"reference": f"EpisodeOfCare/{world.paula_case.pk}"}],
        "addresses": [{"reference": f"Condition/{condition_id}"}],
    }
    return {**body, **changes}


def new_goal(world: World, condition_id: int | None = None, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Goal",
        "lifecycleStatus": "proposed",
        "description": {"text": "I want to walk to the shop without stopping"},
        "subject": {"reference": f"Patient/{world.paula.pk}"},
        "expressedBy": {"reference": f"Patient/{world.paula.pk}"},
        "extension": [{"url": EXT + "goal-patient-rank", "valuePositiveInt": 1}],
        "note": [{"text": "Clinical statement: peak flow at least 400 L/min."}],
        "target": [
            {
                "measure": {"coding": [{"system": LOINC, "code": "19935-6"}]},
                "detailQuantity": {"value": 400, "unit": "L/min", "system": "http://unitsofmeasure.org",
                                   "code": "L/min"},
                "dueDate": (clock.today() + dt.timedelta(days=90)).isoformat(),
            }
        ],
    }  # fmt: skip
    if condition_id is not None:
        body["addresses"] = [{"reference": f"Condition/{condition_id}"}]
    return {**body, **changes}


def with_note(body: dict[str, Any], text: str, **changes: Any) -> dict[str, Any]:
    return {**body, **changes, "note": [*body.get("note", []), {"text": text}]}


def test_a_partner_builds_a_plan_brings_it_into_force_changes_it_and_ends_it(world, api, asthma, no_approval):
    alice = api(world.alice)
    made = alice.post("CarePlan", new_plan(world, asthma.pk))
    assert made.status == 201, made.body
    plan = CarePlan.objects.get(pk=made.body["id"])
    assert (plan.status, plan.title, plan.case, plan.created_by) == ("draft", "Breathing easier", world.paula_case,
                                                                     world.alice)  # fmt: skip
    assert refs(made.body["addresses"]) == [f"Condition/{asthma.pk}"]
    assert refs(made.body["supportingInfo"]) == [f"EpisodeOfCare/{world.paula_case.pk}"]

    walk = alice.post("Goal", new_goal(world, asthma.pk))
    assert walk.status == 201, walk.body
    goal = Goal.objects.get(pk=walk.body["id"])
    assert (goal.plan, goal.patient_words, goal.statement, goal.measure, goal.target_value, goal.proposed_by,
            goal.patient_rank) == (plan, "I want to walk to the shop without stopping",
                                   "peak flow at least 400 L/min.", "peak-flow", 400, "patient", 1)  # fmt: skip
    assert [p.condition_id for p in goal.problems.all()] == [asthma.pk]
    assert walk.body["lifecycleStatus"] == "proposed"
    assert ext(walk.body, "goal-care-plan")["valueReference"] == {"reference": f"CarePlan/{plan.pk}"}
    assert walk.body["priority"]["coding"][0]["code"] == "high-priority"

    # Into force: the draft as read, status active. The goal Paula proposed starts (careplans.rules).
    draft = alice.get(f"CarePlan/{plan.pk}").body
    assert refs(draft["goal"]) == [f"Goal/{goal.pk}"]
    active = alice.put(f"CarePlan/{plan.pk}", {**draft, "status": "active"})
    assert active.status == 200, active.body
    assert active.body["status"] == "active"
    assert ext(active.body, "careplan-version")["valuePositiveInt"] == 1
    assert alice.get(f"Goal/{goal.pk}").body["lifecycleStatus"] == "active"

    # A second goal, in words: part of the plan in force only with a new version, whose reason is the note.
    food = new_goal(world, asthma.pk, description={"text": "Enough food for the whole month"},
                    target=[{"measure": {"text": "Has enough food"}, "detailString": "Food every day"}])  # fmt: skip
    del food["expressedBy"], food["extension"], food["note"]
    second = alice.post("Goal", food)
    assert second.status == 201, second.body
    assert Goal.objects.get(pk=second.body["id"]).measure == "food"
    assert refs(alice.get(f"CarePlan/{plan.pk}").body["goal"]) == [f"Goal/{goal.pk}"]
    version_two = alice.put(f"CarePlan/{plan.pk}", with_note(active.body, "Added a goal about food"))
    assert version_two.status == 200, version_two.body
    assert ext(version_two.body, "careplan-version")["valuePositiveInt"] == 2
    assert refs(version_two.body["goal"]) == [f"Goal/{goal.pk}", f"Goal/{second.body['id']}"]
    assert PlanVersion.objects.get(plan=plan, number=2).reason == "Added a goal about food"

    # A new title on a plan in force is a new version too.
    renamed = alice.put(f"CarePlan/{plan.pk}", with_note(version_two.body, "Paula's words", title="Breathe"))
    assert renamed.status == 200, renamed.body
    assert (renamed.body["title"], ext(renamed.body, "careplan-version")["valuePositiveInt"]) == (
        "Breathe",
        3,
    )

    ended = alice.put(f"CarePlan/{plan.pk}", with_note(renamed.body, "Goals met", status="completed"))
    assert ended.status == 200, ended.body
    plan.refresh_from_db()
    assert (plan.status, plan.end_reason) == ("completed", "Goals met")
    # Every step is in the audit trail as Alice's.
    actions = AuditEvent.objects.filter(user=world.alice, patient=world.paula, object_type="CarePlan")
    assert actions.filter(action=AuditAction.CREATE).count() == 1
    assert actions.filter(action=AuditAction.UPDATE).count() >= 4


def test_with_approval_the_first_version_waits_for_the_supervisor(world, api, asthma):
    alice = api(world.alice)
    plan_id = alice.post("CarePlan", new_plan(world, asthma.pk)).body["id"]
    assert alice.post("Goal", new_goal(world, asthma.pk)).status == 201
    draft = alice.get(f"CarePlan/{plan_id}").body
    sent = alice.put(f"CarePlan/{plan_id}", {**draft, "status": "active"})
    assert sent.status == 200, sent.body
    assert sent.body["status"] == "draft"
    assert sent.body["note"][0]["text"].startswith("Version 1 awaits approval")
    assert world.sam.tasks.filter(kind=TaskKind.PLAN_APPROVAL, focus=f"CarePlan/{plan_id}").exists()
    # Nothing changes while the version awaits the decision.
    blocked = alice.put(f"CarePlan/{plan_id}", {**sent.body, "title": "Something else"})
    assert blocked.status == 422 and "awaiting approval" in str(blocked.body)
    assert alice.get(f"CarePlan/{plan_id}").body == sent.body


def test_a_draft_changes_as_sent(world, api, asthma, no_approval):
    alice = api(world.alice)
    heart = do_add_condition(world.alice, world.paula, icd10_code="I50.22", display="Chronic heart failure")
    plan_id = alice.post("CarePlan", new_plan(world, asthma.pk)).body["id"]
    draft = alice.get(f"CarePlan/{plan_id}").body
    changed = {**draft, "title": "Heart and lungs", "addresses": [{"reference": f"Condition/{heart.pk}"}]}
    answer = alice.put(f"CarePlan/{plan_id}", changed)
    assert answer.status == 200, answer.body
    assert (answer.body["title"], refs(answer.body["addresses"])) == (
        "Heart and lungs",
        [f"Condition/{heart.pk}"],
    )
    assert answer.body["meta"]["versionId"] != draft["meta"]["versionId"]
    # The plan in force needs a goal first, as on the screens.
    refused = alice.put(f"CarePlan/{plan_id}", {**answer.body, "status": "active"})
    assert refused.status == 422 and "at least one goal" in str(refused.body)


def counts() -> tuple[int, int, int]:
    return CarePlan.objects.count(), Goal.objects.count(), PlanVersion.objects.count()


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"status": "active"}, "CarePlan.status"),
        ({"intent": "order"}, "CarePlan.intent"),
        ({"goal": [{"reference": "Goal/1"}]}, "CarePlan.goal"),
        ({"activity": [{"detail": {"status": "not-started"}}]}, "CarePlan.activity"),
        ({"title": "x" * 201}, "CarePlan.title"),
        ({"supportingInfo": [{"reference": "EpisodeOfCare/999999"}]}, "CarePlan.supportingInfo"),
        ({"supportingInfo": [{"reference": "Observation/1"}]}, "CarePlan.supportingInfo"),
        ({"addresses": [{"reference": "Condition/999999"}]}, "CarePlan.addresses"),
        ({"addresses": [{"reference": "Patient/1"}]}, "CarePlan.addresses"),
    ],
)
def test_a_new_plan_that_breaks_a_rule_is_refused_and_nothing_is_made(world, api, asthma, change, path):
    before = counts()
    answer = api(world.alice).post("CarePlan", new_plan(world, asthma.pk, **change))
    assert answer.status == 422, answer.body
    assert answer.issue_paths() == [path]
    assert counts() == before


def test_one_plan_is_worked_on_per_case_and_the_case_is_named_when_there_are_several(world, api, asthma):
    alice = api(world.alice)
    do_create_plan(world.alice, world.paula_case, title="Already here")
    second = alice.post("CarePlan", new_plan(world, asthma.pk))
    assert second.status == 422 and "already has a plan" in str(second.body)
    # Another open case of another patient: without supportingInfo the only open case is taken.
    ray = register_patient(world.alice, "Rivers", "Ray")
    ray_asthma = do_add_condition(world.alice, ray, icd10_code="J45.40", display="Asthma")
    body = new_plan(world, ray_asthma.pk, subject={"reference": f"Patient/{ray.pk}"})
    del body["supportingInfo"]
    made = alice.post("CarePlan", body)
    assert made.status == 201, made.body
    assert CarePlan.objects.get(pk=made.body["id"]).case == ray.cases.get()
    # Paula's case named for Ray's plan: not his case.
    wrong = alice.post(
        "CarePlan", {**body, "supportingInfo": [{"reference": f"EpisodeOfCare/{world.paula_case.pk}"}]}
    )
    assert wrong.status == 422 and wrong.issue_paths() == ["CarePlan.supportingInfo"]


def test_a_condition_that_is_not_on_the_patients_list_reads_the_same_whatever_the_reason(world, api, asthma):
    ray = register_patient(world.alice, "Rivers", "Ray")
    his = do_add_condition(world.alice, ray, icd10_code="J45.40", display="Asthma")
    alice = api(world.alice)
    answers = [
        alice.post("CarePlan", new_plan(world, key)).body["issue"][0]["diagnostics"]
        for key in (his.pk, 987654)
    ]
    assert answers[0].replace(str(his.pk), "N") == answers[1].replace("987654", "N")


@pytest.fixture
def in_force(world, api, no_approval, asthma) -> tuple[Api, dict[str, Any]]:
    """Paula's asthma plan made through the API, with one goal, in force."""
    alice = api(world.alice)
    plan_id = alice.post("CarePlan", new_plan(world, asthma.pk)).body["id"]
    assert alice.post("Goal", new_goal(world, asthma.pk)).status == 201
    draft = alice.get(f"CarePlan/{plan_id}").body
    return alice, alice.put(f"CarePlan/{plan_id}", {**draft, "status": "active"}).body


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"title": "New words"}, "CarePlan.note"),  # a plan in force changes by a version with its reason
        ({"status": "draft"}, "CarePlan.status"),
        ({"status": "on-hold"}, "CarePlan.status"),
        ({"goal": []}, "CarePlan.goal"),
        ({"careTeam": []}, "CarePlan.careTeam"),
        ({"extension": []}, "CarePlan.extension"),
        ({"subject": {"reference": "Patient/1"}}, "CarePlan.subject"),
        ({"note": [{"text": 5}]}, "CarePlan.note[0].text"),  # the validator
        ({"status": "revoked"}, "CarePlan.note"),  # the end needs its reason
    ],
)
def test_a_change_to_a_plan_in_force_that_breaks_a_rule_changes_nothing(world, in_force, change, path):
    alice, body = in_force
    before = counts()
    answer = alice.put(f"CarePlan/{body['id']}", {**body, **change})
    assert answer.status == 422, answer.body
    assert answer.issue_paths() == [path]
    assert counts() == before
    assert alice.get(f"CarePlan/{body['id']}").body == body


def test_a_note_without_a_change_makes_no_version(world, in_force):
    alice, body = in_force
    answer = alice.put(f"CarePlan/{body['id']}", with_note(body, "Looked at it again"))
    assert answer.status == 422 and "Nothing has changed" in str(answer.body)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"lifecycleStatus": "active"}, "Goal.lifecycleStatus"),
        ({"achievementStatus": {"text": "improving"}}, "Goal.achievementStatus"),
        ({"description": {"text": " "}}, "Goal.description"),
        ({"target": []}, "Goal.target"),
        ({"target": [{"measure": {"coding": [{"system": LOINC, "code": "1234-5"}]}}]}, "Goal.target.measure"),
        ({"target": [{"measure": {"coding": [{"system": LOINC, "code": "19935-6"}]}}]}, "Goal.target.detailQuantity"),
        ({"target": [{"measure": {"coding": [{"system": LOINC, "code": "19935-6"}]},
                      "detailQuantity": {"value": 400, "code": "kg"}}]}, "Goal.target.detailQuantity"),
        ({"target": [{"measure": {"coding": [{"system": LOINC, "code": "19935-6"}]},
                      "detailQuantity": {"value": 10**12}}]}, "Goal.target.detailQuantity"),
        ({"target": [{"measure": {"text": "Has enough food"}}]}, "Goal.target.detailString"),
        ({"target": [{"measure": {"text": "Has enough food"}, "detailString": "Food", "dueDate": "2001-01-01"}]},
         "Goal.target.dueDate"),
        ({"addresses": [{"reference": "Condition/999999"}]}, "Goal.addresses"),
        ({"expressedBy": {"reference": "Patient/999999"}}, "Goal.expressedBy"),
        ({"extension": [{"url": EXT + "goal-patient-rank", "valuePositiveInt": 30}]}, "Goal.extension"),
        ({"extension": [{"url": EXT + "goal-patient-agreement", "valueCode": "maybe"}]}, "Goal.extension"),
        ({"extension": [{"url": EXT + "goal-care-plan", "valueReference": {"reference": "CarePlan/999999"}}]},
         "Goal.extension"),
    ],
)  # fmt: skip
def test_a_new_goal_that_breaks_a_rule_of_the_plan_screen_is_refused(world, in_force, asthma, change, path):
    alice, body = in_force
    before = counts()
    answer = alice.post("Goal", new_goal(world, asthma.pk, **change))
    assert answer.status == 422, answer.body
    assert answer.issue_paths() == [path]
    assert counts() == before
    assert alice.get(f"CarePlan/{body['id']}").body == body


def test_a_goal_needs_a_plan_being_worked_on(world, api, asthma):
    answer = api(world.alice).post("Goal", new_goal(world))
    assert answer.status == 422 and answer.issue_paths() == ["Goal.subject"]
    assert not Goal.objects.exists()


def test_a_goal_for_a_condition_the_writer_may_not_see_reads_as_not_on_the_plan(world, api, in_force):
    """Dana is on Paula's care team without consent to Part 2 records (issue 17): the opioid problem on the plan
    is not hinted at."""
    alice, body = in_force
    plan = CarePlan.objects.get(pk=body["id"])
    opioid = do_add_condition(world.alice, world.paula, icd10_code="F11.20", display="Opioid dependence",
                              sensitivity=Sensitivity.PART2)  # fmt: skip
    do_add_problem_from_condition(world.alice, plan, opioid)
    dana = api(world.dana)
    hidden = dana.post("Goal", new_goal(world, opioid.pk)).body["issue"][0]["diagnostics"]
    absent = dana.post("Goal", new_goal(world, 999999)).body["issue"][0]["diagnostics"]
    assert hidden.replace(str(opioid.pk), "N") == absent.replace("999999", "N")
    assert alice.post("Goal", new_goal(world, opioid.pk)).status == 201


def test_strangers_and_read_only_tokens_write_nothing(world, api, asthma, in_force):
    _, body = in_force
    before = counts()
    for stranger in (world.bob, world.charlie):
        assert api(stranger).post("Goal", new_goal(world, asthma.pk)).status == 403
        assert api(stranger).post("CarePlan", new_plan(world, asthma.pk)).status == 403
        assert api(stranger).put(f"CarePlan/{body['id']}", with_note(body, "x", title="y")).status == 404
    reader = api(world.alice, scopes=("user/CarePlan.rs", "user/Goal.rs"))
    assert reader.post("Goal", new_goal(world, asthma.pk)).status == 403
    assert reader.put(f"CarePlan/{body['id']}", with_note(body, "x", title="y")).status == 403
    assert counts() == before


# --- anything a client sends (issue 23: no 500) -------------------------------------------------------------------
PLAN_ELEMENTS = (
    "status",
    "intent",
    "title",
    "subject",
    "supportingInfo",
    "addresses",
    "note",
    "goal",
    "extension",
)
GOAL_ELEMENTS = ("lifecycleStatus", "description", "subject", "expressedBy", "extension", "note", "target",
                 "addresses", "achievementStatus", "priority", "startDate")  # fmt: skip
TARGET_PARTS = ("measure", "detailQuantity", "detailString", "dueDate")


def _mutated(body: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The body with some elements replaced (a change to "target.<part>" goes into its first target)."""
    changed = {**body}
    for name, value in changes.items():
        if name.startswith("target."):
            target = (
                dict((changed.get("target") or [{}])[0]) if isinstance(changed.get("target"), list) else {}
            )
            changed["target"] = [{**target, name.removeprefix("target."): value}]
        else:
            changed[name] = value
    return changed


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    plan_changes=st.dictionaries(st.sampled_from(PLAN_ELEMENTS), JSON, max_size=2),
    goal_changes=st.dictionaries(
        st.sampled_from(GOAL_ELEMENTS + tuple(f"target.{p}" for p in TARGET_PARTS)), JSON, max_size=2
    ),
)
def test_whatever_a_client_sends_to_plans_and_goals_is_never_a_500(world, in_force, asthma, plan_changes,
                                                                   goal_changes):  # fmt: skip
    alice, _ = in_force
    plan_id = CarePlan.objects.get().pk
    served = alice.get(f"CarePlan/{plan_id}").body
    before = counts()
    for method, path, body in (
        ("post", "CarePlan", _mutated(new_plan(world, asthma.pk), plan_changes)),
        ("post", "Goal", _mutated(new_goal(world, asthma.pk), goal_changes)),
        ("put", f"CarePlan/{plan_id}", _mutated(served, plan_changes)),
    ):
        answer = getattr(alice, method)(path, body)
        assert answer.status < 500, (method, path, body, answer.body)
        if answer.status >= 400:
            assert counts() == before, (method, path, body)
            assert alice.get(f"CarePlan/{plan_id}").body == served
        else:
            before, served = counts(), alice.get(f"CarePlan/{plan_id}").body
