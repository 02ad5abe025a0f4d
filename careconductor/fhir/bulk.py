"""FHIR Bulk Data `$export` (issue 22; interop.md §2, Bulk Data 2.0): the asynchronous kick-off pattern at the
system level (`[base]/$export`), for all patients (`[base]/Patient/$export`) and for a registry's members
(`[base]/Group/<id>/$export`).

- Kick-off (GET, or POST without a body): `_type` (the types asked for; each must be one this server exports and
  the token may read), `_since` (an instant: resources changed after it), `_outputFormat` (NDJSON only). The answer
  is 202 with `Content-Location`, the job's status URL. A second job of the same token while one runs: 429.
- The worker (tasks.run_export) writes one NDJSON file a type, reading every resource through the same mappers as a
  search: `Mapper.visible(caller)`, so the relationship and sensitivity rules hold as they do for a search, and
  records one read event per resource served (in batches).
- Status: 202 with `X-Progress` and `Retry-After` while it runs; 200 with the manifest when done (transactionTime
  is when the job began reading); 500 with an OperationOutcome if it failed. DELETE cancels it and removes the
  files. Files are served only to the token that asked (`requiresAccessToken: true`)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.dateparse import parse_datetime

from careconductor.core import clock
from careconductor.privacy import audit

from .auth import Caller
from .errors import FhirError, bad_request, not_found
from .models import ExportJob
from .registry import Mapper, all_mappers, mapper_for
from .service import Answer

NDJSON_FORMATS = ("application/fhir+ndjson", "application/ndjson", "ndjson")
RETRY_SECONDS = 2
CHUNK = 2_000
EXPIRES = dt.timedelta(days=7)


def export_folder(job: ExportJob) -> Path:
    return Path(settings.DATA_HOME) / "exports" / str(job.id)


def exportable(caller: Caller, level: str) -> list[Mapper]:
    """The types an export of this level may hold: patient data for the patient and group levels, every type the
    token may read for the system level; never the audit trail (not part of a record: the privacy officer searches
    it, or exports it from the audit search page)."""
    return sorted(
        (
            m
            for m in all_mappers()
            if caller.allows(m.resource_type, "r")
            and m.in_record
            and (level == "system" or m.patient_field is not None)
        ),
        key=lambda m: m.resource_type,
    )


def _since(text: str) -> dt.datetime | None:
    if not text:
        return None
    moment = parse_datetime(text) if "T" in text else None
    if moment is None or moment.tzinfo is None:
        raise bad_request(
            f"_since must be a FHIR instant with a time zone (2026-01-31T08:00:00Z), not {text!r}."
        )
    if moment > clock.now():
        raise bad_request("_since is in the future.")
    return moment


def kick_off(
    caller: Caller, owner: dict[str, object], level: str, query: dict[str, str], request_url: str, status_base: str, *,
    group_id: str = "",
) -> Answer:  # fmt: skip
    """Accept an export: 202 with the status URL, or a 4xx OperationOutcome saying why not. Every export is
    asynchronous, so `Prefer: respond-async` is assumed when a client leaves it out."""
    output_format = query.get("_outputFormat", "")
    if output_format and output_format not in NDJSON_FORMATS:
        raise FhirError(400, f"_outputFormat {output_format} is not served: ask for application/fhir+ndjson.",
                        code="not-supported")  # fmt: skip
    allowed = {m.resource_type: m for m in exportable(caller, level)}
    asked = [t.strip() for t in query.get("_type", "").split(",") if t.strip()]
    unknown = [t for t in asked if t not in allowed]
    if unknown:
        raise FhirError(400, f"These types cannot be exported here (or the token may not read them): "
                             f"{', '.join(unknown)}.", code="not-supported")  # fmt: skip
    since = _since(query.get("_since", ""))
    if caller.patient_id is not None:
        raise FhirError(403, "An app launched for one patient cannot export in bulk: read the patient's "
                             "Patient/[id]/$everything instead.", code="forbidden")  # fmt: skip
    if level == "group":
        _group(caller, group_id)  # 404 when the caller may not read the Group
    if ExportJob.objects.filter(
        **owner, status__in=[ExportJob.Status.ACCEPTED, ExportJob.Status.RUNNING]
    ).exists():
        raise FhirError(429, "An export of this token is still running: wait for it, or DELETE it first.",
                        code="throttled")  # fmt: skip
    job = ExportJob.objects.create(
        id=uuid.uuid4(), **owner, scopes=list(caller.scopes), user=caller.user, level=level, group_id=group_id,
        types=asked or sorted(allowed), since=since, request_url=request_url, created_at=clock.now(),
    )  # fmt: skip
    from .tasks import run_export  # the task module imports this one

    transaction.on_commit(lambda: run_export(str(job.id)))
    return Answer(202, None, {"Content-Location": f"{status_base}{job.id}"})


def _group(caller: Caller, group_id: str) -> Any:
    mapper = mapper_for("Group")
    if mapper is None or not caller.allows("Group", "r"):
        raise FhirError(
            403, "The access token's scopes do not allow you to read Group resources.", code="forbidden"
        )
    return mapper.get(caller, group_id)


def job_of(owner: dict[str, object], job_id: str) -> ExportJob:
    """The job this token (or SMART client) asked for; 404 for any other (the same answer as for no such job)."""
    try:
        key = uuid.UUID(job_id)
    except ValueError:
        raise not_found("export", job_id) from None
    job = ExportJob.objects.filter(pk=key, **owner).first()
    if job is None:
        raise not_found("export", job_id)
    return job


def status(job: ExportJob, file_base: str) -> Answer:
    if job.status in (ExportJob.Status.ACCEPTED, ExportJob.Status.RUNNING):
        return Answer(
            202,
            None,
            {"X-Progress": job.progress or "waiting for the worker", "Retry-After": str(RETRY_SECONDS)},
        )
    if job.status == ExportJob.Status.FAILED:
        raise FhirError(500, f"The export failed: {job.error}", code="exception")
    assert job.transaction_time is not None and job.finished_at is not None
    manifest = {
        "transactionTime": job.transaction_time.isoformat().replace("+00:00", "Z"),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": o["type"], "url": f"{file_base}{job.id}/{o['file']}", "count": o["count"]}
            for o in job.output
        ],
        "error": [],
    }
    expires = job.finished_at + EXPIRES
    headers = {"Content-Type": "application/json", "Expires": expires.strftime("%a, %d %b %Y %H:%M:%S GMT")}
    return Answer(200, manifest, headers)  # the manifest is plain JSON, not a FHIR resource


def do_delete(job: ExportJob) -> Answer:
    shutil.rmtree(export_folder(job), ignore_errors=True)
    job.delete()
    return Answer(202, None)


def file_path(job: ExportJob, name: str) -> Path:
    """An output file of a completed job, by the name its manifest gives; 404 for anything else."""
    names = {o["file"] for o in job.output}
    if job.status != ExportJob.Status.COMPLETED or name not in names:
        raise not_found("export file", name)
    return export_folder(job) / name


# --- the worker's part -----------------------------------------------------------------------------------------


def _rows(mapper: Mapper, caller: Caller, members: list[int] | None) -> Iterator[tuple[Mapper, Any]]:
    for part in mapper.parts():
        rows = part.visible(caller)
        if members is not None:
            assert part.patient_field is not None
            rows = rows.filter(**{f"{part.patient_field}__in": members})
        for row in rows.order_by("pk").iterator(chunk_size=CHUNK):
            yield part, row


def run(job_id: str) -> ExportJob | None:
    """Write the job's files; the job says where it got to as it goes."""
    job = ExportJob.objects.select_related("token", "app", "user").filter(pk=job_id).first()
    if job is None or job.status != ExportJob.Status.ACCEPTED:
        return job
    revoked = job.token.revoked_at if job.token else (job.app.revoked_at if job.app else None)
    if revoked is not None:
        job.status, job.error, job.finished_at = (
            ExportJob.Status.FAILED,
            "The token was revoked." if job.token else "The app was revoked.",
            clock.now(),
        )
        job.save(update_fields=["status", "error", "finished_at"])
        return job
    granted = job.scopes or (job.token.scopes if job.token else [])
    caller = Caller(user=job.user, scopes=tuple(str(s) for s in granted or ()), app_id=job.app_id)
    job.status, job.transaction_time = ExportJob.Status.RUNNING, clock.now()
    job.save(update_fields=["status", "transaction_time"])
    folder = export_folder(job)
    try:
        members: list[int] | None = None
        if job.level == "group":  # the registry's members now (it may be gone: the job fails, saying so)
            members = [m.patient_id for m in _group(caller, job.group_id).stays.filter(left_on=None)]
        folder.mkdir(parents=True, exist_ok=True)
        job.output = _write(job, caller, members, folder)
    except Exception as exc:  # the status URL says it failed; the worker logs the trace
        said = "; ".join(i.get("diagnostics", "") for i in exc.issues) if isinstance(exc, FhirError) else ""
        job.status, job.error, job.finished_at = (
            ExportJob.Status.FAILED,
            said or type(exc).__name__,
            clock.now(),
        )
        job.save(update_fields=["status", "error", "finished_at"])
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(exc, FhirError):
            return job
        raise
    job.status, job.finished_at, job.progress = ExportJob.Status.COMPLETED, clock.now(), ""
    job.save(update_fields=["output", "status", "finished_at", "progress"])
    return job


