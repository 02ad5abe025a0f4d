"""Da Vinci PAS (interop.md §3) as this plan's intake speaks it: reading a PAS request Bundle (a Claim with
`use = preauthorization` first, then what it refers to) into what intake needs, and writing the PAS response
Bundle (a ClaimResponse first, one item per Claim item with its review action). Pure: no database; the FHIR
glue (fhir/pas.py) looks the member up, calls the intake action and renders the request it got back.

Read: the member by their member ID (Patient.identifier of type MB, else the Patient's first identifier) and birth
date; urgency from Claim.priority (`stat` is expedited); the requesting provider (Claim.provider: its name and
NPI); the servicing provider (the careTeam's first provider, else Claim.facility); each item's CPT/HCPCS code,
quantity, date or period and place of service; ICD-10-CM diagnoses; supportingInfo text as clinical notes and
attached PDFs or pictures (base64 `data`) as documents. Review actions (X12 306): A1 certified in total, A3 not
certified, A4 pended (every request still under review, and an appeal), A6 modified (a partial approval, the
approved units in `addItem`), C cancelled (withdrawn)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from . import fhir_reading as read
from .fhir_reading import Document, PasProblem
from .rules import Status, Urgency

REVIEW_ACTION = "http://hl7.org/fhir/us/davinci-pas/StructureDefinition/extension-reviewAction"
X12_306 = "https://codesystem.x12.org/005010/306"
MAX_ITEMS = 20


@dataclass(frozen=True)
class Item:
    sequence: int
    code: str
    units: int
    start: dt.date | None
    end: dt.date | None
    place: str
    description: str


@dataclass(frozen=True)
class PasRequest:
    claim_identifier: str  # "system|value", the partner's key for the request
    member_id: str
    birth_date: dt.date | None
    urgency: Urgency
    requesting_provider: str
    requesting_npi: str
    servicing_provider: str
    items: tuple[Item, ...]
    diagnoses: tuple[str, ...]
    notes: str
    documents: tuple[Document, ...] = field(default=())


def parse_request(bundle: Any) -> PasRequest:
    bundle = read.as_dict(bundle, "Bundle")
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "collection":
        raise PasProblem("Send a PAS request Bundle: resourceType Bundle, type collection.", "Bundle.type")
    entries = read.as_list(bundle.get("entry"), "Bundle.entry")
    if not entries:
        raise PasProblem("The Bundle has no entries: the Claim comes first.", "Bundle.entry")
    claim = read.as_dict(
        read.as_dict(entries[0], "Bundle.entry[0]").get("resource"), "Bundle.entry[0].resource"
    )
    if claim.get("resourceType") != "Claim":
        raise PasProblem("The first entry must be the Claim.", "Bundle.entry[0].resource")
    if claim.get("use") != "preauthorization":
        raise PasProblem("Claim.use must be preauthorization.", "Claim.use")
    index = read.index_of(entries)
    identifiers = [
        i for i in read.as_list(claim.get("identifier"), "Claim.identifier") if isinstance(i, dict)
    ]
    key = next(
        (f"{i.get('system', '')}|{i['value']}" for i in identifiers if isinstance(i.get("value"), str)), ""
    )
    if not key.strip("|"):
        raise PasProblem(
            "The Claim needs an identifier: it is how you and the plan name the request.", "Claim.identifier"
        )
    patient = read.resolve(claim.get("patient"), index, "Claim.patient")
    if patient is None:
        raise PasProblem("Claim.patient must refer to the Patient in the Bundle.", "Claim.patient")
    member_id = read.member_id(patient)
    priority = read.code(claim.get("priority"), "Claim.priority")
    requesting, npi = read.provider_name(read.resolve(claim.get("provider"), index, "Claim.provider"), index)
    team = [t for t in read.as_list(claim.get("careTeam"), "Claim.careTeam") if isinstance(t, dict)]
    servicing = next(
        (
            n
            for t in team
            if (
                n := read.provider_name(
                    read.resolve(t.get("provider"), index, "Claim.careTeam.provider"), index
                )[0]
            )
        ),
        "",
    )
    servicing = (
        servicing
        or read.provider_name(read.resolve(claim.get("facility"), index, "Claim.facility"), index)[0]
    )
    items = tuple(_item(raw, n) for n, raw in enumerate(read.as_list(claim.get("item"), "Claim.item")))
    if not items or len(items) > MAX_ITEMS:
        raise PasProblem(f"Send 1 to {MAX_ITEMS} items.", "Claim.item")
    diagnoses = tuple(
        code
        for n, d in enumerate(read.as_list(claim.get("diagnosis"), "Claim.diagnosis"))
        if (
            code := read.code(
                read.as_dict(d, f"Claim.diagnosis[{n}]").get("diagnosisCodeableConcept"),
                f"Claim.diagnosis[{n}].diagnosisCodeableConcept",
            )
        )
    )
    notes, documents = _supporting(claim)
    return PasRequest(
        claim_identifier=key[:100],
        member_id=member_id,
        birth_date=read.date(patient.get("birthDate"), "Patient.birthDate"),
        urgency=Urgency.EXPEDITED if priority == "stat" else Urgency.STANDARD,
        requesting_provider=requesting,
        requesting_npi=npi if len(npi) == 10 and npi.isascii() and npi.isdigit() else "",
        servicing_provider=servicing,
        items=items,
        diagnoses=diagnoses,
        notes=notes,
        documents=documents,
    )


def _item(raw: Any, n: int) -> Item:
    where = f"Claim.item[{n}]"
    item = read.as_dict(raw, where)
    sequence = item.get("sequence")
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not 1 <= sequence <= 9999:
        raise PasProblem(f"{where}.sequence must be a whole number from 1.", f"{where}.sequence")
    service = read.as_dict(item.get("productOrService"), f"{where}.productOrService")
    quantity = item.get("quantity")
    value = read.as_dict(quantity, f"{where}.quantity").get("value") if quantity is not None else 1
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 99_999:
        raise PasProblem(f"{where}.quantity.value must be a number of units.", f"{where}.quantity.value")
    period = item.get("servicedPeriod")
    start = read.date(item.get("servicedDate"), f"{where}.servicedDate")
    end = None
    if period is not None:
        period = read.as_dict(period, f"{where}.servicedPeriod")
        start = start or read.date(period.get("start"), f"{where}.servicedPeriod.start")
        end = read.date(period.get("end"), f"{where}.servicedPeriod.end")
    coding = [c for c in service.get("coding") or [] if isinstance(c, dict)]
    return Item(
        sequence=sequence,
        code=read.code(service, f"{where}.productOrService")[:12],
        units=int(value),
        start=start,
        end=end,
        place=read.code(item.get("locationCodeableConcept"), f"{where}.locationCodeableConcept")[:2],
        description=read.text(
            coding[0].get("display") if coding else "", f"{where}.productOrService.coding.display"
        ),
    )


def _supporting(claim: dict[str, Any]) -> tuple[str, tuple[Document, ...]]:
    notes, documents = read.texts_and_documents(claim.get("supportingInfo"), "Claim.supportingInfo")
    return "\n\n".join(n for n in notes if n), tuple(documents)


# --- the response ------------------------------------------------------------------------------------------------
REVIEW_CODES = {
    Status.APPROVED: "A1",
    Status.APPEAL_APPROVED: "A1",
    Status.PARTIAL: "A6",
    Status.DENIED: "A3",
    Status.APPEAL_DENIED: "A3",
    Status.WITHDRAWN: "C",
}


@dataclass(frozen=True)
class Answered:
    """What the response says of one request."""

    pk: int
    claim_identifier: str
    status: Status
    member_id: str
    insurer: str
    created: dt.datetime
    auth_number: str
    valid_from: dt.date | None
    valid_until: dt.date | None
    reason: str  # the coded denial reason, "" when none
    reason_words: str
    lines: tuple[tuple[int, int, int | None], ...]  # (sequence, units asked, units approved)
    patient_ref: str = ""  # "Patient/N" when the reader may follow it; the member ID alone otherwise


def response_bundle(answered: Answered, base: str, now: dt.datetime) -> dict[str, Any]:
    """The PAS response Bundle: the ClaimResponse, first and alone (nothing else changed)."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(timespec="seconds"),
        "identifier": {"system": "https://careconductor.org/fhir/prior-authorization", "value": f"PA-{answered.pk:06d}"},
        "entry": [{"fullUrl": f"{base}ClaimResponse/{answered.pk}", "resource": claim_response(answered)}],
    }  # fmt: skip


