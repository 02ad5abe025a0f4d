"""Prior authorisation for simpler partners (issue 21): a FHIR Task asking the plan to approve a ServiceRequest,
read into what intake needs. Pure: no database; fhir/mappers/prior_auth_task.py finds the member and calls the
same intake action as the form and Da Vinci PAS.

The Task carries what it is about, contained (one POST, nothing half-made):
- `code` approve (http://hl7.org/fhir/CodeSystem/task-code), `intent` order, an `identifier` (the partner's key);
- `focus` the contained ServiceRequest: `code` the CPT/HCPCS service, `quantityQuantity` the units (1 when
  absent), `occurrenceDateTime` or `occurrencePeriod` the dates, `reasonCode` the ICD-10-CM diagnoses,
  `requester` and `performer` the requesting and servicing providers (contained Practitioner, Organization or
  PractitionerRole with their NPI, or a display), `locationCode` the place of service, `note` clinical notes;
- the member as a contained Patient, named by ServiceRequest.subject or Task.for: member ID (identifier type MB)
  and birth date, as on the intake form;
- `priority` stat or asap (of the Task or the ServiceRequest) asks for an expedited decision;
- `input` valueString (more clinical notes) and valueAttachment (a PDF or a picture, base64 `data`).

One service per Task: a partner asking for three services sends three Tasks."""

from __future__ import annotations

from typing import Any

from . import fhir_reading as read
from .fhir_reading import Document, PasProblem
from .pas import Item, PasRequest
from .rules import Urgency

TASK_CODE = "http://hl7.org/fhir/CodeSystem/task-code"
EXPEDITED_PRIORITIES = frozenset({"stat", "asap"})
MAX_UNITS = 99_999


def parse_task(resource: Any) -> PasRequest:
    task = read.as_dict(resource, "Task")
    if task.get("resourceType") != "Task":
        raise PasProblem("Send a Task.", "Task.resourceType")
    _approve_code(task)
    contained = _contained(task)
    service = read.resolve(task.get("focus"), contained, "Task.focus")
    if service is None or service.get("resourceType") != "ServiceRequest":
        raise PasProblem(
            "Task.focus must refer to the ServiceRequest contained in the Task (#its-id).", "Task.focus"
        )
    key = _identifier(task)
    patient = read.resolve(service.get("subject"), contained, "ServiceRequest.subject") or read.resolve(
        task.get("for"), contained, "Task.for"
    )
    if patient is None or patient.get("resourceType") != "Patient":
        raise PasProblem(
            "ServiceRequest.subject (or Task.for) must refer to the member as a contained Patient with their "
            "member ID and birth date.",
            "ServiceRequest.subject",
        )
    requesting, npi = read.provider_name(_party(service.get("requester"), contained, "requester"), contained)
    performers = read.as_list(service.get("performer"), "ServiceRequest.performer")
    servicing = read.provider_name(
        _party(performers[0] if performers else None, contained, "performer[0]"), contained
    )[0]
    priorities = {
        read.text(task.get("priority"), "Task.priority", 10),
        read.text(service.get("priority"), "ServiceRequest.priority", 10),
    }
    notes, documents = _notes_and_documents(task, service)
    return PasRequest(
        claim_identifier=key[:100],
        member_id=read.member_id(patient),
        birth_date=read.date(patient.get("birthDate"), "Patient.birthDate"),
        urgency=Urgency.EXPEDITED if priorities & EXPEDITED_PRIORITIES else Urgency.STANDARD,
        requesting_provider=requesting,
        requesting_npi=npi if len(npi) == 10 and npi.isascii() and npi.isdigit() else "",
        servicing_provider=servicing,
        items=(_item(service),),
        diagnoses=tuple(
            found
            for n, reason in enumerate(read.as_list(service.get("reasonCode"), "ServiceRequest.reasonCode"))
            if (found := read.code(reason, f"ServiceRequest.reasonCode[{n}]"))
        ),
        notes=notes,
        documents=documents,
    )


