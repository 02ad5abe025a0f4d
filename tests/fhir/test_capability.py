"""The CapabilityStatement is generated from the registry and says what the server really does."""

from __future__ import annotations

import json

import pytest

from careconductor.fhir.registry import all_mappers

from .conftest import validate_fhir

pytestmark = pytest.mark.django_db


def test_metadata_lists_every_registered_type_with_its_parameters(client):
    response = client.get("/fhir/r4/metadata")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    body = json.loads(response.content)
    validate_fhir(body)
    assert body["fhirVersion"] == "4.0.1"
    listed = {r["type"]: r for r in body["rest"][0]["resource"]}
    # Claim: operations only (Da Vinci PAS $submit and $inquire, fhir/pas.py), no interactions of its own.
    assert set(listed) == {m.resource_type for m in all_mappers()} | {"Claim"}
    assert [o["name"] for o in listed["Claim"]["operation"]] == ["submit", "inquire"]
    assert "interaction" not in listed["Claim"] and "searchParam" not in listed["Claim"]
    for mapper in all_mappers():
        entry = listed[mapper.resource_type]
        assert {i["code"] for i in entry["interaction"]} == set(mapper.interactions)
        names = {p["name"] for p in entry["searchParam"]}
        assert set(mapper.params) | {"_id", "_lastUpdated"} == names


def test_every_listed_search_parameter_is_accepted(world, api):
    """Truthfulness: each advertised parameter answers 200 (not 400 'unknown parameter')."""
    alice = api(world.alice)
    body = alice.get("metadata").body
    samples = {
        "token": "x",
        "string": "a",
        "date": "ge2000-01-01",
        "reference": "Patient/1",
        "number": "1",
        "uri": "x",
    }
    for resource in body["rest"][0]["resource"]:
        for param in resource.get("searchParam", []):
            reply = alice.get(f"{resource['type']}?{param['name']}={samples[param['type']]}")
            assert reply.status == 200, (resource["type"], param["name"], reply.body)


def test_advertised_interactions_answer_and_others_are_refused(world, api):
    alice = api(world.alice)
    for mapper in all_mappers():
        if "create" not in mapper.interactions:
            reply = alice.post(mapper.resource_type, {"resourceType": mapper.resource_type})
            assert reply.status == 405, mapper.resource_type


def test_communication_is_listed_with_its_parameters(client):
    body = json.loads(client.get("/fhir/r4/metadata").content)
    listed = {r["type"]: r for r in body["rest"][0]["resource"]}
    communication = listed["Communication"]
    assert {i["code"] for i in communication["interaction"]} == {
        "read",
        "vread",
        "history-instance",
        "search-type",
        "create",  # portal messages; contacts are logged on the screens
    }
    assert {p["name"] for p in communication["searchParam"]} >= {
        "patient",
        "subject",
        "sent",
        "medium",
        "status",
        "sender",
        "recipient",
    }
    assert "Communication:patient" in communication["searchInclude"]


def test_the_medication_types_are_listed_with_what_they_do(client):
    body = json.loads(client.get("/fhir/r4/metadata").content)
    listed = {r["type"]: r for r in body["rest"][0]["resource"]}
    read = {"read", "vread", "history-instance", "search-type"}
    assert {i["code"] for i in listed["MedicationStatement"]["interaction"]} == read | {"create"}
    assert {i["code"] for i in listed["MedicationRequest"]["interaction"]} == read | {"create"}
    assert {i["code"] for i in listed["List"]["interaction"]} == read
    names = {t: {p["name"] for p in listed[t].get("searchParam", [])} for t in listed}
    assert names["MedicationStatement"] >= {
        "patient",
        "subject",
        "status",
        "effective",
        "_id",
        "_lastUpdated",
    }
    assert names["MedicationRequest"] >= {
        "patient",
        "subject",
        "encounter",
        "intent",
        "category",
        "_lastUpdated",
    }
    assert names["List"] >= {"patient", "subject", "status", "code", "date", "encounter"}
    assert "MedicationRequest:encounter" in listed["MedicationRequest"]["searchInclude"]
    assert "List:patient" in listed["Patient"]["searchRevInclude"]
