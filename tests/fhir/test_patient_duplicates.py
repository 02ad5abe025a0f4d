"""A Patient probably registered already is not created twice through the API (issue 17 §3): 409 with an
OperationOutcome naming the candidate, If-None-Exist, the X-Not-Duplicate-Of header for someone else; a merged
record reads as inactive with a replaced-by link. Through plain requests against the live server, like a real
integration, every answer validated as R4."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from careconductor.accounts.actions import do_create_token
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.patients.merge import do_merge_patients
from careconductor.patients.models import Patient
from careconductor.privacy.models import AuditEvent
from tests.personas import World

from .conftest import FHIR_JSON, validate_fhir

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def base(live_server) -> str:  # type: ignore[no-untyped-def]
    return live_server.url + "/fhir/r4/"


def _call(method: str, url: str, secret: str, body: Any = None, **headers: str) -> tuple[int, dict[str, Any]]:
    response = requests.request(
        method,
        url,
        json=body,
        headers={
            "Authorization": f"Bearer {secret}",
            "Accept": FHIR_JSON,
            "Content-Type": FHIR_JSON,
            **headers,
        },
        timeout=30,
    )
    answer: dict[str, Any] = response.json()
    validate_fhir(answer)
    return response.status_code, answer


def _lupe(birth_date: str, phone: str = "555-0100") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Reyes", "given": ["Pau"]}],
        "gender": "female",
        "birthDate": birth_date,
        "telecom": [{"system": "phone", "value": phone}],
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.3.41", "value": "OR-77"}],
    }


def test_a_probable_duplicate_is_answered_409_naming_the_patient_and_nothing_is_created(
    world: World, base: str
) -> None:
    secret = do_create_token(world.alice, name="integration", scopes=("user/*.*",))[1]
    before = Patient.objects.count()
    born = world.paula.birth_date.isoformat()

    status, outcome = _call("POST", base + "Patient", secret, _lupe(born))
    assert status == 409, outcome
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["code"] == "duplicate" and issue["details"]["text"] == f"Patient/{world.paula.pk}"
    assert "X-Not-Duplicate-Of" in issue["diagnostics"]
    assert Patient.objects.count() == before
    # naming the candidate is a read of it, and stays in the audit trail although the create was refused
    assert AuditEvent.objects.filter(
        patient_id=world.paula.pk, username="alice", detail__endswith="FHIR create: possible duplicate"
    ).exists()

    # If-None-Exist that matches: the existing record, 200, nothing created
    status, found = _call(
        "POST", base + "Patient", secret, _lupe(born), **{"If-None-Exist": f"_id={world.paula.pk}"}
    )
    assert status == 200 and found["id"] == str(world.paula.pk)
    assert Patient.objects.count() == before

    # someone else after all: the client names the candidate it checked
    status, created = _call(
        "POST", base + "Patient", secret, _lupe(born), **{"X-Not-Duplicate-Of": f"Patient/{world.paula.pk}"}
    )
    assert status == 201, created
    assert Patient.objects.count() == before + 1


def test_a_different_person_is_created_without_question(world: World, base: str) -> None:
    secret = do_create_token(world.alice, name="integration", scopes=("user/*.*",))[1]
    status, created = _call("POST", base + "Patient", secret, _lupe("1971-08-30", phone="555-0177"))
    assert status == 201, created


def test_a_merged_record_reads_as_replaced_by_the_kept_one(world: World, base: str) -> None:
    duplicate = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name="Pau", family_name="Reyes", birth_date=world.paula.birth_date, sex=Sex.FEMALE
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Registered again",
    )
    do_merge_patients(world.adam, world.paula, duplicate, "Registered twice")
    secret = do_create_token(world.alice, name="integration", scopes=("user/*.*",))[1]

    status, old = _call("GET", base + f"Patient/{duplicate.pk}", secret)
    assert status == 200
    assert old["active"] is False
    assert old["link"] == [{"other": {"reference": f"Patient/{world.paula.pk}"}, "type": "replaced-by"}]

    status, kept = _call("GET", base + f"Patient/{world.paula.pk}", secret)
    assert kept["active"] is True
    assert {"other": {"reference": f"Patient/{duplicate.pk}"}, "type": "replaces"} in kept["link"]
    assert any(i.get("use") == "old" for i in kept["identifier"])

    status, refused = _call("PUT", base + f"Patient/{duplicate.pk}", secret, {**old, "gender": "female"})
    assert status == 409 and refused["issue"][0]["code"] == "conflict"

    stranger = do_create_token(world.bob, name="integration", scopes=("user/*.*",))[1]
    status, _ = _call("GET", base + f"Patient/{duplicate.pk}", stranger)
    assert status == 404
