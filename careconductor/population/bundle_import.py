"""Patient bundles (issue 22): a FHIR Bundle file per patient or per batch of patients (transaction, batch or
collection, as Synthea writes them), each imported whole, or not at all, through the same rows and writing as the
NDJSON files (importing.py).

References inside a bundle name the member by the Patient entry's `fullUrl` (`urn:uuid:…`); they are read as the
Patient's id. Resources of other types are counted and left out, as are conditions without an ICD-10-CM code
(Synthea codes them in SNOMED CT only)."""

from __future__ import annotations

import collections
import json
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from careconductor.accounts.models import User

from . import fhir_rows
from .fhir_rows import MemberRow, NotCoded, Row, RowProblem
from .importing import FileReport, Progress, kept_keys, members_from, record_file, row_key, write_rows
from .member_updates import apply_changes, member_changes

BUNDLE_TYPES = ("transaction", "batch", "collection", "searchset")
REFERENCES = ("subject", "beneficiary", "patient")


def import_bundle(
    user: User,
    organization_id: int,
    name: str,
    lines: Iterable[str],
    source: str,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> FileReport:
    """One bundle file: every resource read and checked, then all written in one transaction, or nothing."""
    report = FileReport(name, resource_type="Bundle")
    try:
        bundle = json.loads("".join(lines))
    except ValueError:
        report.left_out = "The file is not JSON."
        return report
    if (
        not isinstance(bundle, dict)
        or bundle.get("resourceType") != "Bundle"
        or bundle.get("type") not in BUNDLE_TYPES
    ):
        report.left_out = f"The file is not a FHIR Bundle of type {', '.join(BUNDLE_TYPES)}."
        return report
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    patients = {
        str(e.get("fullUrl")): str(e["resource"].get("id"))
        for e in entries
        if isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") == "Patient"
        and e.get("fullUrl")
    }
    by_kind: dict[str, list[tuple[int, Row]]] = {kind: [] for kind in fhir_rows.TYPES}
    others: collections.Counter[str] = collections.Counter()
    seen: dict[tuple[str, str], int] = {}
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource")
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if not isinstance(resource, dict) or kind not in by_kind:
            others[str(kind)] += 1
            continue
        report.read += 1
        try:
            row = fhir_rows.read(_by_id(resource, patients))
        except NotCoded:
            report.not_coded += 1
            continue
        except RowProblem as problem:
            report.reject(number, f"entry {number} ({kind}): {problem}")
            continue
        if (kind, row.key) in seen:
            report.reject(number, f"entry {number}: {kind} {row.key!r} is also entry {seen[kind, row.key]}.")
            continue
        seen[kind, row.key] = number
        by_kind[kind].append((number, row))
    if others:
        report.left_out_types = dict(others)
    members = members_from(organization_id, source)
    known = set(members) | {row.key for _, row in by_kind["Patient"]}
    new: dict[str, list[Row]] = {}
    for kind, rows in by_kind.items():
        kept = set(members) if kind == "Patient" else kept_keys(kind, organization_id, source)
        for number, row in rows:
            member = row.key if isinstance(row, MemberRow) else row.member
            if member not in known:
                report.reject(
                    number,
                    f"entry {number} ({kind}): Patient/{member} is not in the bundle nor a member from {source}.",
                )
            elif row_key(kind, source, row) in kept:
                report.unchanged += 1
            else:
                new.setdefault(kind, []).append(row)
    if report.rejected_count:
        report.rejected.sort()
        return report
    report.new = sum(len(rows) for rows in new.values())
    # A member the source sent before, with changed details: updated, as an NDJSON file's (member_updates).
    changes = member_changes(members, (r for _, r in by_kind["Patient"] if isinstance(r, MemberRow)))
    report.changed, report.unchanged = len(changes), report.unchanged - len(changes)
    if dry_run or not (report.new or changes):
        return report
    with transaction.atomic():
        for kind in fhir_rows.TYPES:  # members first: their ids join `members` for the rest
            if new.get(kind):
                write_rows(kind, organization_id, source, new[kind], members, by=user.pk)
        apply_changes(changes)
        record_file(
            user,
            name,
            f"{report.new} resources from {source} in a bundle ({report.changed} members changed, "
            f"{report.unchanged} unchanged)",
        )
    return report


def _by_id(resource: dict[str, Any], patients: dict[str, str]) -> dict[str, Any]:
    """The resource with its member reference by `urn:uuid:` fullUrl read as Patient/<id>."""
    changed = dict(resource)
    for field in REFERENCES:
        reference = resource.get(field)
        target = reference.get("reference") if isinstance(reference, dict) else None
        if target in patients:
            changed[field] = {**reference, "reference": f"Patient/{patients[target]}"}  # type: ignore[dict-item]
        elif isinstance(target, str) and target.startswith("urn:"):
            raise RowProblem(f"{field} refers to {target[:80]}, which is not a Patient entry of the bundle.")
    return changed
