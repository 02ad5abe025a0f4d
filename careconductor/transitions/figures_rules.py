"""Readmission figures (issue 19 §"Readmission figures"), the pure part: what each discharge counts for, and the
table by programme and discharge month. No ORM, no I/O: transitions.figures gathers the facts.

Per discharge (clinical.md §7 TCM, §4 readmission risk):
- an index discharge is one a readmission can follow (readmissions.index_discharge: not a transfer to another
  hospital, not a death);
- readmitted: a later admission of the same patient names it as its index discharge (the same rule the alert
  uses: the latest discharge within 30 calendar days);
- enrolled: the patient had an active case on the discharge day, counted under that case's programme;
- the TCM clock (coordination.rules.transition_clock): days to the first interactive contact in the 30-day
  period, contact by discharge + 2 business days, a face-to-face visit by discharge + 7 and by + 14 days (both
  shown: 99496 asks 7, 99495 asks 14);
- medicines reconciled by the visit: a reconciliation completed on or after the discharge day and no later than
  the first visit's day (clinical.md §7: "medication reconciliation by the face-to-face date", unverified);
  counted only over discharges with a visit.
Contacts, visits and reconciliations count for a discharge only before the patient's next admission: after it
they follow the next discharge.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field, replace

from careconductor.coordination.rules import TCM_VISIT_DAYS_HIGH, TCM_VISIT_DAYS_MODERATE, transition_clock
from careconductor.transitions.readmissions import Stay, index_discharge

NOT_ENROLLED = ""  # the programme key of a discharge without an active case


@dataclass(frozen=True)
class Discharge:
    """One discharge and what happened after it, days in the organisation's time zone."""

    key: int  # the encounter
    patient: int
    admitted: dt.date
    discharged: dt.date
    disposition: str = ""
    programme: str = NOT_ENROLLED  # the programme of the active case on the discharge day
    contacts: tuple[dt.date, ...] = ()  # interactive contacts
    visits: tuple[dt.date, ...] = ()  # face-to-face visits
    reconciled: tuple[dt.date, ...] = ()  # medicines reconciliations completed


@dataclass(frozen=True)
class Outcome:
    discharge: Discharge
    index: bool
    readmitted: bool
    days_to_contact: int | None
    contact_in_2_business_days: bool
    visit_in_7: bool
    visit_in_14: bool
    visited: bool
    reconciled_by_visit: bool


def outcomes(
    discharges: Sequence[Discharge], admissions: Iterable[tuple[int, int, dt.date]], holidays: Set[dt.date]
) -> list[Outcome]:
    """What each discharge counts for. `admissions` are (stay, patient, admission day) of every stay that could
    be a readmission (it may begin after the period); `discharges` include every earlier stay a readmission
    could follow, so the latest index discharge is the one named. A stay is never its own readmission."""
    by_patient: dict[int, list[Discharge]] = {}
    for d in discharges:
        by_patient.setdefault(d.patient, []).append(d)
    readmitted: set[int] = set()
    next_admission: dict[int, dt.date] = {}
    for key, patient, admitted in admissions:
        earlier = [d for d in by_patient.get(patient, []) if d.key != key]
        for d in earlier:
            if admitted >= d.discharged and (d.key not in next_admission or admitted < next_admission[d.key]):
                next_admission[d.key] = admitted
        stays = [Stay(d.admitted, d.discharged, disposition=d.disposition) for d in earlier]
        found = index_discharge(Stay(admitted, None), stays)
        if found is not None:
            readmitted.add(earlier[stays.index(found)].key)
    return [_outcome(d, d.key in readmitted, next_admission.get(d.key), holidays) for d in discharges]