def _approve_code(task: dict[str, Any]) -> None:
    concept = read.as_dict(task.get("code") or {}, "Task.code")
    codings = [c for c in read.as_list(concept.get("coding"), "Task.code.coding") if isinstance(c, dict)]
    if not any(c.get("code") == "approve" and c.get("system") in (None, TASK_CODE) for c in codings):
        raise PasProblem(
            f"Task.code must be approve ({TASK_CODE}): this server takes Tasks that ask the plan to approve a "
            "service (prior authorisation).",
            "Task.code",
        )


def _contained(task: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The contained resources by their local reference, `#id`."""
    found: dict[str, dict[str, Any]] = {}
    for n, raw in enumerate(read.as_list(task.get("contained"), "Task.contained")):
        resource = read.as_dict(raw, f"Task.contained[{n}]")
        local = read.text(resource.get("id"), f"Task.contained[{n}].id", 64)
        if local:
            found[f"#{local}"] = resource
    return found


def _identifier(task: dict[str, Any]) -> str:
    identifiers = [i for i in read.as_list(task.get("identifier"), "Task.identifier") if isinstance(i, dict)]
    key = next(
        (
            f"{read.text(i.get('system'), 'Task.identifier.system', 200)}|{i['value']}"
            for i in identifiers
            if isinstance(i.get("value"), str) and i["value"].strip()
        ),
        "",
    )
    if not key:
        raise PasProblem(
            "The Task needs an identifier: it is how you and the plan name the request.", "Task.identifier"
        )
    return key


def _party(reference: Any, contained: dict[str, dict[str, Any]], name: str) -> dict[str, Any] | None:
    """A provider: the contained resource referred to, else a resource made of the reference's display."""
    if reference is None:
        return None
    found = read.resolve(reference, contained, f"ServiceRequest.{name}")
    if found is not None:
        return found
    display = read.text(
        read.as_dict(reference, f"ServiceRequest.{name}").get("display"), f"ServiceRequest.{name}.display"
    )
    return {"resourceType": "Organization", "name": display} if display else None


def _item(service: dict[str, Any]) -> Item:
    concept = service.get("code")
    if concept is None:
        raise PasProblem("ServiceRequest.code must name the service (CPT or HCPCS).", "ServiceRequest.code")
    code = read.code(concept, "ServiceRequest.code")
    quantity = service.get("quantityQuantity")
    value = (
        read.as_dict(quantity, "ServiceRequest.quantityQuantity").get("value") if quantity is not None else 1
    )
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_UNITS:
        raise PasProblem(
            "ServiceRequest.quantityQuantity.value must be a number of units.",
            "ServiceRequest.quantityQuantity.value",
        )
    start = read.date(service.get("occurrenceDateTime"), "ServiceRequest.occurrenceDateTime")
    end = None
    if (period := service.get("occurrencePeriod")) is not None:
        period = read.as_dict(period, "ServiceRequest.occurrencePeriod")
        start = start or read.date(period.get("start"), "ServiceRequest.occurrencePeriod.start")
        end = read.date(period.get("end"), "ServiceRequest.occurrencePeriod.end")
    places = read.as_list(service.get("locationCode"), "ServiceRequest.locationCode")
    codings = [
        c for c in read.as_dict(concept, "ServiceRequest.code").get("coding") or [] if isinstance(c, dict)
    ]
    return Item(
        sequence=1,
        code=code[:12],
        units=int(value),
        start=start,
        end=end,
        place=read.code(places[0], "ServiceRequest.locationCode[0]")[:2] if places else "",
        description=read.text(
            codings[0].get("display") if codings else "", "ServiceRequest.code.coding.display"
        ),
    )


def _notes_and_documents(task: dict[str, Any], service: dict[str, Any]) -> tuple[str, tuple[Document, ...]]:
    notes = [
        read.text(
            read.as_dict(note, f"ServiceRequest.note[{n}]").get("text"),
            f"ServiceRequest.note[{n}].text",
            20_000,
        )
        for n, note in enumerate(read.as_list(service.get("note"), "ServiceRequest.note"))
    ]
    texts, documents = read.texts_and_documents(task.get("input"), "Task.input")
    notes += texts
    return "\n\n".join(n for n in notes if n), tuple(documents)
