"""One module per resource type; each registers its Mapper with registry.register when imported."""

from __future__ import annotations

import importlib

MODULES = (
    "patient",
    "related_person",
    "practitioner",
    "organization",
    "coverage",
    "claim_response",
    "condition",
    "encounter",
    "episode_of_care",
    "care_team",
    "consent",
    "questionnaire",
    "questionnaire_response",
    "observation",
    "risk_assessment",
    "flag",
    "task",
    "communication",
    "goal",
    "care_plan",
    "document_reference",
    "allergy_intolerance",
    "medication_statement",
    "medication_request",
    "reconciliation_list",
    "appointment",
    "service_request",
    "subscription",
    "group",
    "audit_event",
    "provenance",
)


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
