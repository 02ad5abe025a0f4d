"""A synthetic health-plan population as FHIR Bulk Data NDJSON (issue 22): members with their coverage, a few
chronic conditions, social needs as claims code them (Z59), two years of encounters and lab results (HbA1c for
those with diabetes, a weight now and then), deterministic for a seed. The demo imports one through the same
importer as a real file; `bench/population.py` writes 100,000 members to time the import; tests use small ones.
Nobody here is real: names are drawn from short lists, the plan is the demo's."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator

GIVEN = ("Maria", "James", "Linda", "Robert", "Ana", "Wei", "Fatima", "John", "Rosa", "David", "Grace", "Luis",
         "Mary", "Ahmed", "Helen", "Jose", "Ruth", "Daniel", "Mei", "Carlos", "Joan", "Samuel", "Nadia", "Peter")  # fmt: skip
FAMILY = ("Garcia", "Nguyen", "Smith", "Johnson", "Martinez", "Chen", "Brown", "Lopez", "Okafor", "Miller",
          "Davis", "Hernandez", "Wilson", "Kim", "Moore", "Ali", "Taylor", "Rivera", "Anderson", "Patel")  # fmt: skip
# (ICD-10-CM, words, chance): the chronic conditions of an older plan population; one substance use disorder.
CONDITIONS = (
    ("I10", "Essential (primary) hypertension", 0.55),
    ("E11.9", "Type 2 diabetes mellitus without complications", 0.27),
    ("I50.9", "Heart failure, unspecified", 0.09),
    ("J44.9", "Chronic obstructive pulmonary disease, unspecified", 0.11),
    ("N18.30", "Chronic kidney disease, stage 3 unspecified", 0.12),
    ("F32.9", "Major depressive disorder, single episode, unspecified", 0.14),
    ("E78.5", "Hyperlipidemia, unspecified", 0.45),
    ("F10.20", "Alcohol dependence, uncomplicated", 0.02),
)
# Social needs as a claim codes them (ICD-10-CM Z59), drawn after everything else so that adding them left the
# rest of each member as it was.
NEEDS = (
    ("Z59.41", "Food insecurity", 0.07),
    ("Z59.82", "Transportation insecurity", 0.05),
    ("Z59.819", "Housing instability, housed, unspecified", 0.03),
)
FACILITIES = ("Riverside General Hospital", "St. Mary's Regional Medical Center", "Valley Family Clinic")
SOURCE_URL = "https://plan.example/fhir"


def population(seed: int, members: int, *, today: dt.date, first: int = 1) -> dict[str, Iterator[str]]:
    """NDJSON lines per resource type, generated as read (a million members never sit in memory)."""
    return {
        "Patient": _lines(seed, members, today, first, "Patient"),
        "Coverage": _lines(seed, members, today, first, "Coverage"),
        "Condition": _lines(seed, members, today, first, "Condition"),
        "Encounter": _lines(seed, members, today, first, "Encounter"),
        "Observation": _lines(seed, members, today, first, "Observation"),
    }


def _lines(seed: int, members: int, today: dt.date, first: int, kind: str) -> Iterator[str]:
    for n in range(first, first + members):
        rng = random.Random(seed * 1_000_003 + n)  # each member the same whatever type is being written
        for resource in _member(rng, n, today)[kind]:
            yield json.dumps(resource, separators=(",", ":"))


def _member(rng: random.Random, n: int, today: dt.date) -> dict[str, list[dict[str, object]]]:
    pid = f"m{n:07d}"
    subject = {"reference": f"Patient/{pid}"}
    age = int(rng.triangular(40, 95, 72))
    born = today - dt.timedelta(days=age * 365 + rng.randint(0, 364))
    female = rng.random() < 0.55
    patient: dict[str, object] = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": f"{SOURCE_URL}/member-id", "value": f"RH{n:08d}"}],
        "name": [{"use": "official", "family": rng.choice(FAMILY), "given": [rng.choice(GIVEN)]}],
        "gender": "female" if female else "male",
        "birthDate": born.isoformat(),
        "telecom": [{"system": "phone", "value": f"(541) 555-{rng.randint(0, 9999):04d}"}],
        "address": [{"line": [f"{rng.randint(1, 2999)} Main St"], "city": "Riverside", "state": "OR",
                     "postalCode": f"97{rng.randint(100, 999)}"}],
        "communication": [{"language": {"coding": [{"code": "es" if rng.random() < 0.18 else "en"}]}}],
    }  # fmt: skip
    coverage: dict[str, object] = {
        "resourceType": "Coverage",
        "id": f"cov-{pid}",
        "status": "active",
        "type": {"coding": [{"code": "medicare_advantage", "display": "Medicare Advantage"}]},
        "subscriberId": f"RH{n:08d}",
        "beneficiary": subject,
        "payor": [{"display": "Riverside Health Plan"}],
        "class": [{"type": {"text": "plan"}, "value": "RHP-MA", "name": "Riverside Advantage"}],
        "period": {"start": (today - dt.timedelta(days=rng.randint(30, 2000))).isoformat()},
    }
    conditions: list[dict[str, object]] = [
        {
            "resourceType": "Condition",
            "id": f"cond-{pid}-{i}",
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {
                "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code, "display": words}]
            },
            "subject": subject,
            "onsetDateTime": (today - dt.timedelta(days=rng.randint(200, 6000))).isoformat(),
        }
        for i, (code, words, chance) in enumerate(CONDITIONS)
        if rng.random() < chance
    ]
    encounters = []
    for i in range(rng.randint(1, 6)):
        kind = rng.choices(("AMB", "EMER", "IMP"), weights=(80, 12, 8))[0]
        start = dt.datetime.combine(today - dt.timedelta(days=rng.randint(1, 720)), dt.time(8), dt.UTC)
        start += dt.timedelta(minutes=rng.randint(0, 600))
        length = (
            dt.timedelta(days=rng.randint(1, 7)) if kind == "IMP" else dt.timedelta(hours=rng.randint(1, 6))
        )
        encounter: dict[str, object] = {
            "resourceType": "Encounter",
            "id": f"enc-{pid}-{i}",
            "status": "finished",
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": kind},
            "subject": subject,
            "period": {"start": start.isoformat(), "end": (start + length).isoformat()},
            "serviceProvider": {"display": rng.choice(FACILITIES)},
        }
        if kind == "IMP":
            encounter["hospitalization"] = {
                "dischargeDisposition": {"coding": [{"code": rng.choice(("home", "home", "snf", "hh"))}]}
            }
        encounters.append(encounter)
    conditions += [
        {
            "resourceType": "Condition",
            "id": f"cond-{pid}-{len(CONDITIONS) + i}",
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "category": [{"coding": [{"code": "health-concern"}]}],
            "code": {
                "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code, "display": words}]
            },
            "subject": subject,
            "onsetDateTime": (today - dt.timedelta(days=rng.randint(10, 400))).isoformat(),
        }
        for i, (code, words, chance) in enumerate(NEEDS)
        if rng.random() < chance
    ]
    diabetic = any(c["code"]["coding"][0]["code"] == "E11.9" for c in conditions)  # type: ignore[index]
    results = [
        ("4548-4", "%", round(rng.uniform(6.0, 10.5), 1)) for _ in range(rng.randint(0, 3) if diabetic else 0)
    ]
    results += [("29463-7", "kg", round(rng.uniform(50, 120), 1)) for _ in range(rng.randint(0, 2))]
    observations: list[dict[str, object]] = [
        {
            "resourceType": "Observation",
            "id": f"obs-{pid}-{i}",
            "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
            "subject": subject,
            "effectiveDateTime": dt.datetime.combine(
                today - dt.timedelta(days=rng.randint(1, 720)), dt.time(9), dt.UTC
            ).isoformat(),
            "valueQuantity": {
                "value": value,
                "unit": unit,
                "system": "http://unitsofmeasure.org",
                "code": unit,
            },
        }
        for i, (loinc, unit, value) in enumerate(results)
    ]
    return {
        "Patient": [patient],
        "Coverage": [coverage],
        "Condition": conditions,
        "Encounter": encounters,
        "Observation": observations,
    }
