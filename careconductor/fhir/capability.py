"""The CapabilityStatement, generated from the registry: it lists exactly what each mapper declares."""

from __future__ import annotations

from typing import Any

from careconductor.core import clock

from .registry import all_mappers, instant
from .search import COMMON

BACKPORT_OPERATIONS = "http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/"
PAS_OPERATIONS = "http://hl7.org/fhir/us/davinci-pas/OperationDefinition/"
BULK_OPERATIONS = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/"


def capability_statement(base_url: str) -> dict[str, Any]:
    site = base_url.rstrip("/").removesuffix("/fhir/r4")
    resources = []
    for mapper in all_mappers():
        params = {**COMMON, **mapper.params}
        resource: dict[str, Any] = {
            "type": mapper.resource_type,
            "interaction": [{"code": code} for code in sorted(mapper.interactions)],
            "versioning": "versioned-update" if "history-instance" in mapper.interactions else "no-version",
            "readHistory": "history-instance" in mapper.interactions,
            "updateCreate": False,
            "conditionalCreate": "create" in mapper.interactions and "identifier" in mapper.params,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
            "searchInclude": sorted(
                f"{mapper.resource_type}:{name}"
                for name, p in mapper.params.items()
                if p.type == "reference" and p.path
            ),
            "searchRevInclude": sorted(
                f"{other.resource_type}:{name}"
                for other in all_mappers()
                for name, p in other.params.items()
                if p.type == "reference" and p.path and p.target == mapper.resource_type
            ),
            "searchParam": [
                {"name": name, "type": p.type, "documentation": p.description}
                for name, p in sorted(params.items())
            ],
        }
        if mapper.description:
            resource["documentation"] = mapper.description
        if mapper.resource_type == "Patient":
            resource["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                },
                {"name": "export", "definition": f"{BULK_OPERATIONS}patient-export"},
            ]
        if mapper.resource_type == "Group":
            resource["operation"] = [{"name": "export", "definition": f"{BULK_OPERATIONS}group-export"}]
        if mapper.resource_type == "Subscription":
            resource["operation"] = [
                {"name": name, "definition": f"{BACKPORT_OPERATIONS}backport-subscription-{name}"}
                for name in ("status", "events")
            ]
        resources.append(resource)
    # Prior authorisation (Da Vinci PAS): operations only, for the plan's UM accounts (fhir/pas.py).
    resources.append(
        {
            "type": "Claim",
            "documentation": "Prior authorisation: POST a PAS request Bundle to Claim/$submit; Claim/$inquire by the "
            "Claim's identifier. For the plan's UM accounts; see docs/prior-authorisation.md.",
            "operation": [
                {"name": name, "definition": f"{PAS_OPERATIONS}Claim-{name}"}
                for name in ("submit", "inquire")
            ],
        }
    )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": instant(clock.now()),
        "publisher": "CareConductor",
        "kind": "instance",
        "software": {"name": "CareConductor", "version": "0.1.0"},
        "implementation": {"description": "CareConductor FHIR R4 API", "url": base_url.rstrip("/")},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "SMART on FHIR (App Launch and Backend Services; see .well-known/smart-configuration) "
                "or API tokens (careconductor token create), with SMART scopes; see docs/fhir.md and docs/smart.md.",
                "security": {
                    "cors": False,
                    # Where SMART clients that read the CapabilityStatement (not the .well-known file) find OAuth.
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [
                                {"url": "authorize", "valueUri": f"{site}/oauth/authorize/"},
                                {"url": "token", "valueUri": f"{site}/oauth/token/"},
                                {"url": "revoke", "valueUri": f"{site}/oauth/revoke/"},
                            ],
                        }
                    ],
                    "service": [
                        {
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                    "code": "SMART-on-FHIR",
                                }
                            ]
                        }
                    ],
                    "description": "Send Authorization: Bearer <token>. Scopes: user/*.rs, user/Patient.cu, patient/*.rs, "
                    "system/*.rs … (v1 .read/.write accepted).",
                },
                "resource": resources,
                "interaction": [{"code": "transaction"}, {"code": "batch"}],
                # FHIR Bulk Data: asynchronous NDJSON export of everything the token may read (fhir/bulk.py).
                "operation": [{"name": "export", "definition": f"{BULK_OPERATIONS}export"}],
            }
        ],
    }
