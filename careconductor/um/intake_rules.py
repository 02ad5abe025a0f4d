"""Checks at intake of a prior-authorisation request (issue 21): is it complete enough to review, is the member
covered on the date of service, and is it a duplicate of one already here. Pure: the intake action (to come) runs
them on what the form, the upload or the FHIR Claim carried. An incomplete request is pended for the missing items
(um/rules.py, Move.PEND); a duplicate is answered with the one it repeats."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from careconductor.privacy.codes import label_of_diagnoses

from .rules import OPEN, Status, Urgency

_CPT = re.compile(r"[0-9]{4}[0-9A-Z]")  # CPT, including category II (…F) and III (…T) codes
_HCPCS = re.compile(r"[A-V][0-9]{4}")  # HCPCS level II
_ICD10_CM = re.compile(r"[A-TV-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")  # CMS place-of-service codes: two digits
MAX_UNITS = 9999


@dataclass(frozen=True)
class ServiceLine:
    code: str  # CPT or HCPCS
    units: int
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True)
class Intake:
    """What a request carried when it came in."""

    member_id: int | None
    urgency: Urgency | None
    expedited_asked_by: str  # "provider", "member", or "" for a standard request
    requesting_provider: str
    servicing_provider: str
    place_of_service: str
    lines: tuple[ServiceLine, ...]
    diagnoses: tuple[str, ...]  # ICD-10-CM
    clinical_notes: bool  # notes or attachments came with it


@dataclass(frozen=True)
class CoveragePeriod:
    start: dt.date
    end: dt.date | None  # None: open-ended
    active: bool = True


def completeness_problems(intake: Intake) -> dict[str, str]:
    """What is missing or wrong, by field ({} when it can be reviewed). Everything is checked, so one request to
    the provider names it all."""
    problems: dict[str, str] = {}
    if intake.member_id is None:
        problems["member"] = "Find the member the request is for."
    if intake.urgency is None:
        problems["urgency"] = "Say whether it is expedited or standard."
    elif intake.urgency == Urgency.EXPEDITED and intake.expedited_asked_by not in ("provider", "member"):
        problems["expedited_asked_by"] = "Say who asked for the expedited review: the provider or the member."
    if not intake.requesting_provider.strip():
        problems["requesting_provider"] = "Give the requesting provider."
    if not intake.servicing_provider.strip():
        problems["servicing_provider"] = "Give the provider or facility that would do it."
    if not _PLACE_OF_SERVICE.fullmatch(intake.place_of_service.strip()):
        problems["place_of_service"] = (
            "Give the place of service as its two-digit code (11 office, 21 inpatient …)."
        )
    if not intake.lines:
        problems["lines"] = "Give at least one service (CPT or HCPCS code) with its units."
    for n, line in enumerate(intake.lines, start=1):
        if line_problem := _line_problem(line):
            problems.setdefault(f"line_{n}", line_problem)
    if not intake.diagnoses:
        problems["diagnoses"] = "Give at least one diagnosis (ICD-10-CM)."
    bad = [d for d in intake.diagnoses if not _ICD10_CM.fullmatch(d.strip().upper())]
    if bad:
        problems["diagnoses"] = f"Not ICD-10-CM codes: {', '.join(bad)}."
    if not intake.clinical_notes:
        problems["clinical_notes"] = "Ask for the clinical notes that support the request."
    return problems


def _line_problem(line: ServiceLine) -> str:
    code = line.code.strip().upper()
    if not (_CPT.fullmatch(code) or _HCPCS.fullmatch(code)):
        return f"{line.code or '(blank)'} is not a CPT or HCPCS code."
    if not 1 <= line.units <= MAX_UNITS:
        return f"Give the units of {code} (1 to {MAX_UNITS})."
    if line.start is None:
        return f"Give the date of service of {code}."
    if line.end is not None and line.end < line.start:
        return f"The dates of {code} end before they start."
    return ""


def covered_on(periods: Iterable[CoveragePeriod], day: dt.date) -> bool:
    """Whether the member has active coverage on the date of service (eligibility at intake)."""
    return any(p.active and p.start <= day and (p.end is None or day <= p.end) for p in periods)


def uncovered_days(periods: Iterable[CoveragePeriod], lines: Iterable[ServiceLine]) -> list[dt.date]:
    """The services' first days on which the member has no coverage (each line's start; its end too)."""
    kept = list(periods)
    days = sorted({d for line in lines for d in (line.start, line.end) if d is not None})
    return [d for d in days if not covered_on(kept, d)]


@dataclass(frozen=True)
class Existing:
    """A request already here, as the duplicate check needs it."""

    pk: int
    member_id: int
    status: Status
    codes: frozenset[str]
    start: dt.date | None
    end: dt.date | None
    valid_until: dt.date | None = field(default=None)  # an approval's end


def duplicate_of(intake: Intake, existing: Iterable[Existing]) -> Existing | None:
    """The request this one repeats: the same member, a service code in common, and dates that overlap, while
    that one is still open or approved (a denied or withdrawn one may be asked again)."""
    codes = {line.code.strip().upper() for line in intake.lines}
    starts = [line.start for line in intake.lines if line.start is not None]
    if intake.member_id is None or not starts:
        return None
    start = min(starts)
    end = max((line.end or line.start for line in intake.lines if line.start is not None), default=start)
    for other in existing:
        live = other.status in OPEN or other.status in (Status.APPROVED, Status.PARTIAL, Status.APPEALED)
        if other.member_id != intake.member_id or not live or not codes & other.codes:
            continue
        other_start = other.start or start
        other_end = other.valid_until or other.end or other_start
        if other_start <= end and start <= other_end:
            return other
    return None


def sensitivity_of(diagnoses: Iterable[str]) -> str:
    """The request's sensitivity label: "part2" when a diagnosis is a substance use disorder (privacy.codes), else
    "" (normal)."""
    return label_of_diagnoses(diagnoses).value
