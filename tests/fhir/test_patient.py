"""Patient through the FHIR API: read, search, create, update with If-Match, versions and history."""

from __future__ import annotations

import pytest

from careconductor.patients.choices import MRN_SYSTEM
from careconductor.patients.models import Patient
from careconductor.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "resourceType": "Patient",
    "identifier": [{"system": "http://hl7.org/fhir/sid/us-mbi", "value": "1EG4TE5MK73"}],
    "name": [{"use": "official", "family": "Okafor", "given": ["Grace"]}],
    "gender": "female",
    "birthDate": "1948-03-09",
    "telecom": [{"system": "phone", "value": "(503) 555-0142"}],
    "communication": [
        {"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": "es"}]}, "preferred": True}
    ],
}


def test_read_shows_the_patient_with_mrn_and_version(world, api):
    reply = api(world.alice).get(f"Patient/{world.paula.pk}")
    assert reply.status == 200
    assert reply.body["name"][0]["family"] == world.paula.family_name
    assert {"system": MRN_SYSTEM, "value": world.paula.mrn, "type": {"text": "MRN"}} in reply.body[
        "identifier"
    ]
    assert reply.body["meta"]["versionId"] == str(world.paula.version)
    assert reply.headers["ETag"] == f'W/"{world.paula.version}"'
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Patient", object_id=str(world.paula.pk)
    ).exists()


def test_stranger_gets_404_not_403(world, api):
    reply = api(world.bob).get(f"Patient/{world.paula.pk}")
    assert reply.status == 404
    assert reply.body["resourceType"] == "OperationOutcome"


def test_search_by_family_birthdate_and_identifier(world, api):
    alice = api(world.alice)
    paula = world.paula
    assert [r["id"] for r in alice.search(f"Patient?family={paula.family_name[:3].lower()}")] == [
        str(paula.pk)
    ]
    assert alice.search(
        f"Patient?birthdate=ge{paula.birth_date.isoformat()}&birthdate=le{paula.birth_date.isoformat()}"
    )
    assert not alice.search(f"Patient?birthdate=gt{paula.birth_date.isoformat()}")
    assert alice.search(f"Patient?identifier={MRN_SYSTEM}|{paula.mrn}")
    assert not alice.search(f"Patient?identifier=urn:other|{paula.mrn}")
    assert not api(world.bob).search(f"Patient?identifier={paula.mrn}")


def test_create_registers_a_referral_and_keeps_the_caller_in_touch(world, api):
    alice = api(world.alice)
    reply = alice.post("Patient", NEW_PATIENT)
    assert reply.status == 201, reply.body
    assert reply.headers["Location"].endswith(f"Patient/{reply.body['id']}/_history/1")
    patient = Patient.objects.get(pk=reply.body["id"])
    assert patient.preferred_language == "es"
    assert patient.identifiers.filter(value="1EG4TE5MK73").exists()
    assert patient.cases.get().primary_case_manager == world.alice
    assert alice.get(f"Patient/{patient.pk}").status == 200


def test_conditional_create_finds_the_existing_patient(world, api):
    alice = api(world.alice)
    first = alice.post("Patient", NEW_PATIENT)
    again = alice.post(
        "Patient", NEW_PATIENT, HTTP_IF_NONE_EXIST="identifier=http://hl7.org/fhir/sid/us-mbi|1EG4TE5MK73"
    )
    assert again.status == 200
    assert again.body["id"] == first.body["id"]
    assert Patient.objects.filter(identifiers__value="1EG4TE5MK73").count() == 1


def test_update_with_if_match_and_stale_version(world, api):
    alice = api(world.alice)
    current = alice.get(f"Patient/{world.paula.pk}").body
    version = current["meta"]["versionId"]
    current["telecom"] = [{"system": "phone", "value": "(503) 555-0199"}]
    updated = alice.put(f"Patient/{world.paula.pk}", current, HTTP_IF_MATCH=f'W/"{version}"')
    assert updated.status == 200, updated.body
    assert int(updated.body["meta"]["versionId"]) == int(version) + 1
    world.paula.refresh_from_db()
    assert world.paula.phone == "(503) 555-0199"
    stale = alice.put(f"Patient/{world.paula.pk}", current, HTTP_IF_MATCH=f'W/"{version}"')
    assert stale.status == 412
    world.paula.refresh_from_db()
    assert world.paula.phone == "(503) 555-0199"


def test_invalid_patient_gets_422_naming_the_element_and_changes_nothing(world, api):
    before = Patient.objects.count()
    bad = {**NEW_PATIENT, "birthDate": "1948-13-40"}
    reply = api(world.alice).post("Patient", bad)
    assert reply.status == 422
    assert "Patient.birthDate" in reply.issue_paths()
    no_name = {**NEW_PATIENT, "name": []}
    reply = api(world.alice).post("Patient", no_name)
    assert reply.status == 422
    assert "Patient.name" in reply.issue_paths()
    assert Patient.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_history_and_vread_keep_each_version(world, api):
    alice = api(world.alice)
    created = alice.post("Patient", NEW_PATIENT).body
    changed = {**created, "telecom": [{"system": "phone", "value": "(503) 555-0100"}]}
    assert alice.put(f"Patient/{created['id']}", changed).status == 200
    history = alice.get(f"Patient/{created['id']}/_history")
    assert history.body["type"] == "history"
    phones = [e["resource"]["telecom"][0]["value"] for e in history.body["entry"]]
    assert phones == ["(503) 555-0100", "(503) 555-0142"]
    first = alice.get(f"Patient/{created['id']}/_history/1")
    assert first.body["telecom"][0]["value"] == "(503) 555-0142"
    assert alice.get(f"Patient/{created['id']}/_history/9").status == 404
