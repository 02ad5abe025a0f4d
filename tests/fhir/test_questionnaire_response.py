"""QuestionnaireResponse through the FHIR API: assessments read as responses, and responses from another system
recorded exactly as the screens record them (scored, findings kept, safety rules applied), matched by LOINC
item codes when the other system's linkIds are its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from careconductor.assessments.choices import AssessmentSource, AssessmentStatus, FindingDomain
from careconductor.assessments.models import Assessment, AssessmentScore, Finding
from careconductor.coordination.models import Flag, Task
from careconductor.core import clock
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, questionnaire, record
from tests.assessments.kit import instrument

from .conftest import query_count, register_patient
from .test_api_access_walk import ensure_instruments

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
PHQ9_URL = "https://careconductor.org/fhir/Questionnaire/phq-9"
MISSING = "https://careconductor.org/fhir/StructureDefinition/missing-answer"


@pytest.fixture
def phq9(world):
    return record(world.alice, world.paula, "phq-9", phq9_answers(12))


@pytest.fixture
def unfinished(world):
    answers = phq9_answers(6)
    del answers["phq9-4"], answers["phq9-7"]
    return record(world.alice, world.paula, "phq-9", answers, complete=False)


def loinc_items(answers: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The answers as another system (LHC-Forms) sends them: flat items whose linkIds are the LOINC item
    codes ("/44250-9"), not ours. R4 response items have no `code` element."""
    inst = instrument("phq9")
    items = []
    for link_id, codes in answers.items():
        item = inst.questions[link_id]
        assert item.code is not None
        system, code = item.code
        assert system == LOINC
        items.append(
            {
                "linkId": f"/{code}",
                "text": item.text,
                "answer": [{"valueCoding": {"system": LOINC, "code": c}} for c in codes],
            }
        )
    return items


def new_response(world, answers: dict[str, list[str]], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": PHQ9_URL,
        "status": "completed",
        "subject": {"reference": f"Patient/{world.paula.pk}"},
        "item": loinc_items(answers),
        **extra,
    }


def test_read_shows_the_answers_the_instrument_and_who_recorded_it(world, api, phq9):
    reply = api(world.alice).get(f"QuestionnaireResponse/{phq9.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    q = questionnaire("phq-9")
    assert body["questionnaire"] == f"{PHQ9_URL}|{q.business_version}"
    assert body["status"] == "completed"
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["author"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert "source" not in body
    assert body["authored"].startswith(phq9.completed_at.date().isoformat())
    assert body["language"] == "en"
    assert "extension" not in body
    (group,) = body["item"]
    assert group["linkId"] == "phq9"
    first = group["item"][0]
    assert first["linkId"] == "phq9-1"
    assert first["answer"][0]["valueCoding"]["system"] == LOINC
    assert [i["linkId"] for i in group["item"]] == [f"phq9-{n}" for n in range(1, 10)]
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="QuestionnaireResponse", object_id=str(phq9.pk)
    ).exists()


def test_an_unfinished_response_names_each_missing_item(world, api, unfinished):
    body = api(world.alice).get(f"QuestionnaireResponse/{unfinished.pk}").body
    assert body["status"] == "in-progress"
    assert body["extension"] == [
        {"url": MISSING, "valueString": "phq9-4"},
        {"url": MISSING, "valueString": "phq9-7"},
    ]
    assert body["authored"].startswith(unfinished.started_at.date().isoformat())


def test_search_by_each_parameter(world, api, phq9, unfinished):
    alice = api(world.alice)
    paula = world.paula.pk
    both = sorted([str(phq9.pk), str(unfinished.pk)])
    version = questionnaire("phq-9").business_version

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"QuestionnaireResponse?{query}"))

    assert ids(f"patient={paula}") == both
    assert ids(f"subject=Patient/{paula}") == both
    assert ids(f"questionnaire={PHQ9_URL}") == both
    assert ids(f"questionnaire={PHQ9_URL}|{version}") == both
    assert ids(f"questionnaire={PHQ9_URL}|0.0.1") == []
    assert ids("questionnaire=Questionnaire/phq-9") == both
    assert ids("questionnaire=https://careconductor.org/fhir/Questionnaire/gad-7") == []
    assert ids("status=completed") == [str(phq9.pk)]
    assert ids("status=in-progress") == [str(unfinished.pk)]
    assert ids("status=amended") == []
    today = clock.today()
    assert ids(f"authored={today.isoformat()}") == both
    assert ids(f"authored=lt{today.isoformat()}") == []
    assert ids(f"author=Practitioner/{world.alice.pk}") == both
    assert ids(f"_id={phq9.pk}") == [str(phq9.pk)]
    assert ids(f"_lastUpdated=ge{today.isoformat()}") == both
    # The unfinished one was started after the other was completed.
    assert [r["id"] for r in alice.search("QuestionnaireResponse?_sort=-authored")] == [
        str(unfinished.pk),
        str(phq9.pk),
    ]


