"""Importing a claims CSV (population/claims.py) as the other readers import (importing.py): all or nothing, twice is
once (a claim by its claim_id, a diagnosis by member and code, each under the source), one audit event a file. A
claim of a member this source never sent rejects its line: import the eligibility file first. And the choice, for
a CSV file, between the eligibility and the claims reader, by its header."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Iterable

from django.db import transaction

from careconductor.accounts.models import User

from . import claims
from .fhir_rows import ConditionRow, EncounterRow
from .importing import (
    FileReport,
    Progress,
    import_eligibility,
    kept_keys,
    members_from,
    read_csv,
    record_file,
    write_rows,
)


def import_csv(
    user: User, organization_id: int, name: str, lines: Iterable[str], source: str, *,
    dry_run: bool = False, progress: Progress | None = None,
) -> FileReport:  # fmt: skip
    """An eligibility or a claims file, by what its header names."""
    lines = iter(lines)
    first = next(lines, "")
    header = next(csv.reader([first]), [])
    read = import_claims if claims.is_claims(header) else import_eligibility
    return read(
        user,
        organization_id,
        name,
        itertools.chain([first], lines),
        source,
        dry_run=dry_run,
        progress=progress,
    )


def _onset(condition: ConditionRow) -> dt.date:
    return condition.onset_date or dt.date.max


def import_claims(
    user: User, organization_id: int, name: str, lines: Iterable[str], source: str, *,
    dry_run: bool = False, progress: Progress | None = None,
) -> FileReport:  # fmt: skip
    report = FileReport(name, resource_type="Claims")
    members = members_from(organization_id, source)
    kept_encounters = kept_keys("Encounter", organization_id, source)
    kept_conditions = kept_keys("Condition", organization_id, source)
    encounters: dict[str, EncounterRow] = {}
    conditions: dict[str, ConditionRow] = {}
    seen: dict[str, int] = {}
    for number, claim in read_csv(lines, report, claims.missing_columns, claims.read_line, progress):
        visit = claim.encounter
        if visit.member not in members:
            report.reject(
                number,
                f"member {visit.member} is not a member from {source}: import its eligibility first.",
            )
            continue
        if visit.key in seen:
            report.reject(number, f"claim {visit.key} is also on line {seen[visit.key]}.")
            continue
        seen[visit.key] = number
        new = f"{source}|{visit.key}" not in kept_encounters
        if new:
            encounters[visit.key] = visit
        for condition in claim.conditions:  # the earliest claim's onset
            if f"{source}|{condition.key}" in kept_conditions:
                continue
            known = conditions.get(condition.key)
            if known is None or _onset(condition) < _onset(known):
                conditions[condition.key] = condition
        if not new:
            report.unchanged += 1
    if report.left_out:
        return report
    if report.rejected_count:
        report.rejected.sort()
        return report
    report.new = len(encounters) + len(conditions)
    if dry_run or not report.new:
        return report
    with transaction.atomic():
        write_rows("Encounter", organization_id, source, list(encounters.values()), members)
        write_rows("Condition", organization_id, source, list(conditions.values()), members)
        record_file(user, name, f"{len(encounters)} claims and {len(conditions)} diagnoses from {source}")
    return report
