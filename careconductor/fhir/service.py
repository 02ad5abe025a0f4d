"""The FHIR interactions, apart from HTTP: the views and the transaction/batch processor both call these.
Each returns an Answer (status, body, headers). Reads go through the mapper's `visible` (privacy.policy) and
are audited; writes go through the domain's do_* actions, which check the policy and audit themselves."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from django.db import transaction

from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.privacy import audit

from . import search as searching
from . import versions
from .auth import Caller
from .errors import FhirError, bad_request, issue, not_found
from .registry import (
    CREATE,
    DELETE,
    HISTORY,
    READ,
    SEARCH,
    UPDATE,
    VREAD,
    Mapper,
    all_mappers,
    mapper_for,
)
from .validation import validate


@dataclass
class Answer:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)
    # What the entry created or found, for resolving urn:uuid references in transactions.
    location: str = ""
    # Created or updated but not rendered yet (render=False): the mapper of the row's model and its key.
    pending: tuple[Mapper, Any] | None = None


def mapper_or_404(resource_type: str, interaction: str) -> Mapper:
    mapper = mapper_for(resource_type)
    if mapper is None:
        raise FhirError(
            404, f"{resource_type!r} is not a resource type this server serves.", code="not-supported"
        )
    if interaction not in mapper.interactions:
        raise FhirError(
            405, f"{resource_type} does not support {interaction} here (see /metadata).", code="not-supported"
        )
    return mapper


def _resource_headers(body: dict[str, Any]) -> dict[str, str]:
    return {"ETag": f'W/"{body["meta"]["versionId"]}"', "Last-Modified": body["meta"]["lastUpdated"]}


def _audit_read(caller: Caller, mapper: Mapper, row: Any, detail: str) -> None:
    audit.record_resource_reads(caller.user, mapper.read_entries(row), detail=detail)


def read(caller: Caller, resource_type: str, resource_id: str) -> Answer:
    mapper = mapper_or_404(resource_type, READ)
    caller.require(resource_type, "r")
    row = mapper.get(caller, resource_id)
    body = mapper.render(row)
    _audit_read(caller, mapper, row, "FHIR read")
    return Answer(200, body, _resource_headers(body))


def vread(caller: Caller, resource_type: str, resource_id: str, version_id: str) -> Answer:
    mapper = mapper_or_404(resource_type, VREAD)
    caller.require(resource_type, "r")
    row = mapper.get(caller, resource_id)
    body = versions.version(mapper, row, version_id)
    _audit_read(caller, mapper, row, f"FHIR vread {version_id}")
    return Answer(200, body, _resource_headers(body))


def history(caller: Caller, resource_type: str, resource_id: str, base_url: str) -> Answer:
    mapper = mapper_or_404(resource_type, HISTORY)
    caller.require(resource_type, "r")
    row = mapper.get(caller, resource_id)
    kept = versions.versions(mapper, row)
    _audit_read(caller, mapper, row, "FHIR history")
    entries = [
        {
            "fullUrl": f"{base_url}{resource_type}/{resource_id}",
            "resource": body,
            "request": {
                "method": "POST" if body["meta"]["versionId"] == "1" else "PUT",
                "url": resource_type
                if body["meta"]["versionId"] == "1"
                else f"{resource_type}/{resource_id}",
            },
            "response": {
                "status": "201 Created" if body["meta"]["versionId"] == "1" else "200 OK",
                "etag": f'W/"{body["meta"]["versionId"]}"',
                "lastModified": body["meta"]["lastUpdated"],
            },
        }
        for body in kept
    ]
    bundle = {"resourceType": "Bundle", "type": "history", "total": len(entries), "entry": entries}
    return Answer(200, bundle)


def search(
    caller: Caller, resource_type: str, pairs: list[tuple[str, str]], base_url: str, *, lenient: bool
) -> Answer:
    mapper = mapper_or_404(resource_type, SEARCH)
    caller.require(resource_type, "s")
    parsed = searching.parse(mapper, caller, pairs, lenient=lenient)
    bundle = searching.run(parsed, base_url)
    if parsed.ignored:
        bundle.setdefault("entry", []).append(
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [
                        issue(f"Ignored unknown parameter {name}.", code="not-supported", severity="warning")
                        for name in parsed.ignored
                    ],
                },
                "search": {"mode": "outcome"},
            }
        )
    return Answer(200, bundle)


def _refused(mapper: Mapper, exc: ActionRefused) -> FhirError:
    issues = [
        issue(
            text,
            code="business-rule" if not key else "invalid",
            expression=[mapper.error_paths.get(key, key)] if key else None,
        )
        for key, text in exc.errors.items()
    ]
    return FhirError(422, "; ".join(exc.errors.values()), issues=issues)


def _existing(caller: Caller, mapper: Mapper, condition: str) -> list[Any]:
    pairs = parse_qsl(condition.split("?", 1)[-1], keep_blank_values=True)
    if not pairs:
        raise bad_request("If-None-Exist needs search parameters, e.g. identifier=system|value.")
    parsed = searching.parse(mapper, caller, pairs, lenient=False)
    return [row for part in mapper.parts() for row in searching.filtered(parsed, part)[:2]][:2]


def create(
    caller: Caller,
    resource_type: str,
    data: Any,
    *,
    if_none_exist: str = "",
    not_duplicate_of: str = "",
    render: bool = True,
    savepoint: bool = True,
) -> Answer:
    """Create, or with If-None-Exist find the one resource that matches and create nothing (200). The mapper may
    refuse first: a Patient probably registered already is answered 409 with the candidates (fhir.md);
    `not_duplicate_of` (the X-Not-Duplicate-Of header) lists the candidates the client checked. With
    `render=False` the created resource is left for the caller to render (`render_pending`), a type at a time.
    `savepoint=False` inside a transaction Bundle, whose first failure undoes every entry anyway."""
    mapper = mapper_or_404(resource_type, CREATE)
    caller.require(resource_type, "c")
    resource = validate(data, resource_type)
    if if_none_exist:
        with transaction.atomic(), audit.batched():
            found = _existing(caller, mapper, if_none_exist)
            if len(found) > 1:
                raise FhirError(412, "If-None-Exist matches more than one resource.", code="multiple-matches")
            if found:
                body = mapper.render(found[0])
                _audit_read(caller, mapper, found[0], "FHIR conditional create: exists")
                location = f"{resource_type}/{body['id']}"
                return Answer(200, body, _resource_headers(body), location=location)
    # Outside the create's transaction, so the reads a refusal records (the candidates named) are kept.
    checked = frozenset(ref.strip() for ref in not_duplicate_of.split(",") if ref.strip())
    try:
        mapper.check_create(caller, resource, not_duplicate_of=checked)
    except ActionRefused as exc:
        raise _refused(mapper, exc) from exc
    with transaction.atomic(savepoint=savepoint), audit.batched():
        try:
            row = mapper.create(caller, resource)
        except ActionRefused as exc:
            raise _refused(mapper, exc) from exc
        except NotVisible as exc:
            raise FhirError(403, "You may not add records to that patient.", code="forbidden") from exc
    location = f"{resource_type}/{mapper.resource_id(row)}"
    if not render:
        return Answer(201, None, location=location, pending=(mapper.part_of(row), row.pk))
    part = mapper.part_of(row)  # the model a type served from several (Observation) created the row in
    row = part.with_related(part.model._default_manager.filter(pk=row.pk)).get()
    body = part.render(row)
    headers = {**_resource_headers(body), "Location": f"{location}/_history/{body['meta']['versionId']}"}
    return Answer(201, body, headers, location=location)


def update(
    caller: Caller,
    resource_type: str,
    resource_id: str,
    data: Any,
    *,
    if_match: str = "",
    render: bool = True,
    savepoint: bool = True,
) -> Answer:
    mapper = mapper_or_404(resource_type, UPDATE)
    caller.require(resource_type, "u")
    resource = validate(data, resource_type)
    if resource.get("id") != resource_id:
        raise bad_request("The resource's id must match the id in the URL.", [f"{resource_type}.id"])
    with transaction.atomic(savepoint=savepoint), audit.batched():
        row = mapper.get(caller, resource_id)
        part = mapper.part_of(row)  # the model a type served from several (Task) keeps the row in
        row = part.with_related(
            part.model._default_manager.select_for_update(of=("self",)).filter(pk=row.pk)
        ).get()
        current = mapper.version_id(row)
        wanted = if_match.strip().removeprefix("W/").strip('"')
        if if_match and wanted != current:
            raise FhirError(
                412,
                f"{resource_type}/{resource_id} is at version {current}, not {wanted}: read it again and re-apply your change.",
                code="conflict",
            )
        try:
            row = mapper.update(caller, row, resource)
        except ActionRefused as exc:
            raise _refused(mapper, exc) from exc
        except NotVisible as exc:
            raise not_found(resource_type, resource_id) from exc
    location = f"{resource_type}/{resource_id}"
    if not render:
        return Answer(200, None, location=location, pending=(part, row.pk))
    row = part.with_related(part.model._default_manager.filter(pk=row.pk)).get()
    body = part.render(row)
    return Answer(200, body, _resource_headers(body), location=location)


def delete(caller: Caller, resource_type: str, resource_id: str) -> Answer:
    """Delete what the type allows deleting (a Subscription); 204, nothing to show."""
    mapper = mapper_or_404(resource_type, DELETE)
    caller.require(resource_type, "d")
    with transaction.atomic():
        mapper.delete(caller, mapper.get(caller, resource_id))
    return Answer(204, None)


def subscription_operation(caller: Caller, resource_id: str, operation: str, query: dict[str, str]) -> Answer:
    """$status: the subscription's status Parameters (query-status) in a searchset; $events: the kept events
    eventsSinceNumber..eventsUntilNumber (at most 100) as a query-event Bundle, for a subscriber that found a gap."""
    from . import subscriptions

    mapper = mapper_or_404("Subscription", READ)
    caller.require("Subscription", "r")
    row = mapper.get(caller, resource_id)
    if operation == "status":
        parameters = subscriptions.status_parameters(row, "query-status")
        entry = {"resource": parameters, "search": {"mode": "match"}}
        return Answer(200, {"resourceType": "Bundle", "type": "searchset", "total": 1, "entry": [entry]})
    numbers = []
    for name in ("eventsSinceNumber", "eventsUntilNumber"):
        text = query.get(name, "")
        if text and not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise bad_request(f"{name} is a whole number.", [name])
        numbers.append(int(text) if text else None)
    return Answer(200, subscriptions.events_bundle(row, numbers[0], numbers[1]))


def render_pending(answers: list[Answer]) -> None:
    """Render the resources left pending by create/update(render=False): one query per type (with its related
    rows), not one per resource."""
    by_mapper: dict[int, tuple[Mapper, list[Answer]]] = {}
    for answer in answers:
        if answer.pending is not None:
            by_mapper.setdefault(id(answer.pending[0]), (answer.pending[0], []))[1].append(answer)
    for mapper, waiting in by_mapper.values():
        keys = [answer.pending[1] for answer in waiting if answer.pending is not None]
        rows = {row.pk: row for row in mapper.with_related(mapper.model._default_manager.filter(pk__in=keys))}
        done = []
        for answer in waiting:
            assert answer.pending is not None
            row = rows[answer.pending[1]]
            answer.body = mapper.render(row)
            answer.headers = _resource_headers(answer.body)
            answer.pending = None
            done.append((answer.body, mapper.patient_id(row)))
        # The versions this transaction keeps at commit are these bodies: not read and rendered again.
        versions.rendered(done)


def everything(caller: Caller, patient_id: str, base_url: str) -> Answer:
    """Patient/$everything: the patient and every resource in their compartment the caller may see."""
    patients = mapper_or_404("Patient", READ)
    caller.require("Patient", "r")
    patient = patients.get(caller, patient_id)
    entries = [searching.entry(patients, patient, base_url, "match")]
    served = [(patients.patient_id(patient), "Patient", patients.resource_id(patient))]
    for mapper in all_mappers():
        if (
            mapper.patient_field is None
            or not mapper.in_record
            or mapper.resource_type == "Patient"
            or not caller.allows(mapper.resource_type, "r")
        ):
            continue
        for part in mapper.parts():
            assert part.patient_field is not None
            for row in part.visible(caller).filter(**{part.patient_field: patient.pk}).order_by("pk"):
                entries.append(searching.entry(mapper, row, base_url, "match"))
                served.append((mapper.patient_id(row), mapper.resource_type, mapper.resource_id(row)))
    audit.record_resource_reads(caller.user, served, detail="FHIR $everything")
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(entries), "entry": entries}
    return Answer(200, bundle)
