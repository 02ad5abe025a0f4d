"""A PAS request Bundle as a provider's system sends it (interop.md §3), for the PAS tests."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from careconductor.um.fhir_reading import NPI_SYSTEM


def pas_bundle(
    *,
    claim_id: str = "CLM-1001",
    member_id: str = "RH-1001",
    birth_date: str = "1956-03-14",
    priority: str = "normal",
    start: dt.date,
    code: str = "73721",
    units: int = 1,
    notes: str = "Knee pain 8 weeks despite therapy.",
    pdf: bytes | None = None,
    facility: bool = True,
) -> dict[str, Any]:
    supporting: list[dict[str, Any]] = [
        {"sequence": 1, "category": {"coding": [{"code": "freetext"}]}, "valueString": notes}
    ]
    if pdf is not None:
        supporting.append(
            {
                "sequence": 2,
                "category": {"coding": [{"code": "attachment"}]},
                "valueAttachment": {
                    "contentType": "application/pdf",
                    "title": "notes.pdf",
                    "data": base64.b64encode(pdf).decode(),
                },
            }
        )
    claim: dict[str, Any] = {
        "resourceType": "Claim",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.3.1", "value": claim_id}],
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization",
        "patient": {"reference": "urn:uuid:patient-1"},
        "created": "2026-01-01T10:00:00Z",
        "insurer": {"reference": "urn:uuid:insurer-1"},
        "provider": {"reference": "urn:uuid:provider-1"},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": priority}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"reference": "urn:uuid:coverage-1"}}],
        "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M25.561"}]}}],
        "supportingInfo": supporting,
        "item": [
            {
                "sequence": 7,
                "productOrService": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": code, "display": "MRI knee"}]},
                "quantity": {"value": units},
                "servicedDate": start.isoformat(),
                "locationCodeableConcept": {"coding": [{"system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set", "code": "22"}]},
            }
        ],
    }  # fmt: skip
    if facility:
        claim["facility"] = {"reference": "urn:uuid:facility-1"}
    entries = [
        ("urn:uuid:claim-1", claim),
        ("urn:uuid:patient-1", {
            "resourceType": "Patient",
            "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}]}, "value": member_id}],
            "name": [{"family": "Reyes", "given": ["Paula"]}],
            "birthDate": birth_date,
        }),
        ("urn:uuid:insurer-1", {"resourceType": "Organization", "name": "Riverside Health Plan"}),
        ("urn:uuid:provider-1", {
            "resourceType": "Practitioner",
            "identifier": [{"system": NPI_SYSTEM, "value": "1234567893"}],
            "name": [{"family": "Lee", "given": ["Alan"]}],
        }),
        ("urn:uuid:facility-1", {"resourceType": "Location", "name": "Riverside Imaging Center"}),
        ("urn:uuid:coverage-1", {"resourceType": "Coverage", "status": "active", "beneficiary": {"reference": "urn:uuid:patient-1"},
                                 "payor": [{"reference": "urn:uuid:insurer-1"}]}),
    ]  # fmt: skip
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:oid:2.16.840.1.113883.3.1", "value": f"B-{claim_id}"},
        "type": "collection",
        "timestamp": "2026-01-01T10:00:00Z",
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }


def prior_auth_task(
    *,
    task_id: str = "REQ-77",
    member_id: str = "RH-1001",
    birth_date: str = "1956-03-14",
    priority: str = "routine",
    start: dt.date,
    code: str = "73721",
    units: int = 1,
    performer: bool = True,
    pdf: bytes | None = None,
) -> dict[str, Any]:
    """A Task asking the plan to approve a contained ServiceRequest, as a partner without PAS sends it
    (um/task_intake.py)."""
    service: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": "mri",
        "status": "active",
        "intent": "order",
        "priority": priority,
        "subject": {"reference": "#member"},
        "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": code, "display": "MRI knee"}]},
        "quantityQuantity": {"value": units},
        "occurrencePeriod": {"start": start.isoformat(), "end": (start + dt.timedelta(days=30)).isoformat()},
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M25.561"}]}],
        "requester": {"reference": "#doctor"},
        "locationCode": [{"coding": [{"code": "22"}]}],
        "note": [{"text": "Knee pain 8 weeks despite therapy."}],
    }  # fmt: skip
    if performer:
        service["performer"] = [{"display": "Riverside Imaging Center"}]
    task: dict[str, Any] = {
        "resourceType": "Task",
        "contained": [
            {
                "resourceType": "Patient",
                "id": "member",
                "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}]}, "value": member_id}],
                "birthDate": birth_date,
            },
            {"resourceType": "Practitioner", "id": "doctor", "identifier": [{"system": NPI_SYSTEM, "value": "1234567893"}],
             "name": [{"family": "Lee", "given": ["Alan"]}]},
            service,
        ],
        "identifier": [{"system": "https://clinic.example/prior-auth", "value": task_id}],
        "status": "requested",
        "intent": "order",
        "priority": priority,
        "code": {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "approve"}]},
        "focus": {"reference": "#mri"},
        "for": {"reference": "#member"},
    }  # fmt: skip
    if pdf is not None:
        task["input"] = [
            {
                "type": {"text": "Clinical notes"},
                "valueAttachment": {"contentType": "application/pdf", "title": "notes.pdf", "data": base64.b64encode(pdf).decode()},
            }
        ]  # fmt: skip
    return task