def claim_response(answered: Answered) -> dict[str, Any]:
    """The request's state as a PAS ClaimResponse (also served by `GET ClaimResponse/<id>`)."""
    system, _, value = answered.claim_identifier.partition("|")
    action = REVIEW_CODES.get(answered.status, "A4")
    items, added = [], []
    for sequence, _asked, approved in answered.lines:
        review: list[dict[str, Any]] = [
            {"url": "code", "valueCodeableConcept": {"coding": [{"system": X12_306, "code": action}]}}
        ]
        if answered.auth_number and action in ("A1", "A6"):
            review.append({"url": "number", "valueString": answered.auth_number})
        if answered.reason and action in ("A3", "A6"):
            review.append({"url": "reasonCode", "valueCodeableConcept": {
                "coding": [{"system": "https://careconductor.org/fhir/CodeSystem/um-denial-reason", "code": answered.reason}],
                "text": answered.reason_words}})  # fmt: skip
        submitted = {
            "category": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/adjudication", "code": "submitted"}]},
            "extension": [{"url": REVIEW_ACTION, "extension": review}],
        }  # fmt: skip
        items.append({"itemSequence": sequence, "adjudication": [submitted]})
        if action == "A6" and approved is not None:
            added.append({"itemSequence": [sequence], "productOrService": {"text": "as requested, fewer units"},
                          "quantity": {"value": approved}, "adjudication": [submitted]})  # fmt: skip
    response: dict[str, Any] = {
        "resourceType": "ClaimResponse",
        "id": str(answered.pk),
        "status": "active",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization",
        "patient": _member(answered),
        "created": answered.created.isoformat(timespec="seconds"),
        "insurer": {"display": answered.insurer},
        "outcome": "complete",
        "identifier": [{"system": "https://careconductor.org/fhir/prior-authorization", "value": f"PA-{answered.pk:06d}"}],
        "item": items,
    }  # fmt: skip
    if value:  # the partner's Claim (a request typed in from a call or a fax has none)
        response["request"] = {
            "identifier": {"system": system, "value": value} if system else {"value": value}
        }
    if added:
        response["addItem"] = added
    if answered.auth_number:
        response["preAuthRef"] = answered.auth_number
        if answered.valid_from and answered.valid_until:
            response["preAuthPeriod"] = {
                "start": answered.valid_from.isoformat(),
                "end": answered.valid_until.isoformat(),
            }
    return response


def _member(answered: Answered) -> dict[str, Any]:
    member: dict[str, Any] = {"display": "the member"}
    if answered.patient_ref:
        member["reference"] = answered.patient_ref
    if answered.member_id:
        member["identifier"] = {
            "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MB"}]},
            "value": answered.member_id,
        }
    return member
