"""CarePlan through the FHIR API: the version in force of a case's care plan, shaped as the MCC eCare Plan
(health concerns → goals → interventions), never the edits still being drafted; its history."""

from __future__ import annotations

import pytest

from careconductor.careplans import snapshot
from careconductor.careplans.actions import (
    do_add_goal,
    do_add_step,
    do_decide_version,
    do_end_plan,
    do_move_goal,
    do_publish,
    do_record_agreement,
    do_set_intervention_status,
    do_update_goal,
)
from careconductor.careplans.choices import (
    AgreedBy,
    AgreementMethod,
    GoalAgreement,
    GoalLifecycle,
    InterventionStatus,
    PlanStatus,
    Proposer,
)
from careconductor.careplans.models import CarePlan
from careconductor.core import clock
from careconductor.fhir.registry import mapper_for
from careconductor.privacy.models import AuditEvent

from .care_plan_kit import (
    CATEGORY,
    CONDITION_CATEGORY,
    EXT,
    KIND,
    build_plan,
    ensure_instruments,
    ext,
    publish,
    refs,
)

pytestmark = pytest.mark.django_db


def test_a_plan_in_force_has_the_mcc_shape(world, api, active):
    p = active
    reply = api(world.alice).get(f"CarePlan/{p.plan.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert (body["status"], body["intent"], body["title"]) == ("active", "plan", "Paula's plan")
    assert body["category"][0]["coding"][0] == {
        "system": CATEGORY,
        "code": "assess-plan",
        "display": "Assessment and Plan of Treatment",
    }
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["author"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["careTeam"] == [{"reference": f"CareTeam/{world.paula.pk}"}]
    assert body["period"] == {"start": p.plan.activated_at.isoformat()}
    assert body["created"] == p.plan.created_at.isoformat()
    assert ext(body, "careplan-version") == {"url": EXT + "careplan-version", "valuePositiveInt": 1}
    assert ext(body, "careplan-patient-agreed")["valueBoolean"] is False
    assert ext(body, "careplan-patient-agreed-on") is None
    assert "note" not in body
    # Health concerns → goals → interventions.
    assert refs(body["addresses"]) == [f"Condition/{p.mood.condition_id}", f"Condition/{p.food.condition_id}"]
    assert refs(body["goal"]) == [f"Goal/{p.feel_better.pk}", f"Goal/{p.eat_well.pk}"]
    p.call.refresh_from_db()
    # The staff member's intervention is their Task; the others are details.
    tasks = [a for a in body["activity"] if "reference" in a]
    assert tasks == [{"reference": {"reference": f"Task/{p.call.task_id}", "display": p.call.title}}]
    by_title = {a["detail"]["description"]: a["detail"] for a in body["activity"] if "detail" in a}
    assert set(by_title) == {"Keep a mood diary", "Fill in the SNAP application"}
    assert by_title["Keep a mood diary"] == {
        "kind": "Task",
        "code": {
            "coding": [{"system": KIND, "code": "monitoring", "display": "Monitoring"}],
            "text": "Monitoring",
        },
        "goal": [{"reference": f"Goal/{p.feel_better.pk}"}],
        "status": "not-started",
        "performer": [{"reference": f"Patient/{world.paula.pk}", "display": world.paula.full_name}],
        "description": "Keep a mood diary",
    }
    snap = by_title["Fill in the SNAP application"]
    assert snap["performer"] == [{"display": "Marco Reyes (son)"}]
    assert snap["scheduledPeriod"] == {"end": p.benefits.due_on.isoformat()}
    assert snap["goal"] == [{"reference": f"Goal/{p.eat_well.pk}"}]
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="CarePlan", object_id=str(p.plan.pk)
    ).exists()


def test_mcc_chain_condition_goal_task_resolves(world, api, active):
    """Each reference of the plan reads back: a health concern, a goal addressing that same concern, a task."""
    alice = api(world.alice)
    body = alice.get(f"CarePlan/{active.plan.pk}").body
    condition = alice.get(body["addresses"][0]["reference"]).body
    assert condition["category"][0]["coding"][0] == {
        "system": CONDITION_CATEGORY,
        "code": "health-concern",
        "display": "Health Concern",
    }
    goal = alice.get(body["goal"][0]["reference"]).body
    assert refs(goal["addresses"]) == [body["addresses"][0]["reference"]]
    task_ref = next(a["reference"]["reference"] for a in body["activity"] if "reference" in a)
    task = alice.get(task_ref).body
    assert task["resourceType"] == "Task"
    assert task["focus"] == {"reference": f"CarePlan/{active.plan.pk}"}


def test_a_draft_shows_its_working_rows(world, api, draft):
    body = api(world.alice).get(f"CarePlan/{draft.plan.pk}").body
    assert body["status"] == "draft"
    assert ext(body, "careplan-version") is None
    assert ext(body, "careplan-patient-agreed")["valueBoolean"] is False
    assert "period" not in body
    assert refs(body["goal"]) == [f"Goal/{draft.feel_better.pk}", f"Goal/{draft.eat_well.pk}"]
    # No version has come into force, so no task yet: the staff intervention is a detail too.
    by_title = {a["detail"]["description"]: a["detail"] for a in body["activity"]}
    assert set(by_title) == {"Weekly call about mood", "Fill in the SNAP application", "Keep a mood diary"}
    assert by_title["Weekly call about mood"]["performer"] == [
        {"reference": f"Practitioner/{world.alice.pk}", "display": world.alice.display_name()}
    ]
    assert by_title["Weekly call about mood"]["status"] == "not-started"


def test_the_draft_shows_what_a_version_made_now_would_hold(world, draft):
    """The working rows the mapper reads match careplans.snapshot.build, which makes versions."""
    mapper = mapper_for("CarePlan")
    assert mapper is not None
    row = mapper.with_related(CarePlan.objects.filter(pk=draft.plan.pk)).get()
    mine, built = mapper.content(row), snapshot.build(draft.plan)
    assert mine["title"] == built["title"]
    for section in ("problems", "goals", "interventions"):
        assert [item["id"] for item in mine[section]] == [item["id"] for item in built[section]], section
        for item, made in zip(mine[section], built[section], strict=True):
            assert item == {key: made[key] for key in item}, section


def test_unpublished_edits_do_not_show_until_a_new_version(world, api, active):
    alice = api(world.alice)
    plan = active.plan
    do_update_goal(world.alice, active.eat_well, patient_words="Three meals a day")
    later = do_add_goal(
        world.alice,
        plan,
        patient_words="Sleep through the night",
        proposed_by=Proposer.PATIENT,
        measure="other",
        measure_text="Nights slept through",
        target_text="Five nights a week",
    )
    do_move_goal(world.alice, active.eat_well, GoalLifecycle.CANCELLED, note="Enrolled elsewhere")
    body = alice.get(f"CarePlan/{plan.pk}").body
    assert refs(body["goal"]) == [f"Goal/{active.feel_better.pk}", f"Goal/{active.eat_well.pk}"]
    assert body["goal"][1]["display"] == "Enough food for the whole month"
    assert ext(body, "careplan-version")["valuePositiveInt"] == 1
    publish(world, plan, "New goal about sleep")
    body = alice.get(f"CarePlan/{plan.pk}").body
    assert ext(body, "careplan-version")["valuePositiveInt"] == 2
    # The cancelled goal has left the plan; the new one has joined it.
    assert sorted(refs(body["goal"])) == sorted([f"Goal/{active.feel_better.pk}", f"Goal/{later.pk}"])


def test_a_goal_the_patient_declined_is_not_in_the_plan_in_force(world, api, draft):
    declined = do_add_goal(
        world.alice,
        draft.plan,
        patient_words="Join a cooking class",
        proposed_by=Proposer.TEAM,
        agreement=GoalAgreement.DECLINED,
        measure="other",
        measure_text="Classes attended",
        target_text="One class a week",
    )
    alice = api(world.alice)
    assert f"Goal/{declined.pk}" in refs(alice.get(f"CarePlan/{draft.plan.pk}").body["goal"])
    publish(world, draft.plan, "First version")
    declined.refresh_from_db()
    assert declined.lifecycle == GoalLifecycle.REJECTED
    assert f"Goal/{declined.pk}" not in refs(alice.get(f"CarePlan/{draft.plan.pk}").body["goal"])


def test_intervention_status_is_read_as_it_stands(world, api, active):
    do_set_intervention_status(world.alice, active.diary, InterventionStatus.IN_PROGRESS)
    do_set_intervention_status(world.alice, active.benefits, InterventionStatus.CANCELLED)
    body = api(world.alice).get(f"CarePlan/{active.plan.pk}").body
    status = {a["detail"]["description"]: a["detail"]["status"] for a in body["activity"] if "detail" in a}
    assert status == {"Keep a mood diary": "in-progress", "Fill in the SNAP application": "cancelled"}


def test_the_patients_agreement_and_a_version_awaiting_approval(world, api, settings):
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset({world.paula_case.program})
    p = build_plan(world)
    alice = api(world.alice)
    version = do_publish(world.alice, p.plan, reason="First version")
    body = alice.get(f"CarePlan/{p.plan.pk}").body
    assert body["status"] == "draft"
    assert body["note"][0]["text"] == "Version 1 awaits approval: First version"
    assert body["note"][0]["time"] == version.made_at.isoformat()
    # The patient agrees to the version waiting for approval (it is what the draft shows).
    do_record_agreement(
        world.alice,
        p.plan,
        agreed_on=clock.today(),
        method=AgreementMethod.PHONE,
        agreed_by=AgreedBy.PATIENT,
    )
    body = alice.get(f"CarePlan/{p.plan.pk}").body
    assert ext(body, "careplan-patient-agreed")["valueBoolean"] is True
    assert ext(body, "careplan-patient-agreed-on")["valueDate"] == clock.today().isoformat()
    do_decide_version(world.sam, version, approve=True)
    p.plan.refresh_from_db()
    body = alice.get(f"CarePlan/{p.plan.pk}").body
    assert (body["status"], ext(body, "careplan-version")["valuePositiveInt"]) == ("active", 1)
    assert ext(body, "careplan-patient-agreed")["valueBoolean"] is True
    assert "note" not in body
    # A change waiting for approval leaves the version in force served, with a note.
    do_add_step(world.alice, p.feel_better, text="Call a friend on Sundays")
    do_publish(world.alice, p.plan, reason="A new step")
    body = alice.get(f"CarePlan/{p.plan.pk}").body
    assert ext(body, "careplan-version")["valuePositiveInt"] == 1
    assert body["note"][0]["text"] == "Version 2 awaits approval: A new step"
    assert ext(body, "careplan-patient-agreed")["valueBoolean"] is True


def test_an_ended_plan_has_its_period_end(world, api, active):
    do_end_plan(world.alice, active.plan, PlanStatus.COMPLETED, reason="Goals met")
    active.plan.refresh_from_db()
    body = api(world.alice).get(f"CarePlan/{active.plan.pk}").body
    assert body["status"] == "completed"
    assert body["period"] == {
        "start": active.plan.activated_at.isoformat(),
        "end": active.plan.ended_at.isoformat(),
    }
    assert ext(body, "careplan-version")["valuePositiveInt"] == 2


@pytest.mark.django_db(transaction=True)
def test_history_keeps_each_version_of_the_plan(world, api, no_approval):
    ensure_instruments()
    p = build_plan(world)
    alice = api(world.alice)
    publish(world, p.plan, "First version")
    first = alice.get(f"CarePlan/{p.plan.pk}").body
    later = do_add_goal(
        world.alice,
        p.plan,
        patient_words="Sleep through the night",
        proposed_by=Proposer.PATIENT,
        measure="other",
        measure_text="Nights slept through",
        target_text="Five nights a week",
    )
    # An edit that is not published makes no new version of the resource.
    assert alice.get(f"CarePlan/{p.plan.pk}").body["meta"]["versionId"] == first["meta"]["versionId"]
    publish(world, p.plan, "New goal about sleep")
    second = alice.get(f"CarePlan/{p.plan.pk}").body
    assert int(second["meta"]["versionId"]) > int(first["meta"]["versionId"])
    history = alice.get(f"CarePlan/{p.plan.pk}/_history").body
    kept = [e["resource"] for e in history["entry"]]
    in_force = [
        (ext(r, "careplan-version") or {}).get("valuePositiveInt") for r in kept if r["status"] == "active"
    ]
    assert in_force[0] == 2 and 1 in in_force
    assert f"Goal/{later.pk}" in refs(kept[0]["goal"])
    version_one = next(r for r in kept if (ext(r, "careplan-version") or {}).get("valuePositiveInt") == 1)
    assert f"Goal/{later.pk}" not in refs(version_one["goal"])
    old = alice.get(f"CarePlan/{p.plan.pk}/_history/{first['meta']['versionId']}")
    assert old.status == 200
    assert refs(old.body["goal"]) == refs(first["goal"])
    # The draft it started as is kept too.
    assert kept[-1]["status"] == "draft" and kept[-1]["meta"]["versionId"] == "1"
    # An agreement makes a new version.
    do_record_agreement(
        world.alice,
        p.plan,
        agreed_on=clock.today(),
        method=AgreementMethod.IN_PERSON,
        agreed_by=AgreedBy.PATIENT,
    )
    agreed = alice.get(f"CarePlan/{p.plan.pk}/_history").body["entry"][0]["resource"]
    assert int(agreed["meta"]["versionId"]) == int(second["meta"]["versionId"]) + 1
    assert ext(agreed, "careplan-patient-agreed")["valueBoolean"] is True
    assert api(world.bob).get(f"CarePlan/{p.plan.pk}/_history").status == 404


def test_labelled_conditions_are_not_named_by_the_plan(world, api, draft):
    """The kept versions serve every reader, so the plan names no Part 2 condition, not even by id (issue 17
    §1); who may read it finds it as a labelled Condition."""
    from careconductor.careplans.actions import do_add_problem_from_condition
    from careconductor.patients.actions import do_add_condition
    from careconductor.privacy.choices import Sensitivity

    opioid = do_add_condition(
        world.alice,
        world.paula,
        icd10_code="F11.20",
        display="Opioid dependence",
        sensitivity=Sensitivity.PART2,
    )
    do_add_problem_from_condition(world.alice, draft.plan, opioid)
    body = api(world.alice).get(f"CarePlan/{draft.plan.pk}").body
    assert f"Condition/{opioid.pk}" not in str(body) and "Opioid" not in str(body)
    assert [c["id"] for c in api(world.alice).search("Condition?code=F11.20")] == [str(opioid.pk)]
