"""A Patient as R4 allows it and as case management needs it: no gender is "unknown", a missing name or birth date
is a 422 naming the rule; quoted booleans and numbers and control characters are a 422 naming the element
(docs/fhir.md, "What a Patient must carry")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.personas import World

from .conftest import BASE, FHIR_JSON, validate_fhir
from .test_bad_input import PATIENT, _diagnostics, _outcome

pytestmark = pytest.mark.django_db


def test_a_patient_without_gender_is_accepted_as_unknown(world: World, client: Client, auth) -> None:  # type: ignore[no-untyped-def]
    """R4 makes Patient.gender optional: stored as administrative-gender "unknown" (docs/fhir.md)."""
    body = {k: v for k, v in PATIENT.items() if k != "gender"}
    made = client.post(f"{BASE}Patient", json.dumps(body), content_type=FHIR_JSON, **auth)
    assert made.status_code == 201, made.content
    assert made["Location"].startswith(f"Patient/{made.json()['id']}/_history/")
    read = client.get(f"{BASE}Patient/{made.json()['id']}", **auth).json()
    validate_fhir(read)
    assert read["gender"] == "unknown"


@pytest.mark.parametrize(
    ("name", "expression"),
    [
        ([{"use": "official", "family": "Lindqvist"}], "Patient.name.given"),  # valid R4, not enough for us
        ([{"text": "Astrid Lindqvist"}], "Patient.name"),
        ([], "Patient.name"),
    ],
)
def test_a_patient_without_the_names_case_management_needs_gets_a_422_naming_the_rule(  # type: ignore[no-untyped-def]
    name: list[dict[str, Any]], expression: str, world: World, client: Client, auth, snapshot
) -> None:
    before = snapshot()
    body = {**PATIENT, "name": name}
    answer = _outcome(client.post(f"{BASE}Patient", json.dumps(body), content_type=FHIR_JSON, **auth), 422)
    assert answer["issue"][0]["expression"] == [expression]
    assert "family name and at least one given name" in _diagnostics(answer)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"active": "yes"}, "Patient.active"),  # the models read it as true
        ({"active": "false"}, "Patient.active"),
        ({"multipleBirthInteger": "2"}, "Patient.multipleBirthInteger"),
        (
            {"name": [{"use": "official", "family": "Lind\u0007qvist", "given": ["Astrid"]}]},
            "Patient.name[0].family",
        ),
        ({"telecom": [{"system": "phone", "value": "555\x000100"}]}, "Patient.telecom[0].value"),
    ],
)
def test_quoted_booleans_and_numbers_and_control_characters_are_refused(  # type: ignore[no-untyped-def]
    change: dict[str, Any], path: str, world: World, client: Client, auth, snapshot
) -> None:
    """FHIR JSON sends booleans and numbers bare and strings without control characters (R4 datatypes): such a
    body is a 422 naming the element, not read as something the client may not have meant."""
    before = snapshot()
    body = {**PATIENT, **change}
    answer = _outcome(client.post(f"{BASE}Patient", json.dumps(body), content_type=FHIR_JSON, **auth), 422)
    assert answer["issue"][0]["expression"] == [path]
    assert snapshot() == before
