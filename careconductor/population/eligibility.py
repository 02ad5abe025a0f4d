"""A health plan's eligibility file as CSV (issue 22): one line a member and coverage period, read into the same
rows as a Bulk Data export's Patient and Coverage (fhir_rows). Pure.

Columns (a header line names them; their order is free, other columns are ignored):
- required: member_id (the plan's member ID: the member's key in this source), family_name, given_name,
  birth_date;
- optional: sex (F, M, female, male, other, U), phone, email, address, city, state, postal_code, language (en,
  es, …), plan_type (medicare, medicare advantage or MA, medicaid, dual, commercial, self-pay), payer, plan_name,
  coverage_start, coverage_end (a line without coverage_start gives the member alone).
Dates as YYYY-MM-DD or MM/DD/YYYY. A member may have several lines, one per coverage period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from careconductor.patients.choices import CoverageKind, Sex

from .fhir_rows import COVERAGE_KINDS, CoverageRow, MemberRow, RowProblem

REQUIRED = ("member_id", "family_name", "given_name", "birth_date")
SEXES = {"f": Sex.FEMALE, "female": Sex.FEMALE, "m": Sex.MALE, "male": Sex.MALE, "other": Sex.OTHER,
         "o": Sex.OTHER, "u": Sex.UNKNOWN, "unknown": Sex.UNKNOWN, "": Sex.UNKNOWN}  # fmt: skip
PLAN_TYPES = {**COVERAGE_KINDS, "ma": CoverageKind.MEDICARE_ADVANTAGE, "self-pay": CoverageKind.SELF_PAY}


@dataclass(frozen=True)
class EligibilityLine:
    member: MemberRow
    coverage: CoverageRow | None


def missing_columns(header: list[str]) -> list[str]:
    names = {h.strip().lower() for h in header}
    return [c for c in REQUIRED if c not in names]


def date_in(value: str, column: str) -> dt.date | None:
    text = value.strip()
    if not text:
        return None
    try:
        if "/" in text:
            month, day, year = (int(p) for p in text.split("/"))
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RowProblem(f"{column} is not a date (YYYY-MM-DD or MM/DD/YYYY): {text[:20]!r}.") from None


def text_in(row: dict[str, str], column: str, limit: int) -> str:
    value = row.get(column) or ""
    if "\x00" in value:
        raise RowProblem(f"{column} holds a NUL character.")
    return value.strip()[:limit]


def read_line(raw: dict[str, str | None]) -> EligibilityLine:
    row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if isinstance(v, str) or v is None}
    member_id = text_in(row, "member_id", 60)
    if not member_id:
        raise RowProblem("member_id is empty.")
    family, given = text_in(row, "family_name", 100), text_in(row, "given_name", 100)
    if not family or not given:
        raise RowProblem("A member needs a family_name and a given_name.")
    born = date_in(row.get("birth_date", ""), "birth_date")
    if born is None:
        raise RowProblem("A member needs a birth_date.")
    sex = SEXES.get(text_in(row, "sex", 10).lower())
    if sex is None:
        raise RowProblem(f"sex {row.get('sex', '')[:10]!r} is not one of F, M, other, U.")
    email = text_in(row, "email", 254)
    member = MemberRow(
        key=member_id,
        given_name=given,
        family_name=family,
        birth_date=born,
        sex=sex.value,
        phone=text_in(row, "phone", 40),
        email=email if "@" in email else "",
        address_line=text_in(row, "address", 200),
        city=text_in(row, "city", 100),
        state=text_in(row, "state", 40),
        postal_code=text_in(row, "postal_code", 20),
        preferred_language=(text_in(row, "language", 8).lower() or "en")[:2],
        deceased_date=None,
    )
    start = date_in(row.get("coverage_start", ""), "coverage_start")
    if start is None:
        return EligibilityLine(member, None)
    end = date_in(row.get("coverage_end", ""), "coverage_end")
    if end is not None and end < start:
        raise RowProblem("coverage_end is before coverage_start.")
    plan_type = text_in(row, "plan_type", 40).lower()
    kind = PLAN_TYPES.get(plan_type, CoverageKind.COMMERCIAL) if plan_type else CoverageKind.COMMERCIAL
    coverage = CoverageRow(
        key=f"{member_id}@{start.isoformat()}",
        member=member_id,
        kind=kind.value,
        payer=text_in(row, "payer", 200) or "Unknown payer",
        plan_name=text_in(row, "plan_name", 200),
        member_id=member_id,
        start_date=start,
        end_date=end,
    )
    return EligibilityLine(member, coverage)
