"""Bringing a population in (issue 22): FHIR Bulk Data NDJSON files (one resource type a file, as `$export` writes
them) read by fhir_rows and written as members, coverage, conditions and encounters, fast (bulk_rows: executemany
on SQLite, COPY on PostgreSQL).

- Who: an administrator, into their organisation. Imported patients are *members*, not cases: no case, no care
  team, so no one's caseload; the access policy shows them to staff only through a relationship.
- Each file is all-or-nothing: a line that cannot be read, a member it names that this source never sent, or an
  id repeated within the file rejects the file, and the report names every such line; nothing of it is written.
- The same file twice changes nothing: every row keeps its source's id (`<source>|<id>`; a member's as a
  PatientIdentifier of the system `urn:careconductor:import:<source>`), and rows already kept are counted as
  unchanged, not written again.
- A dry run reads and checks everything and says what would be written.
- The audit trail records each file's import as one event (who, which file, how many), not one per row.
- A folder is imported Patient files first, then Coverage, Condition, Encounter, Observation (measured values such
  as HbA1c, kept as readings recorded by the importing administrator); other types are reported and left out."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.db import connection, transaction

from careconductor.accounts.models import User
from careconductor.careplans.models import Reading
from careconductor.core import clock
from careconductor.core.bulk_rows import Table, reserve_ids
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import (
    MRN_SYSTEM,
    Condition,
    Coverage,
    Encounter,
    Patient,
    PatientIdentifier,
)
from careconductor.patients.rules import digits, search_key
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import eligibility, fhir_rows
from .fhir_rows import (
    ConditionRow,
    CoverageRow,
    EncounterRow,
    MemberRow,
    NotCoded,
    ObservationRow,
    Row,
    RowProblem,
)
from .member_updates import apply_changes, member_changes

SOURCE_SYSTEM = "urn:careconductor:import:"
SUFFIXES = (".ndjson", ".csv", ".json")
SOURCE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_REJECTED_SHOWN = 200
T = TypeVar("T")
CHUNK = 5_000  # rows a statement

Progress = Callable[[str, int], None]  # (file name, lines read so far)


@dataclass
class FileReport:
    name: str
    resource_type: str = ""
    read: int = 0
    new: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, why); the first MAX_REJECTED_SHOWN
    rejected_count: int = 0
    left_out: str = ""  # why the whole file was not imported
    not_coded: int = 0  # resources kept nothing of (fhir_rows.NotCoded): left out, counted, the file imported
    changed: int = 0  # members sent before whose details the file changes (member_updates)
    left_out_types: dict[str, int] = field(default_factory=dict)  # a bundle's resources of types not imported

    @property
    def imported(self) -> bool:
        return not self.rejected_count and not self.left_out

    def reject(self, line: int, why: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED_SHOWN:
            self.rejected.append((line, why))


def import_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, or the NDJSON, CSV and bundle (.json) files in the folders named, in the order they are
    imported: eligibility CSV and patient bundles first, then Patient NDJSON, Coverage, Condition, Encounter."""
    found: list[Path] = []
    for path in paths:
        found += sorted(p for p in path.iterdir() if p.suffix in SUFFIXES) if path.is_dir() else [path]
    return sorted(found, key=lambda p: (_type_rank(_first_type(p)) if p.suffix == ".ndjson" else -1, p.name))


def _first_type(path: Path) -> str:
    try:
        with path.open(encoding="utf-8") as lines:
            for text in lines:
                if text.strip():
                    kind = json.loads(text).get("resourceType", "")
                    return kind if isinstance(kind, str) else ""
    except (OSError, ValueError, AttributeError):
        return ""
    return ""


def _type_rank(kind: str) -> int:
    return fhir_rows.TYPES.index(kind) if kind in fhir_rows.TYPES else len(fhir_rows.TYPES)