def test_include_brings_in_the_questionnaire(world, api, phq9):
    reply = api(world.alice).get(
        f"QuestionnaireResponse?patient={world.paula.pk}&_include=QuestionnaireResponse:questionnaire"
    )
    assert reply.status == 200
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("Questionnaire", "phq-9")]


def test_an_unknown_parameter_is_refused(world, api):
    reply = api(world.alice).get("QuestionnaireResponse?based-on=x")
    assert reply.status == 400
    assert reply.issue_paths() == ["based-on"]


def test_a_stranger_sees_nothing(world, api, phq9):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"QuestionnaireResponse/{phq9.pk}").status == 404
        assert not stranger.search("QuestionnaireResponse")
        assert not stranger.search(f"QuestionnaireResponse?patient={world.paula.pk}")
        assert not stranger.search(f"QuestionnaireResponse?questionnaire={PHQ9_URL}")


def test_a_page_costs_the_same_queries_however_many_responses(world, api, phq9):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"QuestionnaireResponse?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    record(world.alice, world.paula, "phq-9", phq9_answers(3))
    record(world.alice, world.paula, "gad-7", {}, complete=False)
    record(world.alice, world.paula, "phq-2", {}, complete=False)
    assert query_count(lambda: page_has(4)) == one


# --- create ----------------------------------------------------------------------------------------------------


def test_a_completed_phq9_with_loinc_items_is_scored_and_acted_on_as_on_screen(world, api):
    alice = api(world.alice)
    reply = alice.post("QuestionnaireResponse", new_response(world, phq9_answers(14, item9=2)))
    assert reply.status == 201, reply.body
    body = reply.body
    assert body["status"] == "completed"
    assert "extension" not in body
    assert (
        reply.headers["Location"]
        == f"QuestionnaireResponse/{body['id']}/_history/{body['meta']['versionId']}"
    )
    assessment = Assessment.objects.get(pk=body["id"])
    assert assessment.source == AssessmentSource.INTERFACE
    assert assessment.answers == phq9_answers(14, item9=2)
    # Served back in our own items.
    assert [i["linkId"] for i in body["item"][0]["item"]] == [f"phq9-{n}" for n in range(1, 10)]

    (observation,) = alice.search(f"Observation?derived-from=QuestionnaireResponse/{body['id']}")
    assert observation["code"]["coding"][0]["code"] == "44261-6"
    assert observation["valueInteger"] == 14
    assert observation["interpretation"][0]["text"] == "moderate"
    assert observation["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert set(Finding.objects.filter(patient=world.paula).values_list("domain", flat=True)) == {
        FindingDomain.DEPRESSION,
        FindingDomain.SELF_HARM_RISK,
    }

    focus = f"QuestionnaireResponse/{body['id']}"
    (flag,) = alice.search(f"Flag?patient={world.paula.pk}")
    assert flag["status"] == "active"
    assert "self-harm" in flag["code"]["text"]
    tasks = alice.search(f"Task?patient={world.paula.pk}")
    assert {t["owner"]["reference"] for t in tasks} == {
        f"Practitioner/{world.alice.pk}",
        f"Practitioner/{world.sam.pk}",
    }
    assert {(t["priority"], t["code"]["coding"][0]["code"], t["focus"]["reference"]) for t in tasks} == {
        ("urgent", "safety-check", focus)
    }
    assert len(alice.search(f"Task?focus={focus}&priority=urgent")) == 2


def test_the_api_path_acts_like_the_screens(world, api):
    """The same answers through the screens' actions and through the API leave the same scores and tasks."""
    answers = phq9_answers(21, item9=1)
    on_screen = record(world.alice, world.paula, "phq-9", answers)
    other = register_patient(world.alice, "Okafor", "Grace")
    reply = api(world.alice).post(
        "QuestionnaireResponse", new_response(world, answers, subject={"reference": f"Patient/{other.pk}"})
    )
    assert reply.status == 201, reply.body
    by_api = Assessment.objects.get(pk=reply.body["id"])

    def outcome(a: Assessment) -> tuple[Any, ...]:
        scores = sorted(AssessmentScore.objects.filter(assessment=a).values_list("code", "value", "band"))
        tasks = sorted(
            Task.objects.filter(focus=f"QuestionnaireResponse/{a.pk}").values_list("kind", "priority", "rule")
        )
        flags = sorted(
            Flag.objects.filter(focus=f"QuestionnaireResponse/{a.pk}").values_list("rule", "status")
        )
        findings = sorted(Finding.objects.filter(assessment=a).values_list("domain", flat=True))
        return a.status, a.summary, scores, tasks, flags, findings

    assert outcome(by_api) == outcome(on_screen)


