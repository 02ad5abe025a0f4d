"""Condition through the FHIR API: the problem list in ICD-10-CM, with sensitive (Part 2, psychotherapy)
conditions served only to those the policy allows."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.core import clock
from careconductor.patients.actions import do_add_condition, do_add_health_concern
from careconductor.patients.models import Condition
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType, Sensitivity
from careconductor.privacy.models import AuditEvent

from .conftest import assert_bad_change_refused, query_count

pytestmark = pytest.mark.django_db

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
CHRONIC = "https://careconductor.org/fhir/StructureDefinition/condition-chronic"


@pytest.fixture
def diabetes(world):
    return do_add_condition(
        world.alice,
        world.paula,
        icd10_code="E11.9",
        display="Type 2 diabetes without complications",
        onset_date=dt.date(2019, 6, 1),
    )


@pytest.fixture
def opioid(world):
    return do_add_condition(
        world.alice,
        world.paula,
        icd10_code="F11.20",
        display="Opioid dependence, uncomplicated",
        sensitivity=Sensitivity.PART2,
    )


def new_condition(world, **extra):
    return {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
        "code": {
            "coding": [{"system": ICD10, "code": "I50.22", "display": "Chronic systolic heart failure"}]
        },
        "subject": {"reference": f"Patient/{world.paula.pk}"},
        "onsetDateTime": "2021-02-03",
        **extra,
    }


def test_read_shows_the_coded_condition_and_audits_the_read(world, api, diabetes):
    reply = api(world.alice).get(f"Condition/{diabetes.pk}")
    assert reply.status == 200
    body = reply.body
    assert body["code"]["coding"] == [
        {"system": ICD10, "code": "E11.9", "display": "Type 2 diabetes without complications"}
    ]
    assert body["clinicalStatus"]["coding"][0]["code"] == "active"
    assert body["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert body["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["onsetDateTime"] == "2019-06-01"
    assert body["recordedDate"].startswith(diabetes.created_at.date().isoformat())
    assert {"url": CHRONIC, "valueBoolean": True} in body["extension"]
    assert "security" not in body["meta"]
    assert reply.headers["ETag"] == 'W/"1"'
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Condition", object_id=str(diabetes.pk)
    ).exists()


def test_search_by_patient_code_status_category_and_onset(world, api, diabetes):
    alice = api(world.alice)
    paula = world.paula.pk
    found = [str(diabetes.pk)]
    assert [r["id"] for r in alice.search(f"Condition?patient=Patient/{paula}")] == found
    assert [r["id"] for r in alice.search(f"Condition?subject={paula}")] == found
    assert [r["id"] for r in alice.search(f"Condition?code={ICD10}|e11.9")] == found
    assert not alice.search("Condition?code=http://snomed.info/sct|E11.9")
    assert not alice.search("Condition?code=I10")
    assert alice.search(f"Condition?clinical-status={CLINICAL}|active")
    assert not alice.search("Condition?clinical-status=resolved")
    assert alice.search("Condition?category=problem-list-item")
    assert not alice.search("Condition?category=encounter-diagnosis")
    assert alice.search("Condition?category=encounter-diagnosis,problem-list-item")
    assert alice.search("Condition?onset-date=ge2019-06-01&onset-date=lt2019-06-02")
    assert alice.search("Condition?onset-date=2019-06")
    assert not alice.search("Condition?onset-date=lt2019-06-01")
    assert not alice.search("Condition?onset-date=gt2019")
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Condition", detail__endswith="FHIR search"
    ).exists()


def test_a_page_costs_the_same_queries_however_many_conditions(world, api, diabetes):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search("Condition?patient=" + str(world.paula.pk))) == n

    one = query_count(lambda: page_has(1))
    for code in ("I10", "N18.3", "J44.9"):
        do_add_condition(world.alice, world.paula, icd10_code=code, display="Another condition")
    assert query_count(lambda: page_has(4)) == one


def test_a_stranger_sees_nothing(world, api, diabetes):
    bob = api(world.bob)
    assert bob.get(f"Condition/{diabetes.pk}").status == 404
    assert not bob.search("Condition")
    assert not bob.search(f"Condition?patient={world.paula.pk}")
    assert not api(world.charlie).search("Condition")


def test_a_part2_condition_is_hidden_from_the_care_team_without_consent(world, api, diabetes, opioid):
    dana = api(world.dana)
    assert dana.get(f"Condition/{opioid.pk}").status == 404
    assert [r["id"] for r in dana.search(f"Condition?patient={world.paula.pk}")] == [str(diabetes.pk)]
    assert not dana.search("Condition?code=F11.20")
    alice = api(world.alice)
    shown = alice.get(f"Condition/{opioid.pk}")
    assert shown.status == 200
    security = {(c["system"], c["code"]) for c in shown.body["meta"]["security"]}
    assert security == {(ACT_CODE, "ETH"), (CONFIDENTIALITY, "R")}
    assert len(alice.search(f"Condition?patient={world.paula.pk}")) == 2


def test_a_part2_consent_naming_the_care_team_member_shows_the_condition(world, api, opioid):
    do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.PART2,
        method=ConsentMethod.WRITTEN,
        given_on=clock.today(),
        recipient_user=world.dana,
    )
    assert api(world.dana).get(f"Condition/{opioid.pk}").status == 200


def test_create_adds_to_the_problem_list(world, api):
    reply = api(world.alice).post("Condition", new_condition(world))
    assert reply.status == 201, reply.body
    condition = Condition.objects.get(pk=reply.body["id"])
    assert (condition.patient_id, condition.icd10_code, condition.display) == (
        world.paula.pk,
        "I50.22",
        "Chronic systolic heart failure",
    )
    assert condition.onset_date == dt.date(2021, 2, 3)
    assert condition.sensitivity == Sensitivity.NORMAL
    assert AuditEvent.objects.filter(
        user=world.alice, action="create", object_type="Condition", object_id=str(condition.pk)
    ).exists()


def test_create_keeps_a_resolved_status_and_the_chronic_flag(world, api):
    body = new_condition(
        world,
        clinicalStatus={"coding": [{"system": CLINICAL, "code": "resolved"}]},
        extension=[{"url": CHRONIC, "valueBoolean": False}],
    )
    reply = api(world.alice).post("Condition", body)
    assert reply.status == 201, reply.body
    assert reply.body["clinicalStatus"]["coding"][0]["code"] == "resolved"
    condition = Condition.objects.get(pk=reply.body["id"])
    assert (condition.clinical_status, condition.chronic) == ("resolved", False)


def test_create_a_part2_condition_needs_the_right_to_see_it(world, api):
    labelled = new_condition(world, meta={"security": [{"system": ACT_CODE, "code": "ETH"}]})
    reply = api(world.alice).post("Condition", labelled)
    assert reply.status == 201, reply.body
    assert Condition.objects.get(pk=reply.body["id"]).sensitivity == Sensitivity.PART2
    before = Condition.objects.count()
    refused = api(world.adam).post("Condition", labelled)  # administrators never see sensitive records
    assert refused.status == 422
    assert "Condition.meta.security" in refused.issue_paths()
    assert Condition.objects.count() == before


def test_create_for_a_patient_the_caller_cannot_see_is_refused(world, api):
    before = Condition.objects.count()
    assert api(world.bob).post("Condition", new_condition(world)).status == 403
    assert api(world.charlie).post("Condition", new_condition(world)).status == 403
    assert Condition.objects.count() == before


def test_update_with_if_match_and_a_stale_version(world, api, diabetes):
    alice = api(world.alice)
    current = alice.get(f"Condition/{diabetes.pk}").body
    current["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "remission"}]}
    updated = alice.put(f"Condition/{diabetes.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert updated.status == 200, updated.body
    assert updated.body["meta"]["versionId"] == "2"
    diabetes.refresh_from_db()
    assert diabetes.clinical_status == "remission"
    assert AuditEvent.objects.filter(
        user=world.alice, action="update", object_type="Condition", object_id=str(diabetes.pk)
    ).exists()
    current["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "resolved"}]}
    stale = alice.put(f"Condition/{diabetes.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert stale.status == 412
    diabetes.refresh_from_db()
    assert diabetes.clinical_status == "remission"


def test_update_without_meta_keeps_the_sensitivity_label(world, api, opioid):
    alice = api(world.alice)
    current = alice.get(f"Condition/{opioid.pk}").body
    del current["meta"]
    current["onsetDateTime"] = "2018-01-01"
    assert alice.put(f"Condition/{opioid.pk}", current).status == 200
    opioid.refresh_from_db()
    assert (opioid.sensitivity, opioid.onset_date) == (Sensitivity.PART2, dt.date(2018, 1, 1))


def test_the_care_team_reads_but_may_not_update(world, api, diabetes):
    current = api(world.alice).get(f"Condition/{diabetes.pk}").body
    current["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "resolved"}]}
    reply = api(world.dana).put(f"Condition/{diabetes.pk}", current)
    assert reply.status == 422
    diabetes.refresh_from_db()
    assert (diabetes.clinical_status, diabetes.version) == ("active", 1)


def test_a_stranger_cannot_update(world, api, diabetes):
    current = api(world.alice).get(f"Condition/{diabetes.pk}").body
    assert api(world.bob).put(f"Condition/{diabetes.pk}", current).status == 404


def without_other_onsets(body):
    if "onsetString" in body:
        del body["onsetDateTime"]
    return body


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (
            {"code": {"coding": [{"system": ICD10, "code": "diabetes", "display": "Diabetes"}]}},
            "Condition.code",
        ),
        ({"code": {"coding": [{"system": "http://snomed.info/sct", "code": "44054006"}]}}, "Condition.code"),
        ({"code": {"coding": [{"system": ICD10, "code": "E11.9"}]}}, "Condition.code"),
        ({"clinicalStatus": {"coding": [{"system": CLINICAL, "code": "gone"}]}}, "Condition.clinicalStatus"),
        ({"onsetDateTime": "2021-02"}, "Condition.onsetDateTime"),
        ({"onsetString": "childhood"}, "Condition.onset[x]"),
        ({"subject": {"reference": "Group/1"}}, "Condition.subject"),
        (
            {
                "verificationStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "code": "provisional",
                        }
                    ]
                }
            },
            "Condition.verificationStatus",
        ),
    ],
)
def test_bad_input_gets_422_naming_the_element_and_changes_nothing(world, api, diabetes, change, path):
    assert_bad_change_refused(
        api(world.alice),
        "Condition",
        diabetes,
        new_condition(world, **change),
        change,
        path,
        shape=without_other_onsets,
    )
    diabetes.refresh_from_db()
    assert (diabetes.icd10_code, diabetes.version) == ("E11.9", 1)


@pytest.mark.django_db(transaction=True)
def test_history_keeps_each_version_with_its_label(world, api):
    alice = api(world.alice)
    labelled = new_condition(world, meta={"security": [{"system": ACT_CODE, "code": "ETH"}]})
    created = alice.post("Condition", labelled).body
    changed = {**created, "onsetDateTime": "2020-01-01"}
    assert alice.put(f"Condition/{created['id']}", changed).status == 200
    history = alice.get(f"Condition/{created['id']}/_history").body
    assert [e["resource"]["onsetDateTime"] for e in history["entry"]] == ["2020-01-01", "2021-02-03"]
    assert all(e["resource"]["meta"]["security"] for e in history["entry"])
    assert api(world.dana).get(f"Condition/{created['id']}/_history/1").status == 404


# --- health concerns --------------------------------------------------------------------------------------------
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONCERN = "https://careconductor.org/fhir/CodeSystem/health-concern"


@pytest.fixture
def food(world):
    """A need an assessment found, with the ICD-10-CM Z code that fits it."""
    return do_add_health_concern(
        world.alice,
        world.paula,
        display="Food insecurity",
        concern_code="food-insecurity",
        icd10_code="Z59.41",
    )


@pytest.fixture
def lonely(world):
    """A need named by hand, with no code that fits."""
    return do_add_health_concern(world.alice, world.paula, display="Lonely since her husband died")


def test_a_health_concern_has_its_category_and_codes(world, api, food, lonely):
    alice = api(world.alice)
    body = alice.get(f"Condition/{food.pk}").body
    assert body["category"] == [
        {"coding": [{"system": US_CORE_CATEGORY, "code": "health-concern", "display": "Health Concern"}]}
    ]
    assert body["code"] == {
        "coding": [
            {"system": ICD10, "code": "Z59.41", "display": "Food insecurity"},
            {"system": CONCERN, "code": "food-insecurity"},
        ],
        "text": "Food insecurity",
    }
    assert {"url": CHRONIC, "valueBoolean": False} in body["extension"]
    body = alice.get(f"Condition/{lonely.pk}").body
    assert body["code"] == {"text": "Lonely since her husband died"}
    assert body["category"][0]["coding"][0]["code"] == "health-concern"


def test_search_tells_the_problem_list_from_health_concerns(world, api, diabetes, food, lonely):
    alice = api(world.alice)
    concerns = sorted([str(food.pk), str(lonely.pk)])
    problems = [str(diabetes.pk)]

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Condition?{query}"))

    assert ids("category=health-concern") == concerns
    assert ids(f"category={US_CORE_CATEGORY}|health-concern") == concerns
    assert ids(f"category={CATEGORY}|health-concern") == []
    assert ids("category=problem-list-item") == problems
    assert ids(f"category={CATEGORY}|problem-list-item") == problems
    assert ids(f"category={US_CORE_CATEGORY}|problem-list-item") == []
    assert ids("category=problem-list-item,health-concern") == sorted(problems + concerns)
    assert ids("category=encounter-diagnosis") == []
    assert ids(f"category=health-concern&patient={world.paula.pk}") == concerns
    assert ids("code=Z59.41") == [str(food.pk)]
    assert ids(f"code={ICD10}|z59.41") == [str(food.pk)]
    assert ids(f"code={CONCERN}|food-insecurity") == [str(food.pk)]
    assert ids("code=food-insecurity") == [str(food.pk)]
    assert ids(f"code={ICD10}|food-insecurity") == []
    assert ids(f"code={CONCERN}|E11.9") == []
    assert ids("code:not=E11.9") == concerns


def test_a_health_concern_is_not_changed_through_the_api(world, api, food):
    alice = api(world.alice)
    current = alice.get(f"Condition/{food.pk}").body
    current["clinicalStatus"] = {"coding": [{"system": CLINICAL, "code": "resolved"}]}
    reply = alice.put(f"Condition/{food.pk}", current)
    assert reply.status == 422
    assert reply.body["issue"][0]["diagnostics"].startswith("Health concerns change through the care plan")
    assert reply.issue_paths() == ["Condition.category"]
    food.refresh_from_db()
    assert (food.clinical_status, food.version) == ("active", 1)


def test_a_health_concern_is_not_created_through_the_api(world, api):
    before = Condition.objects.count()
    body = new_condition(
        world, category=[{"coding": [{"system": US_CORE_CATEGORY, "code": "health-concern"}]}]
    )
    reply = api(world.alice).post("Condition", body)
    assert reply.status == 422
    assert reply.issue_paths() == ["Condition.category"]
    assert Condition.objects.count() == before
    problem = new_condition(world, category=[{"coding": [{"system": CATEGORY, "code": "problem-list-item"}]}])
    created = api(world.alice).post("Condition", problem)
    assert created.status == 201, created.body
    assert Condition.objects.get(pk=created.body["id"]).category == "problem-list-item"