def _write(job: ExportJob, caller: Caller, members: list[int] | None, folder: Path) -> list[dict[str, Any]]:
    output = []
    with audit.audit_context(
        audit.AuditContext(user_agent="careconductor worker ($export)", purpose="TREAT")
    ):
        for n, kind in enumerate(job.types, start=1):
            mapper = mapper_for(kind)
            if mapper is None:
                continue
            ExportJob.objects.filter(pk=job.pk).update(progress=f"{kind}: type {n} of {len(job.types)}")
            count, served = 0, []
            with (folder / f"{kind}.ndjson").open("w", encoding="utf-8") as out:
                for part, row in _rows(mapper, caller, members):
                    if job.since is not None and part.last_updated(row) <= job.since:
                        continue
                    out.write(
                        json.dumps(mapper.render(row), separators=(",", ":"), ensure_ascii=False) + "\n"
                    )
                    count += 1
                    served += mapper.read_entries(row)
                    if len(served) >= CHUNK:
                        audit.record_resource_reads(job.user, served, detail=f"FHIR $export {job.id}")
                        served = []
            if served:
                audit.record_resource_reads(job.user, served, detail=f"FHIR $export {job.id}")
            if count:
                output.append({"type": kind, "file": f"{kind}.ndjson", "count": count})
            else:
                (folder / f"{kind}.ndjson").unlink()
    return output
