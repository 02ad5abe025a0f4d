"""The monthly time and billing report: care-management minutes per patient per calendar month, and the CMS
care-management codes that the documented time, the problem list, the consent and the care plan support
(clinical.md §7). It is the project's reading of §7, not billing advice: the billing practitioner decides.

Pure rules (no ORM, no clock): `bill_month(MonthFacts, today) -> MonthResult`. billing.py gathers the facts
for a whole organisation in a fixed number of queries (`month_facts`), checks who may see the report
(`monthly_report`) and writes it as CSV (`report_csv`).

Decisions where §7 is silent (each is written again beside the code it governs):
- A minute is counted once, in one bucket: minutes logged on a transitional-care case are TCM's; other
  face-to-face (in-person) contact minutes count nowhere; the rest (complex CM, CCM, behavioural-health
  cases, and minutes on no case) are care-management minutes, split into clinical staff and physician.
- PCM uses the same CCM-billing consent. A consent revoked during a month still covers that month.
- 99490/99439, 99491/99437 and 99487/99489 are not reported in the same month (one CCM code family a month,
  per §7's sources); likewise 99426/99427 and 99424/99425 for PCM. Physician minutes may count as
  clinical-staff time; the family that counts the most minutes is shown (ties: complex, then physician).
- Add-on units are limited only where §7 gives a limit (99439: 2 a month).
- A care plan version that came into force in the month means the plan was established or substantially
  revised (complex CCM).
- TCM: a discharge from an inpatient stay or observation to home, home with home health, or against
  medical advice. It is reported in the month its 30-day period ends; the earliest billing date is the
  period's last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from careconductor.cases.choices import Program
from careconductor.patients.choices import (
    DischargeDisposition,
    EncounterClass,
)

from .rules import (
    TCM_VISIT_DAYS_HIGH,
    TCM_VISIT_DAYS_MODERATE,
    TransitionClock,
)

CCM_MIN_CONDITIONS = 2  # CCM: two or more chronic conditions
PCM_CONDITIONS = 1  # PCM: one complex chronic condition


class LineStatus(StrEnum):
    BILLABLE = "billable"
    IN_PROGRESS = "in progress"
    NOT_BILLABLE = "not billable"


@dataclass(frozen=True)
class MinuteEntry:
    """Minutes from one contact or time entry. `program` is the programme of the case it was logged on ("" for
    none); `by_physician` when the staff member's discipline is physician; `face_to_face` for a contact in
    person."""

    minutes: int
    program: str = ""
    by_physician: bool = False
    face_to_face: bool = False


@dataclass(frozen=True)
class Discharge:
    """A discharge whose 30-day TCM period overlaps the month, with its timers (rules.transition_clock).
    `high_complexity` is the medical decision making of the visit; None when it is not recorded."""

    clock: TransitionClock
    encounter_class: str = EncounterClass.INPATIENT
    disposition: str = DischargeDisposition.HOME
    high_complexity: bool | None = None


@dataclass(frozen=True)
class MonthFacts:
    """Everything the rules need about one patient in one calendar month (`month` is its first day)."""

    month: dt.date
    entries: tuple[MinuteEntry, ...] = ()
    chronic_conditions: int = 0  # active, chronic, on the problem list
    ccm_consent: bool = False  # a CCM-billing consent in force at some point in the month
    plan_revised: bool = False  # a care plan version came into force in the month
    discharges: tuple[Discharge, ...] = ()
    care_plan_in_force: bool = True  # some version of a care plan was in force during the month

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise ValueError("MonthFacts.month is the first day of the month")


@dataclass(frozen=True)
class Buckets:
    """The month's minutes, each counted in exactly one bucket."""

    staff: int = 0  # care-management minutes of clinical staff (non-face-to-face, not on a TCM case)
    physician: int = 0  # care-management minutes of physicians, likewise
    tcm: int = 0  # minutes logged on a transitional-care case
    face_to_face: int = 0  # in-person contact minutes not on a TCM case: count toward nothing

    @property
    def care_management(self) -> int:
        return self.staff + self.physician

    @property
    def total(self) -> int:
        return self.staff + self.physician + self.tcm + self.face_to_face


@dataclass(frozen=True)
class CodeLine:
    service: str  # "CCM", "Complex CCM", "PCM", "TCM"
    code: str  # "" when nothing is billable
    units: int
    description: str
    minutes: int  # minutes this line counts (0 for TCM, which is not timed)
    status: LineStatus = LineStatus.BILLABLE
    note: str = ""
    bill_from: dt.date | None = None  # TCM: the earliest billing date


