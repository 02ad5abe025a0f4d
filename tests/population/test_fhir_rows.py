"""Reading a population's FHIR resources into rows (issue 22): what is kept of each type, what is refused and why
(a table), and that nothing a file can hold makes the reader fail other than with a RowProblem (hypothesis)."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careconductor.population import fhir_rows, synthetic
from careconductor.population.fhir_rows import (
    ConditionRow,
    CoverageRow,
    EncounterRow,
    MemberRow,
    NotCoded,
    ObservationRow,
    RowProblem,
)

TODAY = dt.date(2027, 3, 1)


def first(kind: str, members: int = 60) -> dict[str, Any]:
    for line in synthetic.population(7, members, today=TODAY)[kind]:
        return json.loads(line)
    raise AssertionError(kind)


def test_each_type_reads_into_what_the_product_keeps() -> None:
    member = fhir_rows.read(first("Patient"))
    assert isinstance(member, MemberRow) and member.key == "m0000001" and member.birth_date < TODAY
    assert member.family_name and member.given_name and member.sex in ("female", "male")
    coverage = fhir_rows.read(first("Coverage"))
    assert isinstance(coverage, CoverageRow)
    assert (coverage.member, coverage.kind, coverage.payer, coverage.plan_name) == (
        "m0000001", "medicare_advantage", "Riverside Health Plan", "Riverside Advantage",
    )  # fmt: skip
    condition = fhir_rows.read(first("Condition"))
    assert (
        isinstance(condition, ConditionRow) and condition.icd10_code and condition.clinical_status == "active"
    )
    encounter = fhir_rows.read(first("Encounter"))
    assert isinstance(encounter, EncounterRow) and encounter.start.tzinfo is not None
    kept = [
        fhir_rows.read(json.loads(line)) for line in synthetic.population(7, 60, today=TODAY)["Observation"]
    ]
    assert all(isinstance(row, ObservationRow) for row in kept)
    assert {(row.measure, row.source) for row in kept} == {("hba1c", "lab"), ("weight", "clinic")}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]}}, "blood pressure panel"),
        (
            {"code": {"coding": [{"system": "http://loinc.org", "code": "44261-6"}]}},
            "PHQ-9 total: an assessment's",
        ),
        ({"code": {"text": "Weight"}}, "no LOINC code"),
        ({"status": "preliminary"}, "not final"),
    ],
)
def test_observations_the_product_keeps_nothing_of_are_left_out_and_counted(
    change: dict[str, Any], why: str
) -> None:
    with pytest.raises(NotCoded):
        fhir_rows.read({**first("Observation"), **change})


def test_a_substance_use_condition_is_kept_as_a_part_2_record() -> None:
    condition = first("Condition")
    condition["code"]["coding"][0].update(code="F10.20", display="Alcohol dependence")
    assert fhir_rows.read(condition).sensitivity == "part2"  # type: ignore[union-attr]
    labelled = first("Condition")
    labelled["meta"] = {
        "security": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "42CFRPart2"}]
    }
    assert fhir_rows.read(labelled).sensitivity == "part2"  # type: ignore[union-attr]
    assert fhir_rows.read(first("Condition")).sensitivity == ""  # type: ignore[union-attr]


def _broken(kind: str, change: str) -> Any:
    resource = copy.deepcopy(first(kind))
    if change == "no-id":
        del resource["id"]
    elif change == "no-family":
        resource["name"][0]["family"] = ""
    elif change == "no-birth-date":
        del resource["birthDate"]
    elif change == "bad-birth-date":
        resource["birthDate"] = "03/14/1956"
    elif change == "beneficiary":
        resource["beneficiary"] = {"reference": "Group/1"}
    elif change == "no-start":
        resource["period"] = {}
    elif change == "snomed-only":
        resource["code"]["coding"][0]["system"] = "http://snomed.info/sct"
    elif change == "class":
        resource["class"]["code"] = "XYZ"
    elif change == "ends-before":
        resource["period"]["end"] = "2000-01-01T00:00:00Z"
    elif change == "type":
        resource["resourceType"] = "Immunization"
    elif change == "unit":
        resource["valueQuantity"]["code"] = "mmol/mol"
    elif change == "no-value":
        resource["valueQuantity"]["value"] = "eight"
    elif change == "no-effective":
        del resource["effectiveDateTime"]
    elif change == "nul":
        resource["name"][0]["family"] = "a\x00b"
    return resource


@pytest.mark.parametrize(
    ("kind", "change", "words"),
    [
        ("Patient", "no-id", "id must be"),
        ("Patient", "no-family", "family and a given name"),
        ("Patient", "no-birth-date", "needs a birthDate"),
        ("Patient", "bad-birth-date", "is not a date"),
        ("Patient", "nul", "not a string"),
        ("Coverage", "beneficiary", "Patient/<id>"),
        ("Coverage", "no-start", "period.start"),
        ("Condition", "snomed-only", "ICD-10-CM"),
        ("Encounter", "class", "class XYZ"),
        ("Encounter", "ends-before", "before period.start"),
        ("Encounter", "type", "not imported"),
        ("Observation", "unit", "kept in kg"),
        ("Observation", "no-value", "not a number"),
        ("Observation", "no-effective", "needs effectiveDateTime"),
    ],
)
def test_what_a_resource_may_not_be(kind: str, change: str, words: str) -> None:
    with pytest.raises(RowProblem, match=words):
        fhir_rows.read(_broken(kind, change))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["id", "name", "birthDate", "gender", "telecom", "address", "communication", "beneficiary", "period", "type",
     "payor", "class", "subscriberId", "code", "subject", "clinicalStatus", "onsetDateTime", "onsetPeriod", "meta",
     "serviceProvider", "reasonCode", "hospitalization", "deceasedDateTime", "status", "valueQuantity",
     "effectiveDateTime", "effectivePeriod", "issued"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(fhir_rows.TYPES), changes=st.dictionaries(FIELDS, JSON, max_size=4))
def test_any_resource_is_read_or_refused_in_words(kind: str, changes: dict[str, Any]) -> None:
    resource = {**first(kind), **changes}
    try:
        fhir_rows.read(resource)
    except RowProblem as problem:
        assert str(problem)