def test_a_completed_response_lacking_an_answer_is_kept_in_progress_unscored(world, api):
    answers = phq9_answers(12)
    del answers["phq9-3"]
    reply = api(world.alice).post("QuestionnaireResponse", new_response(world, answers))
    assert reply.status == 201, reply.body
    assert reply.body["status"] == "in-progress"
    assert reply.body["extension"] == [{"url": MISSING, "valueString": "phq9-3"}]
    assessment = Assessment.objects.get(pk=reply.body["id"])
    assert assessment.status == AssessmentStatus.IN_PROGRESS
    assert not AssessmentScore.objects.filter(assessment=assessment).exists()
    assert not api(world.alice).search(f"Observation?derived-from=QuestionnaireResponse/{assessment.pk}")
    assert not Finding.objects.filter(patient=world.paula).exists()


def test_an_in_progress_response_is_kept_as_sent_and_its_language_and_time(world, api):
    authored = (clock.now() - dt.timedelta(days=1)).replace(microsecond=0)
    reply = api(world.alice).post(
        "QuestionnaireResponse",
        new_response(
            world,
            phq9_answers(12),
            status="in-progress",
            language="es-MX",
            authored=authored.isoformat(),
        ),
    )
    assert reply.status == 201, reply.body
    assert reply.body["status"] == "in-progress"
    assessment = Assessment.objects.get(pk=reply.body["id"])
    assert (assessment.status, assessment.language, assessment.started_at) == ("in-progress", "es", authored)
    assert not AssessmentScore.objects.filter(assessment=assessment).exists()


def test_nested_items_and_loinc_definitions_are_matched_too(world, api):
    items = loinc_items(phq9_answers(9))
    for item in items[:3]:
        item["linkId"] = f"/44249-1{item['linkId']}"
    for n, item in enumerate(items[3:6]):
        item["definition"] = f"http://loinc.org/rdf#{item['linkId'][1:]}"
        item["linkId"] = f"q{n}"
    body = new_response(world, {})
    body["item"] = [{"linkId": "/44249-1", "text": "PHQ-9", "item": items}]
    reply = api(world.alice).post("QuestionnaireResponse", body)
    assert reply.status == 201, reply.body
    assert reply.body["status"] == "completed"
    assert Assessment.objects.get(pk=reply.body["id"]).answers == phq9_answers(9)


def test_our_own_link_ids_and_a_versioned_canonical_are_accepted(world, api):
    alice = api(world.alice)
    ours = alice.get(f"QuestionnaireResponse/{record(world.alice, world.paula, 'phq-9', phq9_answers(4)).pk}")
    body = {k: v for k, v in ours.body.items() if k not in ("id", "meta", "author", "authored")}
    reply = alice.post("QuestionnaireResponse", body)
    assert reply.status == 201, reply.body
    assert reply.body["questionnaire"] == ours.body["questionnaire"]
    assert "|" in ours.body["questionnaire"]
    assert Assessment.objects.get(pk=reply.body["id"]).answers == phq9_answers(4)


def bad_answer(world: Any) -> dict[str, Any]:
    body = new_response(world, phq9_answers(12))
    body["item"][2]["answer"] = [{"valueCoding": {"system": LOINC, "code": "LA-NOT-AN-ANSWER"}}]
    return body


