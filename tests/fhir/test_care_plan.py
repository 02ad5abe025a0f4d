"""CarePlan through the FHIR API: the version in force of a case's care plan, shaped as the MCC eCare Plan
(health concerns → goals → interventions), never the edits still being drafted; read-only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from careconductor.assessments import catalogue
from careconductor.assessments.models import Finding, Questionnaire
from careconductor.careplans import snapshot
from careconductor.careplans.actions import (
    do_add_goal,
    do_add_intervention,
    do_add_problem_by_hand,
    do_add_problem_from_finding,
    do_add_step,
    do_create_plan,
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
    InterventionKind,
    InterventionStatus,
    OwnerType,
    PlanStatus,
    Proposer,
)
from careconductor.careplans.models import CarePlan, Goal, Intervention, Problem
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.fhir.registry import mapper_for
from careconductor.patients.models import Patient
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record
from tests.personas import World

from .conftest import query_count, register_patient

pytestmark = pytest.mark.django_db

CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
CONDITION_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
KIND = "https://careconductor.org/fhir/CodeSystem/intervention-kind"
EXT = "https://careconductor.org/fhir/StructureDefinition/"


@dataclass
class Plan:
    plan: CarePlan
    mood: Problem
    food: Problem
    feel_better: Goal
    eat_well: Goal
    call: Intervention
    diary: Intervention
    benefits: Intervention


@pytest.fixture
def no_approval(settings) -> None:
    """Plans of the complex programme need a supervisor's approval by default; these come into force at once."""
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()


def ensure_instruments() -> None:
    if not Questionnaire.objects.filter(slug="phq-9").exists():
        catalogue.sync()


def depression_finding(world: World, patient: Patient) -> Finding:
    """A PHQ-9 of 12 finds depression symptoms (a health concern for the plan)."""
    ensure_instruments()
    record(world.alice, patient, "phq-9", phq9_answers(12))
    return Finding.objects.get(patient=patient, domain="depression", status="active")


def build_plan(world: World, case: Case | None = None, title: str = "Paula's plan") -> Plan:
    """A draft plan made as on the screens: two health concerns, a goal for each, and interventions owned by
    a member of staff, the patient and a caregiver."""
    alice = world.alice
    case = case or world.paula_case
    plan = do_create_plan(alice, case, title=title)
    mood = do_add_problem_from_finding(alice, plan, depression_finding(world, case.patient))
    food = do_add_problem_by_hand(alice, plan, title="Not enough food at the end of the month")
    today = clock.today()
    feel_better = do_add_goal(
        alice,
        plan,
        problem_ids=[mood.pk],
        patient_words="I want to feel like myself again",
        statement="PHQ-9 below 5 within 12 weeks.",
        proposed_by=Proposer.PATIENT,
        agreement=GoalAgreement.AGREED,
        patient_rank=1,
        measure="phq9",
        target_value=Decimal(5),
        due_on=today + dt.timedelta(days=84),
    )
    do_add_step(alice, feel_better, text="Walk ten minutes each morning", due_on=today + dt.timedelta(days=7))
    eat_well = do_add_goal(
        alice,
        plan,
        problem_ids=[food.pk],
        patient_words="Enough food for the whole month",
        statement="Food security: enrolled in SNAP.",
        proposed_by=Proposer.TEAM,
        agreement=GoalAgreement.AGREED,
        patient_rank=2,
        measure="food",
        target_text="Food every day of the month",
        due_on=today + dt.timedelta(days=60),
    )
    call = do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.COUNSELLING,
        title="Weekly call about mood",
        owner_type=OwnerType.STAFF,
        owner=alice,
        goal=feel_better,
        due_on=today + dt.timedelta(days=14),
    )
    diary = do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.MONITORING,
        title="Keep a mood diary",
        owner_type=OwnerType.PATIENT,
        goal=feel_better,
    )
    benefits = do_add_intervention(
        alice,
        plan,
        kind=InterventionKind.BENEFITS,
        title="Fill in the SNAP application",
        owner_type=OwnerType.CAREGIVER,
        owner_name="Marco Reyes (son)",
        goal=eat_well,
        due_on=today + dt.timedelta(days=21),
    )
    return Plan(plan, mood, food, feel_better, eat_well, call, diary, benefits)


