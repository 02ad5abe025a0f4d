"""HTTP for the FHIR API: content negotiation, limits, bearer authentication and OperationOutcome errors.
The interactions themselves are in service.py; views only parse the request and shape the response."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from careconductor.core.database import RETRY_AFTER_SECONDS, is_busy
from careconductor.core.errors import NotVisible
from careconductor.core.ids import whole_number
from careconductor.privacy import audit, policy

from . import bundles, pas, service
from .auth import Caller, authenticate, confirm, identify
from .capability import capability_statement
from .errors import FhirError, outcome
from .registry import DELETE, mapper_for
from .validation import parse_json

FHIR_JSON = "application/fhir+json"
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
FORMATS = {"json", "application/json", "application/fhir+json", "application/json+fhir"}


def base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/r4/")


def respond(status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> HttpResponse:
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False) if body is not None else ""
    response = HttpResponse(content, status=status, content_type=f"{FHIR_JSON}; charset=utf-8")
    for key, value in (headers or {}).items():
        response[key] = value
    response["Cache-Control"] = "no-store"
    return response


def busy() -> HttpResponse:
    """The database is busy (a write lock held too long, a deadlock): try again shortly. Nothing was changed."""
    issues = [
        {
            "severity": "error",
            "code": "transient",
            "diagnostics": "The server is busy; nothing was changed. Try again in a moment.",
        }
    ]
    return respond(503, outcome(issues), {"Retry-After": str(RETRY_AFTER_SECONDS)})


def _negotiate(request: HttpRequest) -> None:
    wanted = request.GET.get("_format")
    if wanted is not None and wanted not in FORMATS:
        raise FhirError(
            406, f"_format={wanted} is not served; this server speaks JSON only.", code="not-supported"
        )
    accept = request.headers.get("Accept", "")
    if accept and wanted is None:
        kinds = [part.split(";")[0].strip() for part in accept.split(",")]
        if not any(k in JSON_TYPES or k in ("*/*", "application/*") for k in kinds):
            raise FhirError(
                406, f"Accept: {accept} cannot be served; ask for {FHIR_JSON}.", code="not-supported"
            )


def body_of(request: HttpRequest) -> Any:
    kind = request.content_type or ""
    if kind not in JSON_TYPES:
        raise FhirError(
            415, f"Send the body as {FHIR_JSON} (not {kind or 'no content type'}).", code="not-supported"
        )
    length = whole_number(request.META.get("CONTENT_LENGTH") or "0") or 0
    if length > 10 * 1024 * 1024:
        raise FhirError(413, "The body is larger than 10 MB.", code="too-costly")
    return parse_json(request.read(10 * 1024 * 1024 + 1))


def _pairs(request: HttpRequest) -> list[tuple[str, str]]:
    return [(k, v) for k, values in request.GET.lists() for v in values if k not in ("_format", "_pretty")]


def fhir_view(view: Callable[..., service.Answer]) -> Callable[..., HttpResponse]:
    """Authenticate by bearer token, answer errors as OperationOutcome, never a session or a cookie."""

    @csrf_exempt
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            _negotiate(request)
            with audit.batched_reads():
                answer = _answer(view, request, *args, **kwargs)
        except FhirError as exc:
            headers = {"WWW-Authenticate": 'Bearer realm="careconductor"'} if exc.status == 401 else {}
            return respond(exc.status, outcome(exc.issues), headers)
        except NotVisible:
            return respond(
                404, outcome([{"severity": "error", "code": "not-found", "diagnostics": "Not known."}])
            )
        except OperationalError as exc:
            if not is_busy(exc):
                raise
            return busy()
        return respond(answer.status, answer.body, answer.headers)

    wrapper.access_policy = "api-token"  # type: ignore[attr-defined]
    return wrapper


def _answer(
    view: Callable[..., service.Answer], request: HttpRequest, *args: Any, **kwargs: Any
) -> service.Answer:
    """A read builds its answer first and then uses the token and writes the audit events of what it shows
    (auth.confirm), committed with those of concurrent reads. A write uses the token before anything changes."""
    if request.method != "GET":
        caller = authenticate(request)
        with policy.launched_for(caller.patient_id):
            return view(request, caller, *args, **kwargs)
    caller, token = identify(request)
    try:
        with policy.launched_for(caller.patient_id):  # an app launched for a patient sees that patient only
            answer = view(request, caller, *args, **kwargs)
    except (FhirError, NotVisible):
        confirm(token)  # every use of a token is checked and audited, whatever the answer
        raise
    confirm(token)
    return answer


def _method_not_allowed(request: HttpRequest, allowed: str) -> service.Answer:
    raise FhirError(405, f"{request.method} is not supported here; use {allowed}.", code="not-supported")


@csrf_exempt
def metadata(request: HttpRequest) -> HttpResponse:
    # Public, as the spec expects: it names no patient data.
    if request.method != "GET":
        return respond(
            405, outcome([{"severity": "error", "code": "not-supported", "diagnostics": "Use GET."}])
        )
    try:
        _negotiate(request)
    except FhirError as exc:
        return respond(exc.status, outcome(exc.issues))
    return respond(200, capability_statement(base_url(request)))


metadata.access_policy = "public"  # type: ignore[attr-defined]


@fhir_view
def root(request: HttpRequest, caller: Caller) -> service.Answer:
    if request.method != "POST":
        return _method_not_allowed(request, "POST of a transaction or batch Bundle")
    return bundles.process(caller, body_of(request), base_url(request))


@fhir_view
def no_such_interaction(request: HttpRequest, caller: Caller) -> service.Answer:
    """A path under the base that names no interaction (an unknown type or operation, an id with characters FHIR
    ids do not have): 404 as an OperationOutcome, as every error under /fhir/ is."""
    raise FhirError(
        404,
        f"No FHIR interaction at {request.path[:200]!r}: see {base_url(request)}metadata for what this server does "
        "(ids are 1-64 letters, digits, '-' and '.').",
        code="not-found",
    )


@fhir_view
def type_level(request: HttpRequest, caller: Caller, resource_type: str) -> service.Answer:
    if request.method == "GET":
        return service.search(
            caller, resource_type, _pairs(request), base_url(request), lenient=_lenient(request)
        )
    if request.method == "POST":
        return service.create(
            caller,
            resource_type,
            body_of(request),
            if_none_exist=request.headers.get("If-None-Exist", ""),
            not_duplicate_of=request.headers.get("X-Not-Duplicate-Of", ""),
        )
    return _method_not_allowed(request, "GET (search) or POST (create)")


@fhir_view
def type_search(request: HttpRequest, caller: Caller, resource_type: str) -> service.Answer:
    if request.method != "POST":
        return _method_not_allowed(request, "POST with form parameters")
    if request.content_type != "application/x-www-form-urlencoded":
        raise FhirError(
            415, "POST _search takes application/x-www-form-urlencoded parameters.", code="not-supported"
        )
    pairs = _pairs(request) + [(k, v) for k, values in request.POST.lists() for v in values]
    return service.search(caller, resource_type, pairs, base_url(request), lenient=_lenient(request))


@fhir_view
def instance(request: HttpRequest, caller: Caller, resource_type: str, resource_id: str) -> service.Answer:
    if request.method == "GET":
        return service.read(caller, resource_type, resource_id)
    if request.method == "PUT":
        return service.update(
            caller, resource_type, resource_id, body_of(request), if_match=request.headers.get("If-Match", "")
        )
    if request.method == "DELETE":
        found = mapper_for(resource_type)
        if found is not None and DELETE in found.interactions:
            return service.delete(caller, resource_type, resource_id)
        raise FhirError(
            405,
            f"{resource_type} cannot be deleted: records are kept; change the status instead (e.g. inactive, entered-in-error).",
            code="not-supported",
        )
    return _method_not_allowed(request, "GET, PUT")


@fhir_view
def instance_history(
    request: HttpRequest, caller: Caller, resource_type: str, resource_id: str
) -> service.Answer:
    if request.method != "GET":
        return _method_not_allowed(request, "GET")
    return service.history(caller, resource_type, resource_id, base_url(request))


@fhir_view
def instance_version(
    request: HttpRequest, caller: Caller, resource_type: str, resource_id: str, version_id: str
) -> service.Answer:
    if request.method != "GET":
        return _method_not_allowed(request, "GET")
    return service.vread(caller, resource_type, resource_id, version_id)


@fhir_view
def patient_everything(request: HttpRequest, caller: Caller, resource_id: str) -> service.Answer:
    if request.method != "GET":
        return _method_not_allowed(request, "GET")
    return service.everything(caller, resource_id, base_url(request))


@fhir_view
def claim_submit(request: HttpRequest, caller: Caller) -> service.Answer:
    """Claim/$submit (Da Vinci PAS): a prior-authorisation request in, the PAS response Bundle out."""
    if request.method != "POST":
        return _method_not_allowed(request, "POST of a PAS request Bundle")
    return pas.submit(caller, body_of(request), base_url(request))


@fhir_view
def claim_inquire(request: HttpRequest, caller: Caller) -> service.Answer:
    """Claim/$inquire (Da Vinci PAS): the current state of a request, by its Claim identifier."""
    if request.method != "POST":
        return _method_not_allowed(request, "POST of a PAS inquiry Bundle")
    return pas.inquire(caller, body_of(request), base_url(request))


@fhir_view
def subscription_status(request: HttpRequest, caller: Caller, resource_id: str) -> service.Answer:
    """Subscription/<id>/$status (R4 Subscriptions backport)."""
    if request.method != "GET":
        return _method_not_allowed(request, "GET")
    return service.subscription_operation(caller, resource_id, "status", {})


@fhir_view
def subscription_events(request: HttpRequest, caller: Caller, resource_id: str) -> service.Answer:
    """Subscription/<id>/$events?eventsSinceNumber=&eventsUntilNumber= (R4 Subscriptions backport)."""
    if request.method != "GET":
        return _method_not_allowed(request, "GET")
    query = {key: request.GET.get(key, "") for key in ("eventsSinceNumber", "eventsUntilNumber")}
    return service.subscription_operation(caller, resource_id, "events", query)


def _lenient(request: HttpRequest) -> bool:
    return "handling=lenient" in request.headers.get("Prefer", "").replace(" ", "")
