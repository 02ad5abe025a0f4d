"""Transaction and batch Bundles POSTed to the base URL.

A transaction is all or nothing: every entry runs inside one database transaction and the first failure
undoes them all, answering with that entry's OperationOutcome. `urn:uuid:` fullUrls of created entries are
replaced in later entries' references by the ids they got; entries are ordered so that a resource is
created before those that refer to it. A batch runs each entry on its own and reports each result."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.db import transaction

from careconductor.cases.actions import receiving_teams_kept
from careconductor.core.ids import whole_number
from careconductor.patients.duplicates import candidates_fetched
from careconductor.privacy import audit

from . import service
from .auth import Caller
from .errors import FhirError, bad_request, outcome
from .mappers.common import bundle_patients

MAX_ENTRIES = 5000


def process(caller: Caller, data: Any, base_url: str) -> service.Answer:
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise bad_request("POST to the base URL takes a Bundle of type transaction or batch.")
    kind = data.get("type")
    if kind not in ("transaction", "batch"):
        raise bad_request("The Bundle's type must be transaction or batch.", ["Bundle.type"])
    entries = data.get("entry") or []
    if not isinstance(entries, list):
        raise bad_request("Bundle.entry must be a list.", ["Bundle.entry"])
    if len(entries) > MAX_ENTRIES:
        raise FhirError(413, f"A Bundle may hold at most {MAX_ENTRIES} entries.", code="too-costly")
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("request"), dict):
            raise bad_request(f"Bundle.entry[{i}] needs a request.", [f"Bundle.entry[{i}].request"])
    if kind == "batch":
        return _batch(caller, entries, base_url)
    return _transaction(caller, entries, base_url)


def _run(
    caller: Caller, entry: dict[str, Any], base_url: str, *, in_transaction: bool = False
) -> service.Answer:
    """One entry. In a transaction Bundle (`in_transaction`) the resources it creates or changes are rendered at
    the end, a type at a time, and it takes no savepoint: the first failure undoes every entry anyway."""
    request = entry["request"]
    method = str(request.get("method", "")).upper()
    url = str(request.get("url", ""))
    split = urlsplit(url.removeprefix(base_url))
    parts = [p for p in split.path.split("/") if p]
    pairs = parse_qsl(split.query, keep_blank_values=True)
    if method == "POST" and len(parts) == 1:
        return service.create(
            caller,
            parts[0],
            entry.get("resource"),
            if_none_exist=str(request.get("ifNoneExist", "")),
            render=not in_transaction,
            savepoint=not in_transaction,
        )
    if method == "PUT" and len(parts) == 2:
        return service.update(
            caller,
            parts[0],
            parts[1],
            entry.get("resource"),
            if_match=str(request.get("ifMatch", "")),
            render=not in_transaction,
            savepoint=not in_transaction,
        )
    if method == "GET" and len(parts) == 1:
        return service.search(caller, parts[0], pairs, base_url, lenient=False)
    if method == "GET" and len(parts) == 2:
        return service.read(caller, parts[0], parts[1])
    if method == "GET" and len(parts) == 4 and parts[2] == "_history":
        return service.vread(caller, parts[0], parts[1], parts[3])
    if method == "DELETE":
        raise FhirError(
            405, "Records cannot be deleted here; change their status instead.", code="not-supported"
        )
    raise bad_request(f"{method} {url} is not an interaction this server supports in a Bundle.")


def _response(answer: service.Answer) -> dict[str, Any]:
    status = {200: "200 OK", 201: "201 Created"}.get(answer.status, str(answer.status))
    found: dict[str, Any] = {"status": status}
    if answer.location:
        found["location"] = answer.location
    if answer.body and answer.body.get("meta", {}).get("versionId"):
        found["etag"] = f'W/"{answer.body["meta"]["versionId"]}"'
        found["lastModified"] = answer.body["meta"]["lastUpdated"]
    return found


def _batch(caller: Caller, entries: list[dict[str, Any]], base_url: str) -> service.Answer:
    results = []
    for entry in entries:
        try:
            with transaction.atomic(), audit.batched():
                answer = _run(caller, entry, base_url)
            results.append({"resource": answer.body, "response": _response(answer)})
        except FhirError as exc:
            results.append({"response": {"status": str(exc.status), "outcome": outcome(exc.issues)}})
    return service.Answer(200, {"resourceType": "Bundle", "type": "batch-response", "entry": results})


def _order(entries: list[dict[str, Any]]) -> list[int]:
    """Entry positions with each created resource before the entries that refer to it (FHIR processes
    DELETE, POST, PUT, GET in that order; references between POSTs decide the order among them). One pass over
    each entry's references and one depth-first walk: linear in the size of the Bundle."""
    placeholders = {
        e.get("fullUrl"): i
        for i, e in enumerate(entries)
        if str(e.get("fullUrl", "")).startswith("urn:uuid:")
    }
    needs = [
        sorted({j for url in _references(entry.get("resource")) if (j := placeholders.get(url, i)) != i})
        for i, entry in enumerate(entries)
    ]
    rank = {"POST": 0, "PUT": 1, "GET": 2}
    ordered: list[int] = []
    state: dict[int, int] = {}  # 1: being visited, 2: placed
    for start in sorted(
        range(len(entries)),
        key=lambda k: (rank.get(str(entries[k]["request"].get("method", "")).upper(), 3), k),
    ):
        if state.get(start) == 2:
            continue
        state[start] = 1
        stack = [(start, iter(needs[start]))]
        while stack:
            i, pending = stack[-1]
            j = next(pending, -1)
            if j == -1:
                stack.pop()
                state[i] = 2
                ordered.append(i)
            elif state.get(j) == 1:
                raise bad_request(
                    "The Bundle's entries refer to each other in a circle.", [f"Bundle.entry[{j}]"]
                )
            elif state.get(j) != 2:
                state[j] = 1
                stack.append((j, iter(needs[j])))
    return ordered


