"""HTTP for FHIR Bulk Data `$export` (bulk.py): the kick-offs, the status URL and the files."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from . import bulk, service
from .auth import Caller, authenticate, owner_of
from .errors import FhirError, outcome
from .views import _method_not_allowed, base_url, fhir_view, respond


def _kick_off(request: HttpRequest, caller: Caller, level: str, group_id: str = "") -> service.Answer:
    if request.method not in ("GET", "POST"):
        return _method_not_allowed(request, "GET or POST")
    if request.method == "POST" and request.body:
        raise FhirError(400, "Send the kick-off's parameters in the URL; a Parameters body is not read.",
                        code="not-supported")  # fmt: skip
    query = {k: str(request.GET.get(k, "")) for k in request.GET}
    return bulk.kick_off(
        caller, owner_of(request), level, query, request.build_absolute_uri(), f"{base_url(request)}$export-status/",
        group_id=group_id,
    )  # fmt: skip


@fhir_view
def export_system(request: HttpRequest, caller: Caller) -> service.Answer:
    return _kick_off(request, caller, "system")


@fhir_view
def export_patients(request: HttpRequest, caller: Caller) -> service.Answer:
    return _kick_off(request, caller, "patient")


@fhir_view
def export_group(request: HttpRequest, caller: Caller, resource_id: str) -> service.Answer:
    return _kick_off(request, caller, "group", resource_id)


@fhir_view
def export_status(request: HttpRequest, caller: Caller, job_id: str) -> service.Answer:
    job = bulk.job_of(owner_of(request), job_id)
    if request.method == "DELETE":
        return bulk.do_delete(job)
    if request.method != "GET":
        return _method_not_allowed(request, "GET or DELETE")
    return bulk.status(job, f"{base_url(request)}$export-file/")


@csrf_exempt
def export_file(request: HttpRequest, job_id: str, name: str) -> HttpResponse | FileResponse:
    """One NDJSON file of a completed export, to the token that asked for it (requiresAccessToken)."""
    try:
        if request.method != "GET":
            raise FhirError(405, "Only GET reads an export file.", code="not-supported")
        caller = authenticate(request)
        path = bulk.file_path(bulk.job_of(owner_of(request), job_id), name)
    except FhirError as exc:
        headers = {"WWW-Authenticate": 'Bearer realm="careconductor"'} if exc.status == 401 else {}
        return respond(exc.status, outcome(exc.issues), headers)
    audit.record(caller.user, AuditAction.EXPORT, object_type="BulkExportFile", object_id=job_id, detail=name)
    response = FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
    response["Cache-Control"] = "no-store"
    return response


export_file.access_policy = "api-token"  # type: ignore[attr-defined]
