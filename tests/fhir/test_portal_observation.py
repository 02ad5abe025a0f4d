"""Observation through the FHIR API for what patients report in the portal: their readings (id reading-N; blood
pressure as one vital-signs panel) and their check-ins (id check-in-N, category survey), served beside the
assessment scores (id N) and searched together with them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careconductor.accounts.models import User
from careconductor.careplans.actions import do_add_goal, do_create_plan, do_record_reading
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.models import CarePlan, Goal, Reading
from careconductor.core import clock
from careconductor.engagement.actions import (
    do_accept_invitation,
    do_check_in_goal,
    do_grant_proxy,
    do_invite_patient,
    do_report_blood_pressure,
    do_report_reading,
    do_report_wellbeing,
)
from careconductor.engagement.models import CheckIn
from careconductor.patients.models import Patient
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record
from tests.personas import PASSWORD, World

from .conftest import query_count

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CHECK_IN = "https://careconductor.org/fhir/CodeSystem/check-in"
RATING = "https://careconductor.org/fhir/CodeSystem/goal-rating"
SYMPTOM = "https://careconductor.org/fhir/CodeSystem/symptom"
SOURCE_EXT = "https://careconductor.org/fhir/StructureDefinition/reading-source"


# --- people and data, built through the portal's actions (the other test_portal_* files use these too) ---------


def portal_login(staff: User, patient: Patient, username: str) -> User:
    """The patient's own portal log-in, made by accepting the case manager's invitation."""
    made = do_invite_patient(staff, patient)
    login = do_accept_invitation(
        made.secret,
        username=username,
        password=PASSWORD,
        birth_date=patient.birth_date,
        first_name=patient.given_name,
        last_name=patient.family_name,
    )
    patient.refresh_from_db()
    return login


def proxy_login(patient_login: User, patient: Patient, username: str, first: str, last: str) -> User:
    """Someone the patient made their proxy, once they accepted the invitation."""
    _, made = do_grant_proxy(patient_login, patient, name=f"{first} {last}", relationship="child")
    return do_accept_invitation(
        made.secret, username=username, password=PASSWORD, first_name=first, last_name=last
    )


def a_goal(world: World) -> Goal:
    plan = CarePlan.objects.filter(case=world.paula_case).first() or do_create_plan(
        world.alice, world.paula_case
    )
    return do_add_goal(
        world.alice,
        plan,
        patient_words="Walk every morning",
        measure="other",
        measure_text="Days walked",
        target_text="Five days a week",
    )


def ids(api, query: str) -> list[str]:
    return sorted(r["id"] for r in api.search(f"Observation?{query}"))


@pytest.fixture
def paula_login(world: World) -> User:
    return portal_login(world.alice, world.paula, "paula.reyes")


@pytest.fixture
def blood_pressure(world, paula_login) -> list[Reading]:
    return do_report_blood_pressure(
        paula_login, world.paula, systolic=Decimal(150), diastolic=Decimal(92)
    ).readings


@pytest.fixture
def glucose(world, paula_login) -> Reading:
    return do_report_reading(paula_login, world.paula, measure="glucose", value=Decimal("112.5")).readings[0]


@pytest.fixture
def wellbeing(world, paula_login) -> CheckIn:
    check_in = do_report_wellbeing(
        paula_login, world.paula, mood=2, symptoms=["tired", "short-of-breath"], note="Bad night"
    ).check_in
    assert check_in is not None
    return check_in


@pytest.fixture
def goal_check_in(world, paula_login) -> CheckIn:
    return do_check_in_goal(paula_login, a_goal(world), rating="partly", note="Walked three days")


# --- readings ------------------------------------------------------------------------------------------------


def test_blood_pressure_is_one_vital_signs_panel_reported_by_the_patient(world, api, blood_pressure):
    systolic, diastolic = blood_pressure
    reply = api(world.alice).get(f"Observation/reading-{systolic.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["id"] == f"reading-{systolic.pk}"
    assert body["status"] == "final"
    assert body["category"] == [
        {"coding": [{"system": CATEGORY, "code": "vital-signs", "display": "Vital Signs"}]}
    ]
    assert body["code"] == {"coding": [{"system": LOINC, "code": "85354-9"}], "text": "Blood pressure"}
    assert "valueQuantity" not in body
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]) for c in body["component"]] == [
        ("8480-6", {"value": 150, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}),
        ("8462-4", {"value": 92, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}),
    ]
    assert body["subject"] == {"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}
    assert body["performer"] == [{"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}]
    assert body["extension"] == [
        {
            "url": SOURCE_EXT,
            "valueCoding": {
                "system": "https://careconductor.org/fhir/CodeSystem/reading-source",
                "code": "self-report",
                "display": "Reported by the patient",
            },
        }
    ]
    assert body["effectiveDateTime"] == systolic.taken_at.isoformat()
    # The diastolic row is folded into the panel: it is not a resource of its own.
    assert api(world.alice).get(f"Observation/reading-{diastolic.pk}").status == 404
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Observation", object_id=f"reading-{systolic.pk}"
    ).exists()


def test_glucose_is_a_laboratory_value_in_mg_per_dl(world, api, glucose):
    body = api(world.alice).get(f"Observation/reading-{glucose.pk}").body
    assert body["category"][0]["coding"][0]["code"] == "laboratory"
    assert body["code"]["coding"] == [{"system": LOINC, "code": "41653-7"}]
    assert body["valueQuantity"] == {"value": 112.5, "unit": "mg/dL", "system": UCUM, "code": "mg/dL"}


def test_weight_is_a_vital_sign_and_peak_flow_an_exam(world, api, paula_login):
    weight = do_report_reading(paula_login, world.paula, measure="weight", value=Decimal("81.4")).readings[0]
    flow = do_report_reading(paula_login, world.paula, measure="peak-flow", value=Decimal(380)).readings[0]
    alice = api(world.alice)
    body = alice.get(f"Observation/reading-{weight.pk}").body
    assert (body["category"][0]["coding"][0]["code"], body["code"]["coding"][0]["code"]) == (
        "vital-signs",
        "29463-7",
    )
    assert body["valueQuantity"]["value"] == 81.4
    body = alice.get(f"Observation/reading-{flow.pk}").body
    assert (body["category"][0]["coding"][0]["code"], body["code"]["coding"][0]["code"]) == (
        "exam",
        "19935-6",
    )
    assert body["valueQuantity"] == {"value": 380, "unit": "L/min", "system": UCUM, "code": "L/min"}


def test_a_lab_result_typed_by_staff_has_no_performer_and_a_lone_number_is_marked_absent(world, api):
    taken = clock.now() - dt.timedelta(days=1)
    lab = do_record_reading(
        world.alice,
        world.paula,
        measure_key="hba1c",
        value=Decimal("7.9"),
        taken_at=taken,
        source=ReadingSource.LAB,
    )
    lone = do_record_reading(
        world.alice,
        world.paula,
        measure_key="bp-diastolic",
        value=Decimal(88),
        taken_at=taken,
        source=ReadingSource.CLINIC,
        note="Left arm",
    )
    alice = api(world.alice)
    body = alice.get(f"Observation/reading-{lab.pk}").body
    assert body["category"][0]["coding"][0]["code"] == "laboratory"
    assert body["code"]["coding"][0]["code"] == "4548-4"
    assert "performer" not in body
    assert body["extension"][0]["valueCoding"]["code"] == "lab"
    body = alice.get(f"Observation/reading-{lone.pk}").body
    systolic, diastolic = body["component"]
    assert systolic["dataAbsentReason"]["coding"][0]["code"] == "unknown"
    assert "valueQuantity" not in systolic
    assert diastolic["valueQuantity"]["value"] == 88
    assert body["performer"] == [{"reference": f"Practitioner/{world.alice.pk}", "display": "Alice Tester"}]
    assert body["note"] == [{"text": "Left arm"}]


def test_a_proxys_reading_names_the_proxy_as_performer(world, api, paula_login):
    rosa = proxy_login(paula_login, world.paula, "rosa", "Rosa", "Reyes")
    reading = do_report_reading(rosa, world.paula, measure="glucose", value=Decimal(140)).readings[0]
    body = api(world.alice).get(f"Observation/reading-{reading.pk}").body
    assert body["performer"] == [{"type": "RelatedPerson", "display": "Rosa Reyes"}]


# --- check-ins -----------------------------------------------------------------------------------------------


def test_a_wellbeing_check_in_is_a_survey_with_mood_and_symptoms(world, api, wellbeing):
    body = api(world.alice).get(f"Observation/check-in-{wellbeing.pk}").body
    assert body["id"] == f"check-in-{wellbeing.pk}"
    assert body["category"] == [{"coding": [{"system": CATEGORY, "code": "survey", "display": "Survey"}]}]
    assert body["code"] == {
        "coding": [{"system": CHECK_IN, "code": "mood-and-symptoms", "display": "Mood and symptoms"}],
        "text": "Mood and symptoms",
    }
    assert body["valueInteger"] == 2
    assert body["referenceRange"][0]["low"] == {"value": 1}
    assert [
        (c["code"]["coding"][0]["system"], c["code"]["coding"][0]["code"]) for c in body["component"]
    ] == [
        (SYMPTOM, "short-of-breath"),
        (SYMPTOM, "tired"),
    ]
    assert all(c["valueBoolean"] is True for c in body["component"])
    assert body["note"] == [{"text": "Bad night"}]
    assert body["performer"] == [{"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}]
    assert body["effectiveDateTime"] == wellbeing.reported_at.isoformat()


def test_a_goal_check_in_rates_the_goal_it_focuses_on(world, api, goal_check_in):
    body = api(world.alice).get(f"Observation/check-in-{goal_check_in.pk}").body
    assert body["code"]["coding"][0]["code"] == "goal-check-in"
    assert body["code"]["text"] == "Goal check-in"
    assert body["valueCodeableConcept"] == {
        "coding": [{"system": RATING, "code": "partly", "display": "Some of it went well"}]
    }
    assert body["focus"] == [{"reference": f"Goal/{goal_check_in.goal_id}"}]
    assert body["note"] == [{"text": "Walked three days"}]


# --- search over scores, readings and check-ins --------------------------------------------------------------


def test_search_finds_scores_readings_and_check_ins_together(
    world, api, blood_pressure, glucose, wellbeing, goal_check_in
):
    score = record(world.alice, world.paula, "phq-9", phq9_answers(12)).scores.get()
    alice = api(world.alice)
    paula = world.paula.pk
    bp, sugar = f"reading-{blood_pressure[0].pk}", f"reading-{glucose.pk}"
    mood, goal = f"check-in-{wellbeing.pk}", f"check-in-{goal_check_in.pk}"
    everything = sorted([str(score.pk), bp, sugar, mood, goal])
    assert ids(alice, f"patient={paula}") == everything
    assert ids(alice, f"subject=Patient/{paula}") == everything
    assert ids(alice, "category=survey") == sorted([str(score.pk), mood, goal])
    assert ids(alice, f"category={CATEGORY}|vital-signs") == [bp]
    assert ids(alice, "category=laboratory") == [sugar]
    assert ids(alice, "category=vital-signs,laboratory") == sorted([bp, sugar])
    assert ids(alice, f"code={LOINC}|85354-9") == [bp]
    assert ids(alice, "code=8480-6") == []
    assert ids(alice, f"component-code={LOINC}|8480-6") == [bp]
    assert ids(alice, "code=41653-7,44261-6") == sorted([sugar, str(score.pk)])
    assert ids(alice, f"code={CHECK_IN}|mood-and-symptoms") == [mood]
    assert ids(alice, "code=http://example.org|85354-9") == []
    assert ids(alice, f"focus=Goal/{goal_check_in.goal_id}") == [goal]
    assert ids(alice, f"derived-from=QuestionnaireResponse/{score.assessment_id}") == [str(score.pk)]
    assert ids(alice, f"_id={bp}") == [bp]
    assert ids(alice, f"_id={mood},{score.pk}") == sorted([mood, str(score.pk)])
    today = clock.today().isoformat()
    assert ids(alice, f"date={today}&patient={paula}") == everything
    assert ids(alice, f"date=lt{today}") == []
    assert ids(alice, "_lastUpdated=ge2000-01-01") == everything
    reply = alice.get(f"Observation?patient={paula}&_summary=count")
    assert reply.body["total"] == 5


def test_sorting_and_paging_walk_the_union_without_loss(world, api, paula_login):
    start = clock.now() - dt.timedelta(hours=10)
    made = [
        f"reading-{do_report_reading(paula_login, world.paula, measure='weight', value=Decimal(80 + n), taken_at=start + dt.timedelta(hours=n)).readings[0].pk}"
        for n in range(3)
    ]
    made.append(f"check-in-{do_report_wellbeing(paula_login, world.paula, mood=4, symptoms=[]).check_in.pk}")
    score = record(world.alice, world.paula, "phq-9", phq9_answers(3)).scores.get()
    made.append(str(score.pk))
    alice = api(world.alice)
    newest_first = alice.search(f"Observation?patient={world.paula.pk}&_sort=-date&_count=50")
    dates = [r["effectiveDateTime"] for r in newest_first]
    assert dates == sorted(dates, reverse=True)
    seen: list[str] = []
    reply = alice.get(f"Observation?patient={world.paula.pk}&_sort=date&_count=2")
    assert reply.body["total"] == 5
    while True:
        seen += [e["resource"]["id"] for e in reply.body.get("entry", [])]
        following = [link["url"] for link in reply.body["link"] if link["relation"] == "next"]
        if not following:
            break
        # A row made while paging does not shift the pages (the snapshot holds for every part).
        do_report_reading(paula_login, world.paula, measure="glucose", value=Decimal(99))
        reply = alice.get(following[0].split("/fhir/r4/", 1)[1])
    assert sorted(seen) == sorted(made)
    assert seen[:3] == made[:3]  # the weights, oldest first, before what was reported now
    assert alice.get("Observation?_sort=value").status == 400


def test_everything_and_include_bring_in_readings_and_check_ins(world, api, blood_pressure, goal_check_in):
    alice = api(world.alice)
    everything = alice.get(f"Patient/{world.paula.pk}/$everything").body
    observations = {
        e["resource"]["id"] for e in everything["entry"] if e["resource"]["resourceType"] == "Observation"
    }
    assert observations == {f"reading-{blood_pressure[0].pk}", f"check-in-{goal_check_in.pk}"}
    reply = alice.get(f"Observation?patient={world.paula.pk}&_include=Observation:focus")
    included = [
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in reply.body["entry"]
        if e["search"]["mode"] == "include"
    ]
    assert included == [("Goal", str(goal_check_in.goal_id))]
    reply = alice.get(f"Patient?_id={world.paula.pk}&_revinclude=Observation:patient")
    revincluded = {e["resource"]["id"] for e in reply.body["entry"] if e["search"]["mode"] == "include"}
    assert revincluded == {f"reading-{blood_pressure[0].pk}", f"check-in-{goal_check_in.pk}"}


def test_history_keeps_the_panel_with_both_numbers(world, api, blood_pressure):
    systolic = blood_pressure[0]
    reply = api(world.alice).get(f"Observation/reading-{systolic.pk}/_history")
    assert reply.status == 200, reply.body
    [kept] = [e["resource"] for e in reply.body["entry"]]
    assert [c["valueQuantity"]["value"] for c in kept["component"]] == [150, 92]


def test_odd_ids_are_not_found(world, api, blood_pressure, wellbeing):
    alice = api(world.alice)
    pk = blood_pressure[0].pk
    for bad in (
        f"reading-0{pk}",
        f"reading-{pk}x",
        "reading-",
        f"check-in--{wellbeing.pk}",
        f"checkin-{wellbeing.pk}",
    ):
        assert alice.get(f"Observation/{bad}").status == 404, bad
    assert alice.get(f"Observation/check-in-{pk + 1000}").status == 404


def test_a_stranger_sees_no_portal_observation(world, api, blood_pressure, wellbeing):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"Observation/reading-{blood_pressure[0].pk}").status == 404
        assert stranger.get(f"Observation/check-in-{wellbeing.pk}").status == 404
        assert not stranger.search("Observation")
        assert not stranger.search(f"Observation?patient={world.paula.pk}")


def test_a_portal_reading_cannot_be_changed_and_posting_it_again_is_a_new_clinic_reading(
    world, api, blood_pressure
):
    # Observation create makes a lab or vital-sign reading (test_observation_create.py); the patient's own
    # report is never rewritten, and a body posted again is a new reading from the poster, not a self-report.
    alice = api(world.alice)
    body = alice.get(f"Observation/reading-{blood_pressure[0].pk}").body
    assert alice.put(f"Observation/{body['id']}", body).status == 405
    created = alice.post("Observation", {k: v for k, v in body.items() if k not in ("id", "meta")})
    assert created.status == 201, created.body
    assert created.body["id"] != body["id"]
    assert Reading.objects.get(pk=blood_pressure[0].pk).source == "self-report"
    assert Reading.objects.filter(patient=world.paula, source="clinic").count() == 2


def test_a_page_costs_the_same_queries_however_many_rows_of_each_kind(
    world, api, paula_login, blood_pressure
):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Observation?patient={world.paula.pk}&_sort=-date")) == n

    do_report_wellbeing(paula_login, world.paula, mood=3, symptoms=[])
    record(world.alice, world.paula, "phq-9", phq9_answers(4))
    three = query_count(lambda: page_has(3))
    do_report_blood_pressure(paula_login, world.paula, systolic=Decimal(130), diastolic=Decimal(80))
    do_report_reading(paula_login, world.paula, measure="glucose", value=Decimal(101))
    do_report_wellbeing(paula_login, world.paula, mood=None, symptoms=["pain"])
    do_check_in_goal(paula_login, a_goal(world), rating="well")
    record(world.alice, world.paula, "phq-9", phq9_answers(2))
    assert query_count(lambda: page_has(8)) == three