@dataclass(frozen=True)
class MonthResult:
    month: dt.date
    minutes: Buckets
    lines: tuple[CodeLine, ...] = ()
    reasons: tuple[str, ...] = ()  # why care-management time is not billable: what is missing
    notes: tuple[str, ...] = ()  # minutes not counted, requirements to check

    @property
    def billable(self) -> tuple[CodeLine, ...]:
        return tuple(line for line in self.lines if line.status == LineStatus.BILLABLE and line.code)

    @property
    def counted_minutes(self) -> int:
        return sum(line.minutes for line in self.lines)

    @property
    def has_care_management_code(self) -> bool:
        return any(line.service != "TCM" for line in self.lines)


def sort_minutes(entries: Iterable[MinuteEntry]) -> Buckets:
    """Each minute into one bucket (clinical.md §7: time is non-face-to-face and not double-counted; CCM and
    TCM may be billed in the same month with separate minutes). Minutes logged on a TCM case are TCM's, even
    face to face. Minutes on a behavioural-health case, or on no case, count toward CCM/PCM when the patient
    qualifies, like those on complex CM and CCM cases: the work is care management of the same patient."""
    staff = physician = tcm = face_to_face = 0
    for entry in entries:
        if entry.program == Program.TCM:
            tcm += entry.minutes
        elif entry.face_to_face:
            face_to_face += entry.minutes
        elif entry.by_physician:
            physician += entry.minutes
        else:
            staff += entry.minutes
    return Buckets(staff, physician, tcm, face_to_face)


@dataclass(frozen=True)
class Family:
    """A timed code with its add-on: the first `first` minutes, then each further full `step` minutes."""

    service: str
    code: str
    first: int
    description: str
    add_on: str
    step: int
    add_on_description: str
    max_add_on: int | None = None


# clinical.md §7. The only add-on limit §7 gives is 99439's ("up to 2 units/month per a secondary source").
CCM_STAFF = Family(
    "CCM", "99490", 20, "CCM, clinical staff, first 20 min",
    "99439", 20, "CCM, clinical staff, each additional 20 min", max_add_on=2,
)  # fmt: skip
CCM_PHYSICIAN = Family(
    "CCM", "99491", 30, "CCM, physician personally, first 30 min",
    "99437", 30, "CCM, physician personally, each additional 30 min",
)  # fmt: skip
COMPLEX_CCM = Family(
    "Complex CCM", "99487", 60, "Complex CCM, first 60 min",
    "99489", 30, "Complex CCM, each additional 30 min",
)  # fmt: skip
PCM_STAFF = Family(
    "PCM", "99426", 30, "PCM, clinical staff, first 30 min",
    "99427", 30, "PCM, clinical staff, each additional 30 min",
)  # fmt: skip
PCM_PHYSICIAN = Family(
    "PCM", "99424", 30, "PCM, physician personally, first 30 min",
    "99425", 30, "PCM, physician personally, each additional 30 min",
)  # fmt: skip


def family_lines(family: Family, minutes: int, note: str = "") -> tuple[CodeLine, ...]:
    """The code lines `minutes` support in one family: none below the first threshold."""
    if minutes < family.first:
        return ()
    units = (minutes - family.first) // family.step
    if family.max_add_on is not None:
        units = min(units, family.max_add_on)
    lines = [CodeLine(family.service, family.code, 1, family.description, family.first, note=note)]
    if units:
        lines.append(
            CodeLine(family.service, family.add_on, units, family.add_on_description, units * family.step)
        )
    return tuple(lines)


def _counted(lines: Sequence[CodeLine]) -> int:
    return sum(line.minutes for line in lines)


