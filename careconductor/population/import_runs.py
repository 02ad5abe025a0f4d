"""Imports started on the administrator's import page (issue 22): the uploaded files are kept in the data folder,
the worker imports them through the same importer as `careconductor import` (importing.do_import_files: each file
all-or-nothing, twice is once, one audit event a file), the run records its progress as it reads (lines read of
lines in all) and the reports when it is done, and the files are removed."""

from __future__ import annotations

import dataclasses
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import policy

from .importing import SOURCE_NAME, SUFFIXES, FileReport, do_import_files, import_files
from .models import ImportRun

MAX_FILES = 50
PROGRESS_EVERY = 1.0  # seconds between progress writes


def import_folder(run: ImportRun) -> Path:
    return Path(settings.DATA_HOME) / "imports" / str(run.pk)


def do_start_import(user: User, uploads: Sequence[UploadedFile], *, source: str, dry_run: bool) -> ImportRun:
    """Keep the uploaded files and queue their import; the page follows the run."""
    organization_id = policy.require_admin(user, "Only an administrator imports a population.")
    errors: dict[str, str] = {}
    if not SOURCE_NAME.match(source):
        errors["source"] = "Name the source in lower case letters, digits and dashes (e.g. plan-2026)."
    if not uploads:
        errors["uploads"] = "Choose the files to import."
    elif len(uploads) > MAX_FILES:
        errors["uploads"] = f"Import at most {MAX_FILES} files at a time (you chose {len(uploads)})."
    else:
        wrong = [u.name for u in uploads if Path(u.name or "").suffix.lower() not in SUFFIXES]
        if wrong:
            errors["uploads"] = (
                f"{', '.join(str(w) for w in wrong[:3])}: import FHIR NDJSON (.ndjson), eligibility CSV (.csv) or "
                "patient bundles (.json)."
            )
    if errors:
        raise ActionRefused(errors)
    names = [get_valid_filename(Path(u.name or "file").name) for u in uploads]
    if len(set(names)) != len(names):
        raise ActionRefused({"uploads": "Two of the files have the same name: rename one."})
    with transaction.atomic():
        run = ImportRun.objects.create(
            organization_id=organization_id,
            started_by=user,
            started_at=clock.now(),
            source=source,
            dry_run=dry_run,
            files=names,
        )
        folder = import_folder(run)
        folder.mkdir(parents=True, exist_ok=True)
        for upload, name in zip(uploads, names, strict=True):
            with (folder / name).open("wb") as kept:
                for chunk in upload.chunks():
                    kept.write(chunk)
        from .tasks import import_uploaded  # the task module imports this one

        transaction.on_commit(lambda: import_uploaded(run.pk))
    return run


def _lines(path: Path) -> int:
    with path.open("rb") as raw:
        return sum(block.count(b"\n") for block in iter(lambda: raw.read(1 << 20), b"")) or 1


def run_import(run_id: int) -> ImportRun:
    """The worker's part: import the run's files as the administrator who started it, recording progress."""
    run = ImportRun.objects.select_related("started_by").get(pk=run_id)
    if run.status != ImportRun.Status.QUEUED:
        return run
    folder = import_folder(run)
    paths = import_files([folder / name for name in run.files])
    run.files = [p.name for p in paths]
    counts = [_lines(p) for p in paths]
    before = {p.name: sum(counts[:n]) for n, p in enumerate(paths)}  # lines of the files imported before each
    run.lines_total = sum(counts)
    run.status = ImportRun.Status.RUNNING
    run.save(update_fields=["files", "lines_total", "status"])
    last = [0.0]

    def progress(name: str, lines: int) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            ImportRun.objects.filter(pk=run.pk).update(
                current_file=name, lines_read=before.get(name, 0) + lines
            )

    try:
        reports = do_import_files(
            run.started_by, paths, source=run.source, dry_run=run.dry_run, progress=progress
        )
    except Exception as exc:  # the run says it stopped; the worker logs the trace
        run.status, run.error = ImportRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
        run.finished_at = clock.now()
        run.save(update_fields=["status", "error", "finished_at"])
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    run.reports = [_as_dict(r) for r in reports]
    run.status, run.finished_at, run.lines_read, run.current_file = (
        ImportRun.Status.DONE,
        clock.now(),
        run.lines_total,
        "",
    )
    run.save(update_fields=["reports", "status", "finished_at", "lines_read", "current_file"])
    return run


def _as_dict(report: FileReport) -> dict[str, object]:
    found = dataclasses.asdict(report)
    found["imported"] = report.imported
    return found
