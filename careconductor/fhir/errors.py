"""Errors the FHIR API answers with: each becomes an OperationOutcome with a fitting HTTP status."""

from __future__ import annotations

from typing import Any


class FhirError(Exception):
    """`code` is from the FHIR issue-type value set; `expression` names the element at fault."""

    def __init__(
        self,
        status: int,
        diagnostics: str,
        *,
        code: str = "invalid",
        expression: list[str] | None = None,
        issues: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.issues = issues or [issue(diagnostics, code=code, expression=expression)]


def issue(
    diagnostics: str, *, code: str = "invalid", severity: str = "error", expression: list[str] | None = None
) -> dict[str, Any]:
    found: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": diagnostics.strip() or code}
    # FHIR strings may not be empty or blank: a parameter named "" must not make the outcome itself invalid.
    expression = [e for e in expression or [] if e.strip()]
    if expression:
        found["expression"] = expression
    return found


def outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}


def not_found(resource_type: str, resource_id: str) -> FhirError:
    # The same answer for "not there" and "not yours", so records cannot be enumerated.
    return FhirError(404, f"{resource_type}/{resource_id} is not known.", code="not-found")


def bad_request(diagnostics: str, expression: list[str] | None = None) -> FhirError:
    return FhirError(400, diagnostics, code="invalid", expression=expression)


def unprocessable(diagnostics: str, expression: list[str] | None = None) -> FhirError:
    return FhirError(422, diagnostics, code="invalid", expression=expression)