def care_management_lines(
    minutes: Buckets, facts: MonthFacts
) -> tuple[tuple[CodeLine, ...], list[str], list[str]]:
    """CCM, complex CCM or PCM for the month: (lines, reasons nothing is billable, notes).

    Two or more chronic conditions → the CCM codes; exactly one → PCM; both need the CCM-billing consent
    (PCM's consent is taken to be the same one). Only one code family is reported a month, because CPT does
    not report 99490, 99487 and 99491 together. The candidates are complex CCM (care plan established or
    revised this month, clinical-staff minutes), the physician's own code (99491, physician minutes only) and
    the clinical-staff code (99490). A physician's minutes may count as clinical-staff time (CMS: the billing
    practitioner's own time may count toward the clinical-staff codes), so both candidates that use
    clinical-staff time use staff + physician minutes. The report shows the candidate that counts the most
    minutes; on a tie complex CCM first, then the physician's code. No minute is counted in two codes.
    """
    pool = minutes.care_management
    reasons: list[str] = []
    notes: list[str] = []
    if pool == 0:
        return (), reasons, notes
    n = facts.chronic_conditions
    physician_note = (
        f"includes {minutes.physician} physician minutes counted as clinical-staff time"
        if minutes.physician
        else ""
    )
    if n >= CCM_MIN_CONDITIONS:
        threshold = CCM_STAFF.first
        candidates = [
            family_lines(COMPLEX_CCM, pool, physician_note) if facts.plan_revised else (),
            family_lines(CCM_PHYSICIAN, minutes.physician),
            family_lines(CCM_STAFF, pool, physician_note),
        ]
    elif n == PCM_CONDITIONS:
        threshold = PCM_STAFF.first
        candidates = [
            family_lines(PCM_PHYSICIAN, minutes.physician),
            family_lines(PCM_STAFF, pool, physician_note),
        ]
    else:
        threshold, candidates = 0, []
        reasons.append("no chronic condition on the problem list")
    if n == PCM_CONDITIONS:
        reasons.append("1 chronic condition: PCM rules apply")
    best = max(candidates, key=_counted, default=())
    if not best and threshold:
        reasons.append(f"{pool} of {threshold} minutes")
    if not facts.ccm_consent:
        reasons.append("no CCM consent in force this month")
    if not best or not facts.ccm_consent:
        return (), reasons, notes
    # The PCM reason was context for a shortfall; with a code it is only noise.
    reasons = []
    base = best[0].code
    if base in (CCM_PHYSICIAN.code, PCM_PHYSICIAN.code) and minutes.staff:
        others = "99490 and 99487" if base == CCM_PHYSICIAN.code else "99426"
        notes.append(
            f"{minutes.staff} clinical-staff minutes not counted: {others} are not reported "
            f"in the same month as {base}"
        )
    if base == CCM_STAFF.code and not facts.plan_revised and pool >= COMPLEX_CCM.first:
        notes.append(
            "complex CCM (99487) needs the care plan established or substantially revised this month"
        )
    if base == CCM_STAFF.code and pool - _counted(best) >= CCM_STAFF.step:
        notes.append(f"{pool - _counted(best)} minutes over 99439's limit of 2 units a month not counted")
    if not facts.care_plan_in_force:
        kind = "a disease-specific" if n == PCM_CONDITIONS else "a comprehensive"
        notes.append(f"no care plan in force this month: {best[0].service} needs {kind} care plan")
    return best, reasons, notes


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}"


TCM_HIGH = "99496"
TCM_MODERATE = "99495"
TCM_ENCOUNTER_CLASSES = frozenset({EncounterClass.INPATIENT, EncounterClass.OBSERVATION})
# Community settings (clinical.md §7: "to a community setting"): home, home with home health, and a patient
# who left against medical advice (who also goes home). Not a SNF, rehabilitation, hospice, or death.
COMMUNITY_DISPOSITIONS = frozenset(
    {DischargeDisposition.HOME, DischargeDisposition.HOME_HEALTH, DischargeDisposition.AMA}
)
TCM_DESCRIPTIONS = {
    TCM_HIGH: "TCM, high complexity: contact in 2 business days, visit in 7 days",
    TCM_MODERATE: "TCM, moderate complexity: contact in 2 business days, visit in 14 days",
}


