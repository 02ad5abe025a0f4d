"""Observation create: a partner's lab result or vital sign becomes a reading (reading_create.py): LOINC codes
kept here, values in their UCUM unit, blood pressure as the panel; everything else a 422 that changes nothing;
only for patients the caller may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from careconductor.careplans.models import Reading
from careconductor.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)


def lab(patient_id: int, code: str, value: object, unit: str, **extra: object) -> dict[str, object]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2026-12-05T06:00:00Z",
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        **extra,
    }


@time_machine.travel(NOW, tick=False)
def test_a_lab_result_becomes_a_reading_and_reads_back(world, api) -> None:
    alice = api(world.alice)
    reply = alice.post("Observation", lab(world.paula.pk, "718-7", 10.4, "g/dL"))
    assert reply.status == 201, reply.body
    reading = Reading.objects.get(patient=world.paula)
    assert (reading.measure, reading.value, reading.source) == ("haemoglobin", Decimal("10.4"), "lab")
    assert reply.body["id"] == f"reading-{reading.pk}"
    assert reply.body["valueQuantity"]["value"] == 10.4
    assert reply.body["category"][0]["coding"][0]["code"] == "laboratory"
    assert AuditEvent.objects.filter(user=world.alice, action="create", patient_id=world.paula.pk).exists()
    found = alice.search(f"Observation?patient={world.paula.pk}&code={LOINC}|718-7")
    assert [r["id"] for r in found] == [reply.body["id"]]


@time_machine.travel(NOW, tick=False)
def test_a_blood_pressure_panel_becomes_its_two_numbers(world, api) -> None:
    body = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": "85354-9"}]},
        "subject": {"reference": f"Patient/{world.paula.pk}"},
        "effectiveDateTime": "2026-12-05T06:00:00Z",
        "component": [
            {"code": {"coding": [{"system": LOINC, "code": "8480-6"}]}, "valueQuantity": {"value": 148, "code": "mm[Hg]"}},
            {"code": {"coding": [{"system": LOINC, "code": "8462-4"}]}, "valueQuantity": {"value": 92, "code": "mm[Hg]"}},
        ],
    }  # fmt: skip
    reply = api(world.alice).post("Observation", body)
    assert reply.status == 201, reply.body
    assert sorted(Reading.objects.values_list("measure", "value")) == [
        ("bp-diastolic", Decimal("92")),
        ("bp-systolic", Decimal("148")),
    ]
    values = [c["valueQuantity"]["value"] for c in reply.body["component"]]
    assert values == [148, 92]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    "change, words",
    [
        ({"status": "preliminary"}, "status"),
        ({"code": {"coding": [{"system": LOINC, "code": "2160-0"}]}}, "not a measure kept here"),
        ({"code": {"text": "haemoglobin"}}, "needs a LOINC coding"),
        ({"valueQuantity": {"value": 104, "code": "g/L"}}, "kept in g/dL"),
        ({"valueQuantity": {"unit": "g/dL"}}, "needs a value"),
        ({"effectiveDateTime": None}, "effectiveDateTime"),
        ({"effectiveDateTime": "2027-12-01T00:00:00Z"}, "future"),
        ({"category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}]}, "kept as laboratory"),
    ],
)
def test_bad_results_are_422_and_change_nothing(world, api, change, words) -> None:
    body = {
        k: v for k, v in {**lab(world.paula.pk, "718-7", 10.4, "g/dL"), **change}.items() if v is not None
    }
    reply = api(world.alice).post("Observation", body)
    assert reply.status in (400, 422) and words in str(reply.body), reply.body
    assert not Reading.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_a_stranger_cannot_add_results(world, api) -> None:
    reply = api(world.charlie).post("Observation", lab(world.paula.pk, "718-7", 10.4, "g/dL"))
    assert reply.status in (403, 404, 422)
    assert not Reading.objects.exists()
