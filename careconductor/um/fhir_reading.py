"""Reading FHIR JSON as a partner sends it, for prior-authorisation intake (um.pas for Da Vinci PAS Bundles,
um.task_intake for a Task with its ServiceRequest): each helper checks the shape of one element and raises
PasProblem naming where (a FHIRPath) it is wrong. Pure."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass
from typing import Any

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


class PasProblem(ValueError):
    """The Bundle is not a PAS request this server can read; `where` is the FHIRPath of the fault."""

    def __init__(self, message: str, where: str = "Bundle") -> None:
        super().__init__(message)
        self.where = where


def as_dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PasProblem(f"{where} must be an object.", where)
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise PasProblem(f"{where} must be a list.", where)
    return value


def text(value: Any, where: str, limit: int = 200) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise PasProblem(f"{where} must be a string.", where)
    return value.strip()[:limit]


def date(value: Any, where: str) -> dt.date | None:
    written = text(value, where, 40)
    if not written:
        return None
    try:
        return dt.date.fromisoformat(written[:10])
    except ValueError:
        raise PasProblem(f"{where} is not a date (YYYY-MM-DD).", where) from None


def code(concept: Any, where: str) -> str:
    codings = as_list(as_dict(concept, where).get("coding"), f"{where}.coding") if concept is not None else []
    for coding in codings:
        found = text(as_dict(coding, f"{where}.coding").get("code"), f"{where}.coding.code", 20)
        if found:
            return found
    return ""


def index_of(entries: list[Any]) -> dict[str, dict[str, Any]]:
    """Each entry's resource by its fullUrl and by `Type/id`, for references inside the Bundle."""
    found: dict[str, dict[str, Any]] = {}
    for n, entry in enumerate(entries):
        entry = as_dict(entry, f"Bundle.entry[{n}]")
        resource = as_dict(entry.get("resource"), f"Bundle.entry[{n}].resource")
        full_url = text(entry.get("fullUrl"), f"Bundle.entry[{n}].fullUrl", 500)
        if full_url:
            found[full_url] = resource
        kind, rid = resource.get("resourceType"), resource.get("id")
        if isinstance(kind, str) and isinstance(rid, str):
            found[f"{kind}/{rid}"] = resource
    return found


def resolve(reference: Any, index: dict[str, dict[str, Any]], where: str) -> dict[str, Any] | None:
    if reference is None:
        return None
    ref = text(as_dict(reference, where).get("reference"), f"{where}.reference", 500)
    return index.get(ref) if ref else None


def provider_name(resource: dict[str, Any] | None, index: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """A provider's words and NPI: an Organization's or Practitioner's name; a PractitionerRole's practitioner
    and organisation."""
    if resource is None:
        return "", ""
    npi = next(
        (
            i.get("value", "")
            for i in resource.get("identifier") or []
            if isinstance(i, dict) and i.get("system") == NPI_SYSTEM and isinstance(i.get("value"), str)
        ),
        "",
    )
    kind = resource.get("resourceType")
    if kind == "PractitionerRole":
        person, person_npi = provider_name(
            resolve(resource.get("practitioner"), index, "PractitionerRole.practitioner"), index
        )
        place, place_npi = provider_name(
            resolve(resource.get("organization"), index, "PractitionerRole.organization"), index
        )
        return ", ".join(p for p in (person, place) if p), npi or person_npi or place_npi
    if isinstance(resource.get("name"), str):  # an Organization's or a Location's
        return text(resource.get("name"), f"{kind}.name"), npi
    names = [n for n in resource.get("name") or [] if isinstance(n, dict)]
    if names:
        first = names[0]
        given = " ".join(g for g in first.get("given") or [] if isinstance(g, str))
        words = text(first.get("text"), "name.text") or " ".join(
            p for p in (given, text(first.get("family"), "name.family")) if p
        )
        prefix = "Dr " if kind == "Practitioner" and words and not words.startswith("Dr") else ""
        return prefix + words, npi
    return "", npi


def member_id(patient: dict[str, Any]) -> str:
    identifiers = [i for i in as_list(patient.get("identifier"), "Patient.identifier") if isinstance(i, dict)]
    for i in identifiers:
        types = as_dict(i.get("type"), "Patient.identifier.type") if i.get("type") is not None else {}
        if any(isinstance(c, dict) and c.get("code") == "MB" for c in types.get("coding") or []):
            return text(i.get("value"), "Patient.identifier.value", 60)
    return text(identifiers[0].get("value"), "Patient.identifier.value", 60) if identifiers else ""


MAX_DOCUMENT_BYTES = 5 * 1024 * 1024


def attachment(value: Any, where: str) -> tuple[str, bytes]:
    """An Attachment's title and content (base64 `data`; empty when it has none)."""
    given = as_dict(value, where)
    data = text(given.get("data"), f"{where}.data", MAX_DOCUMENT_BYTES * 2)
    try:
        content = base64.b64decode(data, validate=True) if data else b""
    except (binascii.Error, ValueError):
        raise PasProblem(f"{where}.data is not base64.", f"{where}.data") from None
    return text(given.get("title"), f"{where}.title", 100), content


@dataclass(frozen=True)
class Document:
    name: str
    data: bytes


def texts_and_documents(entries: Any, where: str) -> tuple[list[str], list[Document]]:
    """The `valueString` texts and `valueAttachment` documents of a list of elements (a Claim's supportingInfo,
    a Task's input), in order; a document without a title is named by its place."""
    texts: list[str] = []
    documents: list[Document] = []
    for n, raw in enumerate(as_list(entries, where)):
        at = f"{where}[{n}]"
        given = as_dict(raw, at)
        if isinstance(given.get("valueString"), str):
            texts.append(text(given["valueString"], f"{at}.valueString", 20_000))
        if given.get("valueAttachment") is not None:
            title, content = attachment(given["valueAttachment"], f"{at}.valueAttachment")
            if content:
                documents.append(Document(title or f"attachment-{n + 1}", content))
    return texts, documents