def tcm_line(discharge: Discharge, today: dt.date) -> CodeLine:
    """TCM for one discharge (clinical.md §7): an interactive contact within 2 business days of the discharge;
    a face-to-face visit within 7 days with high-complexity decision making (99496) or within 14 days
    (99495); the medicines reconciled by the visit's day (a completed medication reconciliation). The line belongs to the month the 30-day period ends; the earliest billing date is the period's
    last day. A missed deadline is final at once; otherwise the line is "in progress" until that day. When
    the decision making is not recorded the report shows 99495 and says 99496 may apply."""
    c = discharge.clock
    on = _day(c.discharged_on)
    title = f"TCM after the discharge on {on}"

    def line(status: LineStatus, note: str, code: str = "") -> CodeLine:
        description = TCM_DESCRIPTIONS.get(code, title)
        return CodeLine("TCM", code, 1 if code else 0, description, 0, status, note, c.period_end)

    if discharge.encounter_class not in TCM_ENCOUNTER_CLASSES:
        return line(LineStatus.NOT_BILLABLE, "not an inpatient or observation stay")
    if not discharge.disposition:
        return line(LineStatus.NOT_BILLABLE, "where the patient went after discharge is not recorded")
    if discharge.disposition not in COMMUNITY_DISPOSITIONS:
        label = dict(DischargeDisposition.choices).get(discharge.disposition, discharge.disposition).lower()
        return line(LineStatus.NOT_BILLABLE, f"discharged to {label}, not to a community setting")

    moderate_due = c.discharged_on + dt.timedelta(days=TCM_VISIT_DAYS_MODERATE)
    high_due = c.discharged_on + dt.timedelta(days=TCM_VISIT_DAYS_HIGH)
    contact = _deadline("contact", c.contact_on, c.contact_due, today)
    visit_by = high_due if discharge.high_complexity and today <= high_due else moderate_due
    visit = _deadline("visit", c.visit_on, moderate_due, today, waiting_for=visit_by)
    if contact.missed or visit.missed:
        return line(LineStatus.NOT_BILLABLE, "; ".join(d.text for d in (contact, visit) if d.missed))
    if c.contact_on is None or c.visit_on is None:
        waiting = [d.text for d in (contact, visit) if d.done is None]
        if c.reconciled_on is None:
            waiting.append("medicines to reconcile by the visit")
        return line(LineStatus.IN_PROGRESS, "; ".join(waiting))
    if not c.reconciled_by_visit:
        if c.reconciled_on is None and c.visit_on == today:
            return line(LineStatus.IN_PROGRESS, "medicines to reconcile today, the visit's day")
        return line(LineStatus.NOT_BILLABLE, f"medicines not reconciled by the visit on {_day(c.visit_on)}")

    within_seven = c.visit_on <= high_due
    code = TCM_HIGH if discharge.high_complexity and within_seven else TCM_MODERATE
    assert c.reconciled_on is not None
    notes = [contact.text, visit.text, f"medicines reconciled {_day(c.reconciled_on)}"]
    if discharge.high_complexity and not within_seven:
        notes.append("visit after day 7, so 99495 rather than 99496")
    if discharge.high_complexity is None and within_seven:
        notes.append("99496 if the visit's decision making was of high complexity (not recorded)")
    if today < c.period_end:
        notes.append(f"period ends {_day(c.period_end)}")
        return line(LineStatus.IN_PROGRESS, "; ".join(notes), code)
    notes.append(f"bill from {c.period_end.isoformat()}")
    return line(LineStatus.BILLABLE, "; ".join(notes), code)


@dataclass(frozen=True)
class _Deadline:
    done: dt.date | None
    missed: bool
    text: str


def _deadline(
    what: str, done: dt.date | None, due: dt.date, today: dt.date, waiting_for: dt.date | None = None
) -> _Deadline:
    if done is not None and done <= due:
        return _Deadline(done, False, f"{what} {_day(done)}")
    if done is not None:
        return _Deadline(done, True, f"{what} missed: due {_day(due)}, done {_day(done)}")
    if today > due:
        return _Deadline(None, True, f"{what} missed: none by {_day(due)}")
    return _Deadline(None, False, f"{what} due by {_day(waiting_for or due)}")


def month_end(month: dt.date) -> dt.date:
    following = dt.date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def bill_month(facts: MonthFacts, today: dt.date) -> MonthResult:
    """The month's minutes, the codes they support and what is missing (clinical.md §7)."""
    minutes = sort_minutes(facts.entries)
    lines, reasons, notes = care_management_lines(minutes, facts)
    if minutes.face_to_face:
        notes.append(
            f"{minutes.face_to_face} face-to-face minutes not counted: CCM and PCM time is non-face-to-face"
        )
    if minutes.tcm:
        notes.append(
            f"{minutes.tcm} minutes on a transitional-care case kept for TCM, not counted toward CCM/PCM"
        )
    last = month_end(facts.month)
    tcm = []
    for discharge in sorted(facts.discharges, key=lambda d: d.clock.discharged_on):
        end = discharge.clock.period_end
        if facts.month <= end <= last:
            tcm.append(tcm_line(discharge, today))
        elif end > last:
            notes.append(
                f"TCM after the discharge on {_day(discharge.clock.discharged_on)}: its period ends "
                f"{_day(end)} and is reported in {end:%B %Y}"
            )
    return MonthResult(facts.month, minutes, (*lines, *tcm), tuple(reasons), tuple(notes))