def do_import_files(
    user: User, paths: Sequence[Path], *, source: str, dry_run: bool = False, progress: Progress | None = None
) -> list[FileReport]:
    """Import each NDJSON file (or the files of each folder); one report a file."""
    organization_id = policy.require_admin(user, "Only an administrator imports a population.")
    if not SOURCE_NAME.match(source):
        raise ActionRefused(
            {"source": "Name the source in lower case letters, digits and dashes (e.g. plan-2026)."}
        )
    from .bundle_import import import_bundle  # they build on this module's rows and writing
    from .claims_import import import_csv

    readers = {".csv": import_csv, ".json": import_bundle}
    reports = []
    for path in import_files(paths):
        read = readers.get(path.suffix, import_lines)
        try:
            with path.open(encoding="utf-8-sig", errors="strict", newline="") as lines:
                reports.append(
                    read(user, organization_id, path.name, lines, source, dry_run=dry_run, progress=progress)
                )
        except (OSError, UnicodeDecodeError) as exc:
            reports.append(FileReport(path.name, left_out=f"The file cannot be read as UTF-8 text: {exc}"))
    return reports


def import_lines(
    user: User,
    organization_id: int,
    name: str,
    lines: Iterable[str],
    source: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FileReport:
    """One file's lines: read and checked whole, then written in one transaction, or not at all."""
    report = FileReport(name)
    rows = _read(lines, report, progress)
    if report.left_out or not rows:
        report.left_out = report.left_out or (
            "The file has no resources." if not report.rejected_count else ""
        )
        return report
    kind = report.resource_type
    members = members_from(organization_id, source)
    kept = members.keys() if kind == "Patient" else kept_keys(kind, organization_id, source)
    new: list[tuple[int, Row]] = []
    for line, row in rows:
        member = "" if isinstance(row, MemberRow) else row.member
        if kind != "Patient" and member not in members:
            report.reject(line, f"Patient/{member} is not a member from {source}: import its Patient first.")
        elif row_key(kind, source, row) in kept:
            report.unchanged += 1
        else:
            new.append((line, row))
    if report.rejected_count:
        report.rejected.sort()
        return report
    report.new = len(new)
    changes = (
        member_changes(members, (r for _, r in rows if isinstance(r, MemberRow))) if kind == "Patient" else {}
    )
    report.changed, report.unchanged = len(changes), report.unchanged - len(changes)
    if dry_run or not (new or changes):
        return report
    with transaction.atomic():
        write_rows(kind, organization_id, source, [row for _, row in new], members, by=user.pk)
        apply_changes(changes)
        record_file(
            user,
            name,
            f"{report.new} {kind} from {source} ({report.changed} changed, {report.unchanged} unchanged)",
        )
    return report


def _read(lines: Iterable[str], report: FileReport, progress: Progress | None) -> list[tuple[int, Row]]:
    rows: list[tuple[int, Row]] = []
    seen: dict[str, int] = {}
    for number, text in enumerate(lines, start=1):
        if progress is not None and number % 10_000 == 0:
            progress(report.name, number)
        if not text.strip():
            continue
        report.read += 1
        try:
            resource = json.loads(text)
        except ValueError:
            report.reject(number, "The line is not JSON.")
            continue
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not report.resource_type and kind in fhir_rows.TYPES:
            report.resource_type = kind
        elif not report.resource_type:
            report.left_out = f"resourceType {kind!r} is not imported (only {', '.join(fhir_rows.TYPES)})."
            return []
        if kind != report.resource_type:
            report.reject(number, f"A file holds one resource type ({report.resource_type}), not {kind!r}.")
            continue
        try:
            row = fhir_rows.read(resource)
        except NotCoded:
            report.not_coded += 1
            continue
        except RowProblem as problem:
            report.reject(number, str(problem))
            continue
        if row.key in seen:
            report.reject(number, f"id {row.key!r} is also on line {seen[row.key]}.")
            continue
        seen[row.key] = number
        rows.append((number, row))
    return rows


MODELS: dict[str, Any] = {
    "Coverage": Coverage,
    "Condition": Condition,
    "Encounter": Encounter,
    "Observation": Reading,
}


def record_file(user: User, name: str, detail: str) -> None:
    """The audit trail's one event for a file's import (not one per row)."""
    audit.record(user, AuditAction.CREATE, object_type="PopulationImport", object_id=name[:64], detail=detail)


def members_from(organization_id: int, source: str) -> dict[str, int]:
    """The members this source sent before: their patient ids by their ids in the source."""
    return dict(
        PatientIdentifier.objects.filter(
            organization_id=organization_id, system=SOURCE_SYSTEM + source
        ).values_list("value", "patient_id")
    )


def row_key(kind: str, source: str, row: Row) -> str:
    return row.key if kind == "Patient" else f"{source}|{row.key}"


def kept_keys(kind: str, organization_id: int, source: str) -> set[str]:
    return set(
        MODELS[kind]
        .objects.filter(patient__organization_id=organization_id, source_key__startswith=f"{source}|")
        .values_list("source_key", flat=True)
    )


def _chunks(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def write_rows(
    kind: str,
    organization_id: int,
    source: str,
    rows: Sequence[Row],
    members: dict[str, int],
    *,
    by: int | None = None,
) -> None:
    """Write the new rows of one type; `by` is the importing user, who records the readings."""
    now = clock.now()
    with connection.cursor() as cursor:
        for chunk in _chunks(rows):
            if kind == "Patient":  # their ids join `members`, for the rows that follow
                members.update(_members(cursor, organization_id, source, chunk, now))
            else:
                table = _TABLES[kind](now)
                for row in chunk:
                    extra = {"recorded_by_id": by} if kind == "Observation" else {}
                    table.add(**_values(kind, source, row, members), **extra)
                table.flush(cursor)


def _members(
    cursor: Any, organization_id: int, source: str, rows: Sequence[MemberRow], now: Any
) -> dict[str, int]:
    """Insert the members with their MRN and their key in the source; their ids by key."""
    patients = Table(
        Patient,
        "id organization_id given_name family_name birth_date sex preferred_language phone email address_line "
        "city state postal_code deceased_date search_names phone_digits",
        now,
    )
    identifiers = Table(PatientIdentifier, "patient_id organization_id system value label", now)
    made: dict[str, int] = {}
    for pk, row in zip(reserve_ids(Patient, len(rows)), rows, strict=True):
        made[row.key] = pk
        patients.add(
            id=pk, organization_id=organization_id, given_name=row.given_name, family_name=row.family_name,
            birth_date=row.birth_date, sex=row.sex, preferred_language=row.preferred_language, phone=row.phone,
            email=row.email, address_line=row.address_line, city=row.city, state=row.state,
            postal_code=row.postal_code, deceased_date=row.deceased_date,
            search_names=search_key(row.given_name, row.family_name), phone_digits=digits(row.phone),
        )  # fmt: skip
        identifiers.add(
            patient_id=pk, organization_id=organization_id, system=MRN_SYSTEM, value=f"{pk:08d}", label="MRN"
        )
        identifiers.add(
            patient_id=pk,
            organization_id=organization_id,
            system=SOURCE_SYSTEM + source,
            value=row.key,
            label=source,
        )
    patients.flush(cursor)
    identifiers.flush(cursor)
    return made


_TABLES: dict[str, Callable[[Any], Table]] = {
    "Coverage": lambda now: Table(
        Coverage, "patient_id kind payer plan_name member_id start_date end_date source_key", now
    ),
    "Condition": lambda now: Table(
        Condition,
        "patient_id icd10_code display clinical_status onset_date sensitivity chronic source_key",
        now,
    ),
    "Encounter": lambda now: Table(
        Encounter,
        "patient_id encounter_class facility start end reason discharge_disposition source source_key",
        now,
    ),
    "Observation": lambda now: Table(
        Reading, "patient_id measure value taken_at source recorded_by_id note source_key", now
    ),
}


def _values(kind: str, source: str, row: Row, members: dict[str, int]) -> dict[str, Any]:
    if isinstance(row, MemberRow):
        raise TypeError(kind)
    base = {"patient_id": members[row.member], "source_key": f"{source}|{row.key}"}
    if isinstance(row, CoverageRow):
        return {**base, "kind": row.kind, "payer": row.payer, "plan_name": row.plan_name, "member_id": row.member_id,
                "start_date": row.start_date, "end_date": row.end_date}  # fmt: skip
    if isinstance(row, ConditionRow):
        return {**base, "icd10_code": row.icd10_code, "display": row.display, "clinical_status": row.clinical_status,
                "onset_date": row.onset_date, "sensitivity": row.sensitivity, "chronic": True}  # fmt: skip
    if isinstance(row, EncounterRow):
        return {**base, "encounter_class": row.encounter_class, "facility": row.facility, "start": row.start,
                "end": row.end, "reason": row.reason, "discharge_disposition": row.discharge_disposition,
                "source": "import"}  # fmt: skip
    if isinstance(row, ObservationRow):
        return {**base, "measure": row.measure, "value": row.value, "taken_at": row.taken_at, "source": row.source,
                "note": ""}  # fmt: skip
    raise TypeError(kind)


def read_csv(
    lines: Iterable[str],
    report: FileReport,
    missing_columns: Callable[[list[str]], list[str]],
    read_line: Callable[[dict[str, str | None]], T],
    progress: Progress | None,
) -> Iterator[tuple[int, T]]:
    """Each line of a CSV file as `read_line` reads it, with its line number. The header is checked first (when it
    cannot be read or lacks a column, `report.left_out` says so and nothing is read); a line that cannot be read is
    rejected in the report and passed over."""
    reader = csv.DictReader(lines)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        report.left_out = f"The file is not CSV: {exc}"
        return
    if missing := missing_columns(list(header)):
        report.left_out = f"The header lacks the column(s) {', '.join(missing)}."
        return
    try:
        for line in reader:
            number = reader.line_num
            report.read += 1
            if progress is not None and report.read % 10_000 == 0:
                progress(report.name, report.read)
            try:
                read = read_line(line)
            except RowProblem as problem:
                report.reject(number, str(problem))
                continue
            yield number, read
    except csv.Error as exc:
        report.reject(reader.line_num, f"The line is not CSV: {exc}")


def import_eligibility(
    user: User,
    organization_id: int,
    name: str,
    lines: Iterable[str],
    source: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FileReport:
    """An eligibility CSV (population/eligibility.py): new members and new coverage periods, all or nothing. A
    member already kept from this source is unchanged; a coverage period of theirs not kept yet is added."""
    report = FileReport(name, resource_type="Eligibility")
    members = members_from(organization_id, source)
    kept = kept_keys("Coverage", organization_id, source)
    new_members: dict[str, MemberRow] = {}
    new_coverage: dict[str, CoverageRow] = {}
    sent_again: dict[str, MemberRow] = {}
    seen: dict[str, int] = {}
    for number, read in read_csv(lines, report, eligibility.missing_columns, eligibility.read_line, progress):
        coverage_key = read.coverage.key if read.coverage else f"{read.member.key}@"
        if coverage_key in seen:
            report.reject(
                number,
                f"member {read.member.key} and this coverage are also on line {seen[coverage_key]}.",
            )
            continue
        seen[coverage_key] = number
        new_member = read.member.key not in members and read.member.key not in new_members
        if new_member:
            new_members[read.member.key] = read.member
        elif read.member.key in members:
            sent_again[read.member.key] = read.member
        new_period = read.coverage is not None and f"{source}|{read.coverage.key}" not in kept
        if read.coverage is not None and new_period:
            new_coverage[read.coverage.key] = read.coverage
        if not new_member and not new_period:
            report.unchanged += 1
    if report.left_out:
        return report
    if report.rejected_count:
        report.rejected.sort()
        return report
    report.new = len(new_members) + len(new_coverage)
    changes = member_changes(members, sent_again.values())
    report.changed, report.unchanged = len(changes), max(0, report.unchanged - len(changes))
    if dry_run or not (report.new or changes):
        return report
    now = clock.now()
    with transaction.atomic(), connection.cursor() as cursor:
        for chunk in _chunks(list(new_members.values())):
            members.update(_members(cursor, organization_id, source, chunk, now))
        for chunk in _chunks(list(new_coverage.values())):
            table = _TABLES["Coverage"](now)
            for row in chunk:
                table.add(**_values("Coverage", source, row, members))
            table.flush(cursor)
        apply_changes(changes)
        record_file(
            user,
            name,
            f"{len(new_members)} members and {len(new_coverage)} coverage periods from {source} "
            f"({len(changes)} members changed)",
        )
    return report
