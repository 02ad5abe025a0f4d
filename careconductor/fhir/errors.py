"""Errors the FHIR API answers with: each becomes an OperationOutcome with a fitting HTTP status."""

from __future__ import annotations

import re
from typing import Any

# Control characters other than tab, CR and LF: R4 strings SHOULD NOT hold them (datatypes.html#string), and
# strict readers (Medplum's validator among them) refuse an outcome that echoes them from a client's input.
# The byte-order mark too: JavaScript reads a string of it alone as blank.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufeff]")


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
    found: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": visible(diagnostics) or code}
    # FHIR strings may not be empty or blank: a parameter named "" must not make the outcome itself invalid.
    expression = [shown for shown in map(visible, expression or []) if shown]
    if expression:
        found["expression"] = expression
    return found


def visible(text: str) -> str:
    """The text stripped, with each control character written out as \\uXXXX so the reader still sees it."""
    return CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text).strip()


def outcome(issues: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": issues}


def not_found(resource_type: str, resource_id: str) -> FhirError:
    # The same answer for "not there" and "not yours", so records cannot be enumerated.
    return FhirError(404, f"{resource_type}/{resource_id} is not known.", code="not-found")


def bad_request(diagnostics: str, expression: list[str] | None = None) -> FhirError:
    return FhirError(400, diagnostics, code="invalid", expression=expression)


def unprocessable(diagnostics: str, expression: list[str] | None = None) -> FhirError:
    return FhirError(422, diagnostics, code="invalid", expression=expression)
