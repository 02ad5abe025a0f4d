"""Observation through the FHIR API: the scores of completed assessments (category survey), derived from their
QuestionnaireResponse. A score is made only by scoring a response."""

from __future__ import annotations

import pytest

from careconductor.assessments.models import AssessmentScore
from careconductor.core import clock
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record

from .conftest import query_count

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OFTEN, NEVER = "LA28397-0", "LA28398-8"


@pytest.fixture
def phq9(world):
    return record(world.alice, world.paula, "phq-9", phq9_answers(12))


@pytest.fixture
def hunger(world):
    return record(world.alice, world.paula, "hunger-vital-sign", {"hvs-1": [OFTEN], "hvs-2": [NEVER]})


def score_of(assessment) -> AssessmentScore:
    return AssessmentScore.objects.get(assessment=assessment)


def test_read_shows_the_total_its_band_range_and_source(world, api, phq9):
    score = score_of(phq9)
    reply = api(world.alice).get(f"Observation/{score.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["status"] == "final"
    assert body["category"] == [{"coding": [{"system": CATEGORY, "code": "survey", "display": "Survey"}]}]
    assert body["code"]["coding"] == [{"system": LOINC, "code": "44261-6", "display": "PHQ-9 total score"}]
    assert body["valueInteger"] == 12
    assert body["interpretation"] == [{"text": "moderate"}]
    assert body["referenceRange"] == [{"low": {"value": 0}, "high": {"value": 27}}]
    assert body["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{phq9.pk}"}]
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["effectiveDateTime"].startswith(phq9.completed_at.date().isoformat())
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Observation", object_id=str(score.pk)
    ).exists()


def test_a_positive_screen_is_coded_pos(world, api, hunger):
    body = api(world.alice).get(f"Observation/{score_of(hunger).pk}").body
    assert body["code"]["coding"][0]["code"] == "88124-3"
    assert body["valueInteger"] == 1
    assert body["interpretation"] == [
        {"coding": [{"system": INTERPRETATION, "code": "POS", "display": "Positive"}], "text": "positive"}
    ]


def test_search_by_each_parameter(world, api, phq9, hunger):
    alice = api(world.alice)
    paula = world.paula.pk
    phq, hvs = str(score_of(phq9).pk), str(score_of(hunger).pk)
    both = sorted([phq, hvs])

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Observation?{query}"))

    assert ids(f"patient={paula}") == both
    assert ids(f"subject=Patient/{paula}") == both
    assert ids(f"code={LOINC}|44261-6") == [phq]
    assert ids("code=44261-6,88124-3") == both
    assert ids("code=http://snomed.info/sct|44261-6") == []
    assert ids("code:not=44261-6") == [hvs]
    assert ids(f"category={CATEGORY}|survey") == both
    assert ids("category=survey") == both
    assert ids("category=laboratory") == []
    assert ids("category=laboratory,survey") == both
    assert ids("category=http://example.org|survey") == []
    today = clock.today().isoformat()
    assert ids(f"date={today}") == both
    assert ids(f"date=lt{today}") == []
    assert ids(f"derived-from=QuestionnaireResponse/{phq9.pk}") == [phq]
    assert ids(f"_id={phq}") == [phq]
    assert ids(f"_lastUpdated=ge{today}") == both


def test_include_brings_in_the_response(world, api, phq9):
    reply = api(world.alice).get(f"Observation?patient={world.paula.pk}&_include=Observation:derived-from")
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("QuestionnaireResponse", str(phq9.pk))]


def test_an_unknown_parameter_is_refused(world, api):
    reply = api(world.alice).get("Observation?value-quantity=5")
    assert reply.status == 400
    assert reply.issue_paths() == ["value-quantity"]


def test_a_stranger_sees_nothing(world, api, phq9):
    score = score_of(phq9)
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"Observation/{score.pk}").status == 404
        assert not stranger.search("Observation")
        assert not stranger.search(f"Observation?patient={world.paula.pk}")
        assert not stranger.search("Observation?code=44261-6")


def test_the_care_team_reads_scores(world, api, phq9):
    assert api(world.dana).get(f"Observation/{score_of(phq9).pk}").status == 200


def test_scores_are_made_only_by_scoring_a_response(world, api, phq9):
    # Creating an Observation makes a lab or vital-sign reading (test_observation_create.py), never a score.
    alice = api(world.alice)
    body = alice.get(f"Observation/{score_of(phq9).pk}").body
    refused = alice.post("Observation", body)
    assert refused.status == 422 and "not a measure kept here" in str(refused.body)
    assert alice.put(f"Observation/{body['id']}", body).status == 405
    assert AssessmentScore.objects.count() == 1


def test_a_page_costs_the_same_queries_however_many_scores(world, api, phq9):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Observation?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    record(world.alice, world.paula, "phq-9", phq9_answers(20))
    record(world.alice, world.paula, "hunger-vital-sign", {"hvs-1": [NEVER], "hvs-2": [NEVER]})
    assert query_count(lambda: page_has(3)) == one