def _resolve(value: Any, created: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: (created.get(v, v) if k == "reference" and isinstance(v, str) else _resolve(v, created))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_resolve(v, created) for v in value]
    return value


def _repeated_full_urls(entries: list[dict[str, Any]]) -> None:
    """A fullUrl names one entry: given twice, a reference to it could bind to either, so the Bundle is refused."""
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        url = entry.get("fullUrl")
        if not url:
            continue
        if str(url) in seen:
            raise bad_request(
                f"fullUrl {str(url)[:120]!r} is also Bundle.entry[{seen[str(url)]}]: each entry needs its own.",
                [f"Bundle.entry[{i}].fullUrl"],
            )
        seen[str(url)] = i


def _transaction(caller: Caller, entries: list[dict[str, Any]], base_url: str) -> service.Answer:
    _repeated_full_urls(entries)
    named = {str(e.get("fullUrl")) for e in entries if e.get("fullUrl")}
    unresolved = sorted(url for url in _placeholders(entries) if url not in named)
    if unresolved:
        raise bad_request(f"References to {', '.join(unresolved)} name no entry of this Bundle.")
    created: dict[str, str] = {}
    answers: dict[int, service.Answer] = {}
    literal = [
        _patient_key(ref) for entry in entries for ref in _references(entry.get("resource"), "Patient/")
    ]
    # One chain extension for the whole Bundle; the patients it names fetched at once, and those born on the
    # days of the patients it registers (the duplicate check); the team new patients' referrals go to worked
    # out once.
    with (
        transaction.atomic(),
        audit.batched(),
        bundle_patients(key for key in literal if key is not None),
        candidates_fetched(caller.user, _birth_dates(entries)),
        receiving_teams_kept(),
    ):
        for i in _order(entries):
            entry = dict(entries[i])
            entry["resource"] = _resolve(entry.get("resource"), created)
            try:
                answer = _run(caller, entry, base_url, in_transaction=True)
            except FhirError as exc:
                for item in exc.issues:
                    item["diagnostics"] = f"Bundle.entry[{i}]: {item.get('diagnostics', '')}"
                raise
            if entry.get("fullUrl") and answer.location:
                created[str(entry["fullUrl"])] = answer.location
            answers[i] = answer
        # What was created and changed, as it stands at the end, a type at a time.
        service.render_pending(list(answers.values()))
    results = {
        i: {
            **({"fullUrl": f"{base_url}{answer.location}"} if answer.location else {}),
            "resource": answer.body,
            "response": _response(answer),
        }
        for i, answer in answers.items()
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "entry": [results[i] for i in range(len(entries))],
    }
    return service.Answer(200, bundle)


def _birth_dates(entries: list[dict[str, Any]]) -> list[dt.date]:
    """The birth dates of the Patients the Bundle creates (those that are dates; the entry refuses others)."""
    found = []
    for entry in entries:
        resource = entry.get("resource")
        if isinstance(resource, dict) and resource.get("resourceType") == "Patient":
            try:
                found.append(dt.date.fromisoformat(str(resource.get("birthDate"))))
            except ValueError:
                continue
    return found


def _placeholders(entries: list[dict[str, Any]]) -> set[str]:
    return {url for entry in entries for url in _references(entry.get("resource"))}


def _patient_key(reference: str) -> int | None:
    return whole_number(reference.rsplit("/", 1)[-1])


def _references(resource: Any, prefix: str = "urn:uuid:") -> list[str]:
    """The references starting with `prefix` anywhere in a resource."""
    found: list[str] = []
    todo = [resource]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            for k, v in value.items():
                if k == "reference" and isinstance(v, str):
                    if v.startswith(prefix):
                        found.append(v)
                else:
                    todo.append(v)
        elif isinstance(value, list):
            todo.extend(value)
    return found