@pytest.mark.parametrize(
    ("make", "path"),
    [
        (bad_answer, "QuestionnaireResponse.item[2].answer[0]"),
        (
            lambda world: new_response(
                world, phq9_answers(12), questionnaire="https://example.org/Questionnaire/unknown"
            ),
            "QuestionnaireResponse.questionnaire",
        ),
        (
            lambda world: new_response(world, phq9_answers(12), questionnaire=f"{PHQ9_URL}|0.0.1"),
            "QuestionnaireResponse.questionnaire",
        ),
        (
            lambda world: new_response(world, phq9_answers(12), status="amended"),
            "QuestionnaireResponse.status",
        ),
        (
            lambda world: new_response(world, phq9_answers(12), status="stopped"),
            "QuestionnaireResponse.status",
        ),
        (
            lambda world: new_response(
                world, phq9_answers(12), authored=(clock.now() + dt.timedelta(days=2)).isoformat()
            ),
            "QuestionnaireResponse.authored",
        ),
        (
            lambda world: new_response(world, phq9_answers(12), subject={"reference": "Group/1"}),
            "QuestionnaireResponse.subject",
        ),
        (
            lambda world: {
                **new_response(world, phq9_answers(12)),
                "item": [
                    {"linkId": "/99999-9", "answer": [{"valueCoding": {"system": LOINC, "code": "LA6568-5"}}]}
                ],
            },
            "QuestionnaireResponse.item[0]",
        ),
    ],
)
def test_bad_input_gets_422_naming_the_element_and_stores_nothing(world, api, make, path):
    before = Assessment.objects.count(), Task.objects.count(), Flag.objects.count()
    reply = api(world.alice).post("QuestionnaireResponse", make(world))
    assert reply.status == 422, reply.body
    assert reply.body["resourceType"] == "OperationOutcome"
    assert path in reply.issue_paths(), reply.body
    assert (Assessment.objects.count(), Task.objects.count(), Flag.objects.count()) == before


def test_a_response_for_a_patient_the_caller_may_not_see_is_refused(world, api):
    lake = register_patient(world.charlie, "Lake", "Carla")
    before = Assessment.objects.count()
    alice = api(world.alice)
    reply = alice.post(
        "QuestionnaireResponse",
        new_response(world, phq9_answers(12), subject={"reference": f"Patient/{lake.pk}"}),
    )
    assert reply.status == 403
    assert reply.body["resourceType"] == "OperationOutcome"
    assert api(world.bob).post("QuestionnaireResponse", new_response(world, phq9_answers(12))).status == 403
    # The care team reads the chart but does not record assessments.
    refused = api(world.dana).post("QuestionnaireResponse", new_response(world, phq9_answers(12, item9=1)))
    assert refused.status == 422
    assert Assessment.objects.count() == before
    assert not Task.objects.exists() and not Flag.objects.exists()


def test_responses_are_not_updated_or_created_without_the_scope(world, api, phq9):
    alice = api(world.alice)
    current = alice.get(f"QuestionnaireResponse/{phq9.pk}").body
    assert alice.put(f"QuestionnaireResponse/{phq9.pk}", current).status == 405
    reader = api(world.alice, scopes=("user/*.read",))
    before = Assessment.objects.count()
    assert reader.post("QuestionnaireResponse", new_response(world, phq9_answers(12))).status == 403
    assert Assessment.objects.count() == before


def test_a_transaction_can_carry_a_response(world, api):
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": new_response(world, phq9_answers(2)),
                "request": {"method": "POST", "url": "QuestionnaireResponse"},
            }
        ],
    }
    reply = api(world.alice).post("", bundle)
    assert reply.status == 200, reply.body
    assert reply.body["entry"][0]["response"]["status"] == "201 Created"
    created = reply.body["entry"][0]["resource"]
    assert created["status"] == "completed"
    assert Assessment.objects.get(pk=created["id"]).scores.get().value == 2


@pytest.mark.django_db(transaction=True)
def test_history_keeps_the_response_as_it_was_when_recorded(world, api):
    ensure_instruments()
    alice = api(world.alice)
    created = alice.post("QuestionnaireResponse", new_response(world, phq9_answers(5)))
    assert created.status == 201, created.body
    history = alice.get(f"QuestionnaireResponse/{created.body['id']}/_history")
    assert history.status == 200
    assert history.body["entry"][0]["resource"]["status"] == "completed"
    assert api(world.bob).get(f"QuestionnaireResponse/{created.body['id']}/_history").status == 404


def test_a_completed_response_keeps_the_authored_time_sent_for_itself_and_its_observation(world, api):
    authored = (clock.now() - dt.timedelta(days=3)).replace(microsecond=0)
    reply = api(world.alice).post(
        "QuestionnaireResponse", new_response(world, phq9_answers(12), authored=authored.isoformat())
    )
    assert reply.status == 201, reply.body
    assessment = Assessment.objects.get(pk=int(reply.body["id"]))
    assert assessment.completed_at == authored
    assert assessment.scores.get().effective_at == authored
    assert reply.body["authored"].startswith(authored.date().isoformat())