def publish(world: World, plan: CarePlan, reason: str = "") -> None:
    """Publish and, where the programme needs it, have Sam (the team's supervisor) approve."""
    version = do_publish(world.alice, plan, reason=reason)
    if version.status == "pending":
        do_decide_version(world.sam, version, approve=True)
    # The actions read the plan they are given: a stale one would not know a version is in force.
    plan.refresh_from_db()


@pytest.fixture
def draft(world, no_approval) -> Plan:
    return build_plan(world)


@pytest.fixture
def active(world, draft) -> Plan:
    publish(world, draft.plan, "First version")
    return draft


def ext(body: dict[str, Any], name: str) -> Any:
    found = [e for e in body.get("extension", []) if e["url"] == EXT + name]
    return found[0] if found else None


def refs(items: list[dict[str, Any]]) -> list[str]:
    return [item["reference"] for item in items]


# --- reading ----------------------------------------------------------------------------------------------------


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


# --- searching --------------------------------------------------------------------------------------------------


def test_search_by_each_parameter(world, api, active):
    alice = api(world.alice)
    plan = str(active.plan.pk)
    paula = world.paula.pk
    # A second, draft plan of another patient of Alice's.
    other = register_patient(world.alice, "Haddad", "Omar")
    second = build_plan(world, other.cases.get(), title="Omar's plan")
    both = sorted([plan, str(second.plan.pk)])

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"CarePlan?{query}"))

    assert ids("") == both
    assert ids(f"patient={paula}") == [plan]
    assert ids(f"subject=Patient/{paula}") == [plan]
    assert ids(f"patient={other.pk}") == [str(second.plan.pk)]
    assert ids("status=active") == [plan]
    assert ids("status=draft") == [str(second.plan.pk)]
    assert ids("status=http://hl7.org/fhir/request-status|active,draft") == both
    assert ids("status:not=active") == [str(second.plan.pk)]
    assert ids("status=on-hold") == []
    assert ids("category=assess-plan") == both
    assert ids(f"category={CATEGORY}|assess-plan") == both
    assert ids("category=http://example.org|assess-plan") == []
    assert ids("category=longitudinal") == []
    today = clock.today()
    # The draft has no period; the plan in force covers today and every day after.
    assert ids(f"date={today.isoformat()}") == [plan]
    assert ids(f"date=ge{today.isoformat()}") == [plan]
    assert ids(f"date=gt{(today + dt.timedelta(days=400)).isoformat()}") == [plan]
    assert ids(f"date=lt{today.isoformat()}") == []
    assert ids(f"date=le{today.isoformat()}") == [plan]
    assert ids(f"date=sa{(today - dt.timedelta(days=1)).isoformat()}") == [plan]
    assert ids(f"date=eb{(today + dt.timedelta(days=1)).isoformat()}") == []
    assert ids(f"date=ne{today.isoformat()}") == []
    assert ids(f"date={today.year - 1}") == []
    assert ids(f"goal=Goal/{active.feel_better.pk}") == [plan]
    assert ids(f"goal={second.eat_well.pk}") == [str(second.plan.pk)]
    assert ids(f"goal:Goal={second.eat_well.pk}") == [str(second.plan.pk)]
    assert ids(f"goal=Condition/{active.feel_better.pk}") == []
    assert ids("goal=999999") == []
    assert ids(f"_id={plan}") == [plan]
    assert ids(f"_lastUpdated=ge{today.isoformat()}") == both
    assert ids(f"_lastUpdated=lt{today.isoformat()}") == []
    assert [r["id"] for r in alice.search("CarePlan?_sort=-status")] == [str(second.plan.pk), plan]
    assert [r["id"] for r in alice.search("CarePlan?_sort=_lastUpdated")]
    assert [r["id"] for r in alice.search("CarePlan?_sort=date")]