def _outcome(d: Discharge, readmitted: bool, until: dt.date | None, holidays: Set[dt.date]) -> Outcome:
    if until is not None:
        # Back in hospital: what follows belongs to the next discharge (TCM is billed once in the 30 days).
        d = replace(
            d,
            contacts=tuple(x for x in d.contacts if x < until),
            visits=tuple(x for x in d.visits if x < until),
            reconciled=tuple(x for x in d.reconciled if x < until),
        )
    index = index_discharge(
        Stay(d.discharged, None), [Stay(d.admitted, d.discharged, disposition=d.disposition)]
    )
    clock = transition_clock(
        d.discharged,
        high_complexity=False,
        holidays=holidays,
        interactive_contacts=d.contacts,
        visits=d.visits,
    )
    contact = clock.contact_on if clock.contact_on and clock.contact_on <= clock.period_end else None
    visit = clock.visit_on if clock.visit_on and clock.visit_on <= clock.period_end else None
    return Outcome(
        discharge=d,
        index=index is not None,
        readmitted=readmitted,
        days_to_contact=None if contact is None else (contact - d.discharged).days,
        contact_in_2_business_days=clock.contact_met,
        visit_in_7=visit is not None and (visit - d.discharged).days <= TCM_VISIT_DAYS_HIGH,
        visit_in_14=visit is not None and (visit - d.discharged).days <= TCM_VISIT_DAYS_MODERATE,
        visited=visit is not None,
        reconciled_by_visit=visit is not None and any(d.discharged <= r <= visit for r in d.reconciled),
    )


@dataclass
class Cell:
    """One row of the table: the discharges of a programme (or of patients not enrolled) in one month. Each list
    holds the patients behind a count, so the page can link to them."""

    month: dt.date  # the first of the discharge month
    programme: str
    discharges: list[int] = field(default_factory=list)
    readmissions: list[int] = field(default_factory=list)
    contact_2bd: list[int] = field(default_factory=list)
    visit_7: list[int] = field(default_factory=list)
    visit_14: list[int] = field(default_factory=list)
    visited: list[int] = field(default_factory=list)
    reconciled: list[int] = field(default_factory=list)
    days_to_contact: list[int] = field(default_factory=list)

    @property
    def enrolled(self) -> bool:
        return self.programme != NOT_ENROLLED

    @property
    def rate(self) -> float | None:
        return share(len(self.readmissions), len(self.discharges))

    @property
    def median_days_to_contact(self) -> float | None:
        return statistics.median(self.days_to_contact) if self.days_to_contact else None

    @property
    def contact_share(self) -> float | None:
        return share(len(self.contact_2bd), len(self.discharges))

    @property
    def visit_7_share(self) -> float | None:
        return share(len(self.visit_7), len(self.discharges))

    @property
    def visit_14_share(self) -> float | None:
        return share(len(self.visit_14), len(self.discharges))

    @property
    def reconciled_share(self) -> float | None:
        return share(len(self.reconciled), len(self.visited))


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None for an empty denominator (shown as a dash, not 0 %)."""
    return None if whole == 0 else round(100 * part / whole, 1)


def table(found: Iterable[Outcome], start: dt.date, end: dt.date) -> list[Cell]:
    """The index discharges from `start` to `end` (inclusive) by discharge month and programme, months in order,
    within a month the programmes by name and "not enrolled" last. Discharges that cannot be followed by a
    readmission (transfers, deaths) are not counted."""
    cells: dict[tuple[dt.date, str], Cell] = {}
    for o in found:
        d = o.discharge
        if not o.index or not start <= d.discharged <= end:
            continue
        month = d.discharged.replace(day=1)
        cell = cells.setdefault((month, d.programme), Cell(month, d.programme))
        cell.discharges.append(d.patient)
        for flag, bucket in (
            (o.readmitted, cell.readmissions),
            (o.contact_in_2_business_days, cell.contact_2bd),
            (o.visit_in_7, cell.visit_7),
            (o.visit_in_14, cell.visit_14),
            (o.visited, cell.visited),
            (o.reconciled_by_visit, cell.reconciled),
        ):
            if flag:
                bucket.append(d.patient)
        if o.days_to_contact is not None:
            cell.days_to_contact.append(o.days_to_contact)
    return sorted(cells.values(), key=lambda c: (c.month, not c.enrolled, c.programme))
