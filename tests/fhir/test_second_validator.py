"""The test harness's second FHIR validator (second_validator.py) can fail, and fails where our own models pass:
the point of having it. No database: these feed it resources by hand."""

from __future__ import annotations

from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from . import second_validator as harness
from .conftest import validate_fhir
from .second_validator import SecondValidator, SecondValidatorMissing, second_validator

PATIENT = {
    "resourceType": "Patient",
    "id": "1",
    "active": True,
    "birthDate": "1960-01-01",
    "gender": "female",
}


def paths(resource: dict[str, Any]) -> list[str]:
    return [path for issue in second_validator().issues(resource) for path in issue.get("expression", [])]


def test_a_valid_patient_passes_both() -> None:
    validate_fhir(PATIENT)
    assert second_validator().issues(PATIENT) == []


def test_a_boolean_sent_as_text_passes_our_models_but_not_the_second_validator() -> None:
    # fhir.resources reads "yes" as true (pydantic's lax mode); JSON FHIR says a boolean is true or false.
    wrong = {**PATIENT, "active": "yes"}
    get_fhir_model_class("Patient").model_validate(wrong)
    assert paths(wrong) == ["Patient.active"]
    with pytest.raises(AssertionError, match=r"Patient\.active"):
        validate_fhir(wrong)


def test_an_invariant_our_models_do_not_check_fails() -> None:
    # Task inv-1: lastModified must not come before authoredOn.
    task = {
        "resourceType": "Task",
        "status": "completed",
        "intent": "order",
        "authoredOn": "2026-12-01T10:00:00+00:00",
        "lastModified": "2026-11-23T15:30:00+00:00",
    }
    get_fhir_model_class("Task").model_validate(task)
    assert paths(task) == ["Task"]


def test_it_reads_inside_a_bundle_entries_and_response_outcomes() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "batch-response",
        "entry": [
            {"resource": PATIENT, "response": {"status": "200 OK"}},
            {"resource": {**PATIENT, "birthDate": "01/01/1960"}, "response": {"status": "200 OK"}},
            {
                "response": {
                    "status": "400 Bad Request",
                    "outcome": {"resourceType": "OperationOutcome", "issue": [{"severity": "error"}]},
                }
            },
        ],
    }
    assert paths(bundle) == [
        "Bundle.entry[1].resource.birthDate",
        "Bundle.entry[2].response.outcome.issue[0].code",
    ]


def test_a_prediction_without_probability_is_allowed_but_a_probability_over_100_is_not() -> None:
    # The one allowance (second_validator.RAS_2): it covers the missing probability and nothing else.
    def risk(prediction: dict[str, Any]) -> dict[str, Any]:
        return {
            "resourceType": "RiskAssessment",
            "status": "final",
            "subject": {"reference": "Patient/1"},
            "prediction": [prediction],
        }

    assert second_validator().issues(risk({"rationale": "LACE 12 (high)"})) == []
    assert paths(risk({"probabilityDecimal": 150})) == ["RiskAssessment.prediction[0]"]
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": risk({"rationale": "x"})}],
    }
    assert second_validator().issues(bundle) == []


def test_without_its_packages_it_fails_and_names_the_install_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(harness, "JS_DIR", tmp_path)
    with pytest.raises(SecondValidatorMissing, match="npm ci --no-audit --no-fund --prefix tests/js"):
        SecondValidator()