def test_end_of_a_plan_narrows_the_date_search(world, api, active):
    do_end_plan(world.alice, active.plan, PlanStatus.REVOKED, reason="Moved away")
    alice = api(world.alice)
    today = clock.today()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert [r["id"] for r in alice.search(f"CarePlan?date={today.isoformat()}")] == [str(active.plan.pk)]
    assert not alice.search(f"CarePlan?date=ge{tomorrow}")
    assert [r["id"] for r in alice.search(f"CarePlan?date=eb{tomorrow}")] == [str(active.plan.pk)]
    assert [r["id"] for r in alice.search(f"CarePlan?date=ne{tomorrow}")] == [str(active.plan.pk)]
    assert [r["id"] for r in alice.search("CarePlan?status=revoked")] == [str(active.plan.pk)]


def test_include_the_patient_and_revinclude_from_the_patient(world, api, active):
    alice = api(world.alice)
    reply = alice.get(f"CarePlan?_id={active.plan.pk}&_include=CarePlan:patient")
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("Patient", str(world.paula.pk))]
    reply = alice.get(f"Patient?_id={world.paula.pk}&_revinclude=CarePlan:patient")
    assert ("CarePlan", str(active.plan.pk)) in {
        (e["resource"]["resourceType"], e["resource"]["id"]) for e in reply.body["entry"]
    }


def test_a_stranger_sees_nothing(world, api, active):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"CarePlan/{active.plan.pk}").status == 404
        assert not stranger.search("CarePlan")
        assert not stranger.search(f"CarePlan?patient={world.paula.pk}")
        assert not stranger.search(f"CarePlan?goal=Goal/{active.feel_better.pk}")


def test_the_care_team_reads_the_plan(world, api, active):
    assert api(world.dana).get(f"CarePlan/{active.plan.pk}").status == 200


def test_care_plans_are_read_only(world, api, active):
    alice = api(world.alice)
    body = alice.get(f"CarePlan/{active.plan.pk}").body
    assert alice.post("CarePlan", body).status == 405
    assert alice.put(f"CarePlan/{active.plan.pk}", body).status == 405


def test_a_page_of_plans_costs_a_fixed_number_of_queries(
    world, api, no_approval, django_assert_max_num_queries
):
    alice = api(world.alice)
    first = build_plan(world)
    publish(world, first.plan, "First version")

    def page_has(n: int) -> None:
        assert len(alice.search("CarePlan?_count=10")) == n

    one = query_count(lambda: page_has(1))
    # Nine more plans of other patients, in every state: drafts, in force, agreed, ended.
    for n in range(9):
        patient = register_patient(world.alice, f"Patient{n}", "Test")
        more = build_plan(world, patient.cases.get(), title=f"Plan {n}")
        if n % 3:
            publish(world, more.plan, "First version")
        if n % 3 == 2:
            do_record_agreement(
                world.alice,
                more.plan,
                agreed_on=clock.today(),
                method=AgreementMethod.PHONE,
                agreed_by=AgreedBy.PATIENT,
            )
        if n == 4:
            do_end_plan(world.alice, more.plan, PlanStatus.COMPLETED, reason="Done")
    assert query_count(lambda: page_has(10)) == one
    with django_assert_max_num_queries(one):
        page_has(10)


def test_the_capability_statement_lists_care_plans_and_goals(world, api):
    listed = {r["type"]: r for r in api(world.alice).get("metadata").body["rest"][0]["resource"]}
    for kind, names in {
        "CarePlan": {"patient", "subject", "status", "category", "date", "goal", "_id", "_lastUpdated"},
        "Goal": {
            "patient",
            "subject",
            "lifecycle-status",
            "achievement-status",
            "target-date",
            "start-date",
            "_id",
            "_lastUpdated",
        },
    }.items():
        assert {p["name"] for p in listed[kind]["searchParam"]} == names, kind
        assert {i["code"] for i in listed[kind]["interaction"]} == {
            "read",
            "vread",
            "search-type",
            "history-instance",
        }
    assert "CarePlan:patient" in listed["CarePlan"]["searchInclude"]
    assert "CarePlan:patient" in listed["Patient"]["searchRevInclude"]
