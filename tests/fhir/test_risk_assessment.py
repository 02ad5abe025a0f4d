"""RiskAssessment through the FHIR API: LACE, HOSPITAL and Charlson computed from the chart, each with the inputs
behind its points and the inputs that were missing. Read-only."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.assessments.actions import do_compute_risk_scores
from careconductor.assessments.models import RiskScore
from careconductor.core import clock
from careconductor.patients.actions import do_add_condition, do_add_encounter
from careconductor.patients.choices import AdmissionType, EncounterClass
from careconductor.privacy.models import AuditEvent

from .conftest import query_count

pytestmark = pytest.mark.django_db

RISK_MODEL = "https://careconductor.org/fhir/CodeSystem/risk-model"
RISK_VALUE = "https://careconductor.org/fhir/StructureDefinition/risk-score-value"


@pytest.fixture
def stay(world):
    start = clock.now() - dt.timedelta(days=10)
    return do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.INPATIENT,
        facility="Riverside General",
        start=start,
        end=start + dt.timedelta(days=5),
        admission_type=AdmissionType.EMERGENCY,
        reason="Heart failure",
    )


@pytest.fixture
def scores(world, stay):
    do_add_condition(world.alice, world.paula, icd10_code="I50.22", display="Chronic systolic heart failure")
    do_add_condition(world.alice, world.paula, icd10_code="E11.9", display="Type 2 diabetes")
    rows = do_compute_risk_scores(world.alice, world.paula)
    return {row.model: row for row in rows}


def test_read_lace_with_its_basis_band_and_stay(world, api, scores, stay):
    lace = scores["lace"]
    assert lace.value is not None
    reply = api(world.alice).get(f"RiskAssessment/{lace.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["status"] == "final"
    model = {
        "coding": [{"system": RISK_MODEL, "code": "lace", "display": "LACE index"}],
        "text": "LACE index",
    }
    assert body["code"] == model and body["method"] == model
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["performer"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["basis"] == [{"reference": f"Encounter/{stay.pk}"}]
    assert body["occurrenceDateTime"].startswith(lace.computed_at.date().isoformat())
    (prediction,) = body["prediction"]
    assert prediction["extension"] == [{"url": RISK_VALUE, "valueInteger": lace.value}]
    assert prediction["qualitativeRisk"]["text"] == lace.band
    assert prediction["rationale"] == f"LACE index {lace.value} ({lace.band})"
    notes = [n["text"] for n in body["note"]]
    assert "L: length of stay 5 days — 4 points" in notes
    assert len(notes) == len(lace.basis) + len(lace.missing)
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="RiskAssessment", object_id=str(lace.pk)
    ).exists()


def test_a_score_with_missing_inputs_names_them_and_gives_no_value(world, api, scores):
    hospital = scores["hospital"]
    assert hospital.value is None and hospital.missing
    body = api(world.alice).get(f"RiskAssessment/{hospital.pk}").body
    (prediction,) = body["prediction"]
    assert "extension" not in prediction
    assert "not scored" in prediction["rationale"]
    notes = [n["text"] for n in body["note"]]
    for name in hospital.missing:
        assert f"Missing input: {name}" in notes


def test_charlson_has_no_stay_and_no_band(world, api, scores):
    charlson = scores["charlson"]
    body = api(world.alice).get(f"RiskAssessment/{charlson.pk}").body
    assert "basis" not in body
    assert body["prediction"][0]["extension"][0]["valueInteger"] == charlson.value
    assert "qualitativeRisk" not in body["prediction"][0]


def test_search_by_each_parameter(world, api, scores):
    alice = api(world.alice)
    paula = world.paula.pk
    every = sorted(str(r.pk) for r in scores.values())

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"RiskAssessment?{query}"))

    assert ids(f"patient={paula}") == every
    assert ids(f"subject=Patient/{paula}") == every
    today = clock.today().isoformat()
    assert ids(f"date={today}") == every
    assert ids(f"date=lt{today}") == []
    assert ids(f"method={RISK_MODEL}|lace") == [str(scores["lace"].pk)]
    assert ids("method=charlson,hospital") == sorted([str(scores["charlson"].pk), str(scores["hospital"].pk)])
    assert ids("method=http://example.org|lace") == []
    assert ids(f"_id={scores['lace'].pk}") == [str(scores["lace"].pk)]


def test_an_unknown_parameter_is_refused(world, api):
    reply = api(world.alice).get("RiskAssessment?probability=0.5")
    assert reply.status == 400
    assert reply.issue_paths() == ["probability"]


def test_a_stranger_sees_nothing(world, api, scores):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"RiskAssessment/{scores['lace'].pk}").status == 404
        assert not stranger.search("RiskAssessment")
        assert not stranger.search(f"RiskAssessment?patient={world.paula.pk}")


def test_risk_assessments_are_read_only(world, api, scores):
    alice = api(world.alice)
    body = alice.get(f"RiskAssessment/{scores['lace'].pk}").body
    assert alice.post("RiskAssessment", body).status == 405
    assert alice.put(f"RiskAssessment/{body['id']}", body).status == 405


def test_a_page_costs_the_same_queries_however_many_scores(world, api, scores):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"RiskAssessment?patient={world.paula.pk}&_count=50")) == n

    three = query_count(lambda: page_has(3))
    do_compute_risk_scores(world.sam, world.paula)
    assert RiskScore.objects.filter(patient=world.paula).count() == 6
    assert query_count(lambda: page_has(6)) == three
