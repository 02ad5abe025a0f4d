"""Pure decisions about tasks and flags: the one table of Task status transitions (FHIR Task, clinical.md §10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, replace
from enum import IntEnum

from .choices import TaskPriority, TaskStatus

S = TaskStatus
TERMINAL = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED, S.REJECTED, S.ENTERED_IN_ERROR})
# draft → requested → received → accepted | rejected; accepted | ready → in-progress → completed | failed;
# on-hold ↔ in-progress; any open state → cancelled; anything → entered-in-error.
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.DRAFT: frozenset({S.REQUESTED, S.CANCELLED}),
    S.REQUESTED: frozenset(
        {S.RECEIVED, S.ACCEPTED, S.REJECTED, S.READY, S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}
    ),
    S.RECEIVED: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}),
    S.READY: frozenset({S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED, S.ON_HOLD, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.CANCELLED}),
}
OPEN = frozenset(S) - TERMINAL
PRIORITY_RANK = {TaskPriority.STAT: 0, TaskPriority.ASAP: 1, TaskPriority.URGENT: 2, TaskPriority.ROUTINE: 3}


def allowed_targets(status: TaskStatus) -> frozenset[TaskStatus]:
    targets = TRANSITIONS.get(status, frozenset())
    return targets | {S.ENTERED_IN_ERROR} if status != S.ENTERED_IN_ERROR else frozenset()


def can_move(current: TaskStatus, target: TaskStatus) -> bool:
    return target in allowed_targets(current)


# --- Follow-up cadence ---------------------------------------------------------------------------------------
# Days between successful contacts by acuity tier when the programme sets nothing else (docs/coordination.md).
DEFAULT_CADENCE_DAYS: dict[int, int] = {4: 7, 3: 14, 2: 30, 1: 60}


@dataclass(frozen=True)
class Cadence:
    interval_days: int
    mode: str = "phone"
    by_whom: str = ""


@dataclass(frozen=True)
class FollowUp:
    due_on: dt.date
    overdue: bool
    due_today: bool
    reason: str


def cadence_for(tier: int, rows: Mapping[int, Cadence] | None = None) -> Cadence:
    """The programme's row for the tier if it has one, else the default."""
    if rows and tier in rows:
        return rows[tier]
    return Cadence(DEFAULT_CADENCE_DAYS[tier])


def next_contact(
    last_success: dt.date | None, started: dt.date, cadence: Cadence, today: dt.date
) -> FollowUp:
    """The next contact is due one interval after the last successful contact; with none yet, one interval
    after the case started (enrolment is itself a contact). Computed each time, never stored."""
    base = last_success or started
    due = base + dt.timedelta(days=cadence.interval_days)
    since = (
        f"last reached {last_success:%b} {last_success.day}" if last_success else "no contact since enrolment"
    )
    every = f"every {cadence.interval_days} days"
    if due < today:
        reason = f"Contact overdue by {(today - due).days} d ({since}; {every})"
    elif due == today:
        reason = f"Contact due today ({since}; {every})"
    else:
        reason = f"Next contact due {short_date(due, today)} ({every})"
    return FollowUp(due, due < today, due == today, reason)


def short_date(day: dt.date, today: dt.date) -> str:
    """ "Nov 3", or "Nov 3 2025" when not this year: worklist reasons stay short but never ambiguous."""
    return f"{day:%b} {day.day}" if day.year == today.year else f"{day:%b} {day.day} {day.year}"


# --- Business days -------------------------------------------------------------------------------------------
def is_business_day(day: dt.date, holidays: Set[dt.date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: dt.date, days: int, holidays: Set[dt.date]) -> dt.date:
    """The business day `days` business days after `start` (start itself not counted): a discharge on a Friday
    has its 2-business-day contact due on Tuesday, or Wednesday when Monday is a holiday."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    left = days
    while left:
        day += dt.timedelta(days=1)
        if is_business_day(day, holidays):
            left -= 1
    return day


# --- Transitional care (clinical.md §7, TCM) ------------------------------------------------------------------
TCM_CONTACT_BUSINESS_DAYS = 2
TCM_VISIT_DAYS_HIGH = 7  # 99496, high complexity
TCM_VISIT_DAYS_MODERATE = 14  # 99495, moderate complexity
TCM_PERIOD_DAYS = 30  # the discharge day and the 29 days after it


@dataclass(frozen=True)
class TransitionClock:
    discharged_on: dt.date
    contact_due: dt.date
    visit_due: dt.date
    period_end: dt.date
    contact_on: dt.date | None
    visit_on: dt.date | None
    reconciled_on: dt.date | None = (
        None  # the first medication reconciliation completed from the discharge day
    )

    @property
    def reconciled_by_visit(self) -> bool:
        """Medicines reconciled no later than the face-to-face visit's day (clinical.md §7, TCM: "medication
        reconciliation by the face-to-face date")."""
        return (
            self.reconciled_on is not None
            and self.visit_on is not None
            and self.reconciled_on <= self.visit_on
        )

    @property
    def contact_met(self) -> bool:
        return self.contact_on is not None and self.contact_on <= self.contact_due

    @property
    def visit_met(self) -> bool:
        return self.visit_on is not None and self.visit_on <= self.visit_due


def transition_clock(
    discharged_on: dt.date,
    *,
    high_complexity: bool,
    holidays: Set[dt.date],
    interactive_contacts: Iterable[dt.date] = (),
    visits: Iterable[dt.date] = (),
    reconciliations: Iterable[dt.date] = (),
) -> TransitionClock:
    """TCM timers: contact_due = discharge + 2 business days; visit_due = discharge + 7 (high) or 14 days;
    period_end = discharge + 29 days. The first contact, visit and completed medication reconciliation on or
    after the discharge day count."""
    visit_days = TCM_VISIT_DAYS_HIGH if high_complexity else TCM_VISIT_DAYS_MODERATE
    first_contact = min((d for d in interactive_contacts if d >= discharged_on), default=None)
    first_visit = min((d for d in visits if d >= discharged_on), default=None)
    return TransitionClock(
        discharged_on=discharged_on,
        contact_due=add_business_days(discharged_on, TCM_CONTACT_BUSINESS_DAYS, holidays),
        visit_due=discharged_on + dt.timedelta(days=visit_days),
        period_end=discharged_on + dt.timedelta(days=TCM_PERIOD_DAYS - 1),
        contact_on=first_contact,
        visit_on=first_visit,
        reconciled_on=min((d for d in reconciliations if d >= discharged_on), default=None),
    )


# --- Unable to reach ------------------------------------------------------------------------------------------
PROTOCOL_STEPS = ("letter", "caregiver", "pcp")


def time_of_day(moment: dt.datetime) -> str:
    if moment.hour < 12:
        return "morning"
    return "afternoon" if moment.hour < 17 else "evening"


@dataclass(frozen=True)
class ReachState:
    """Where a case stands with failed attempts since the last successful contact."""

    stage: str  # "reached" | "trying" | "protocol" | "may-close"
    attempts: int  # failed attempts since the last success
    qualifying_days: int  # distinct days among them
    next_step: str  # the next protocol step, "" when none
    message: str


def reach_state(
    failed_attempts: Iterable[dt.datetime], steps_done: Set[str], required: int = 3
) -> ReachState:
    """`failed_attempts` are the local times of failed attempts after the last successful contact. The protocol
    begins after `required` attempts on different days and at more than one time of day (a patient who works
    days may answer in the evening); its steps are the letter, the caregiver, then the PCP, after which the
    case may close as unable to reach."""
    attempts = sorted(failed_attempts)
    if not attempts:
        return ReachState("reached", 0, 0, "", "")
    days = {a.date() for a in attempts}
    bands = {time_of_day(a) for a in attempts}
    if len(days) < required:
        left = required - len(days)
        return ReachState(
            "trying",
            len(attempts),
            len(days),
            "",
            f"{len(attempts)} failed attempt{'s' if len(attempts) != 1 else ''}; try on {left} more "
            f"day{'s' if left != 1 else ''} before the unable-to-reach steps",
        )
    if len(bands) < 2 and required > 1:
        only = next(iter(bands))
        return ReachState(
            "trying",
            len(attempts),
            len(days),
            "",
            f"{len(attempts)} failed attempts, all in the {only}; try another time of day",
        )
    pending = [s for s in PROTOCOL_STEPS if s not in steps_done]
    if pending:
        return ReachState(
            "protocol",
            len(attempts),
            len(days),
            pending[0],
            f"Unable to reach after {len(attempts)} attempts on {len(days)} days: next step, {STEP_LABELS[pending[0]]}",
        )
    return ReachState(
        "may-close",
        len(attempts),
        len(days),
        "",
        "Unable-to-reach steps done: the case may close as unable to reach",
    )


STEP_LABELS = {"letter": "send a letter", "caregiver": "try the caregiver", "pcp": "notify the PCP"}


@dataclass(frozen=True)
class PortalActivity:
    """The patient's own latest use of the portal: when, and what they did ("wrote a message")."""

    at: dt.datetime
    what: str


def last_reached(contact: dt.datetime | None, portal: PortalActivity | None) -> dt.datetime | None:
    """Since when the patient counts as reachable for the unable-to-reach protocol: their last reached contact,
    or their own last check-in, reading or message in the portal if later. Failed attempts before it no longer
    count: a patient writing to the team today is not lost to follow-up."""
    moments = [m for m in (contact, portal.at if portal else None) if m is not None]
    return max(moments) if moments else None


def portal_note(portal: PortalActivity | None, last_contact: dt.datetime | None, today: dt.date) -> str:
    """What a contact row adds when the patient used the portal today after the last reached contact: the
    cadence still asks for the team's own contact, but the patient is there to be reached."""
    if (
        portal is None
        or portal.at.date() != today
        or (last_contact is not None and last_contact >= portal.at)
    ):
        return ""
    return f"; {portal.what} in the portal today"


# --- Escalation ---------------------------------------------------------------------------------------------
# FHIR request-priority in rising order of urgency: routine < urgent < asap < stat.
URGENCY_ORDER = (TaskPriority.ROUTINE, TaskPriority.URGENT, TaskPriority.ASAP, TaskPriority.STAT)


def escalation_delay_hours(priority: str, hours: Mapping[str, int]) -> int:
    """Hours an open task of `priority` may stay overdue before it goes to the supervisor: its own delay from
    `hours`, but never more than that of a less urgent priority (a misconfigured urgent delay above the routine
    one is cut to it). A priority missing from `hours` takes the next less urgent one's; unknown ones count as
    routine."""
    level = URGENCY_ORDER.index(TaskPriority(priority)) if priority in TaskPriority.values else 0
    known = [hours[p] for p in URGENCY_ORDER[: level + 1] if p in hours]
    return min(known) if known else 24


def escalation_due(due_at: dt.datetime, now: dt.datetime, delay_hours: int, already: bool) -> bool:
    """An open task is escalated once, `delay_hours` after it fell due."""
    return not already and now >= due_at + dt.timedelta(hours=delay_hours)


# --- The worklist ---------------------------------------------------------------------------------------------
class Band(IntEnum):
    """The worklist's order: what matters first. Lower sorts first."""

    URGENT = 0  # urgent tasks and safety flags
    CONTACT = 1  # overdue and due-today contacts, unable-to-reach steps
    TRANSITION = 2  # transitional-care deadlines
    REVIEW = 3  # reassessments and plan reviews
    OTHER = 4  # everything else on the user's plate


BAND_LABELS = {
    Band.URGENT: "Urgent",
    Band.CONTACT: "Contacts due",
    Band.TRANSITION: "Transitional care",
    Band.REVIEW: "Reassessments and plan reviews",
    Band.OTHER: "Other work",
}


@dataclass(frozen=True)
class WorkItem:
    band: Band
    kind: str  # "task", "flag", "contact", "outreach", "transition", "reconcile", "reassessment", "plan-review", "case"
    patient_id: int
    due: dt.datetime | None
    reason: str
    case_id: int | None = None
    task_id: int | None = None
    flag_id: int | None = None
    priority_rank: int = 9
    overdue: bool = False
    acuity_tier: int = 0
    program: str = ""
    staff_id: int | None = None  # whose work it is: the case manager or the task's owner
    rule: str = ""  # the rule that raised a flag or task: an alert and the task it raised share it
    short: str = ""  # a task's reason without its title, for the row that shows it beside its alert
    # A row another app adds (a referral, an appointment) names its own button: where it goes and what it says.
    link: str = ""
    link_label: str = ""


def due_now(item: WorkItem, today: dt.date, zone: dt.tzinfo) -> bool:
    """Whether the worklist's summary counts the item as "due today or overdue": overdue, or due by the end of
    today in the organisation's zone; an urgent task or safety flag without a due time is for today."""
    if item.overdue:
        return True
    if item.due is None:
        return item.band == Band.URGENT
    return item.due.astimezone(zone).date() <= today


def rank_key(item: WorkItem) -> tuple[int, int, int, float, int]:
    """Band first; inside a band overdue before due, more urgent priority, sooner due, higher acuity."""
    due = item.due.timestamp() if item.due else float("inf")
    return (item.band, 0 if item.overdue else 1, item.priority_rank, due, -item.acuity_tier)


def rank(items: Iterable[WorkItem]) -> list[WorkItem]:
    return sorted(items, key=rank_key)


def merge_alerts(items: Iterable[WorkItem]) -> list[WorkItem]:
    """An alert (flag) and the task its rule raised for the same patient are one row: the alert's words, the
    task's deadline and owner, both links. A flag whose task is someone else's, or a task without a flag, stays
    a row of its own. Items keep their order otherwise; rank afterwards."""
    items = list(items)
    tasks: dict[tuple[int, str], WorkItem] = {}
    for item in rank(i for i in items if i.kind == "task" and i.rule):
        tasks.setdefault((item.patient_id, item.rule), item)  # the most pressing, if several
    used: set[int | None] = set()
    out: list[WorkItem] = []
    for item in items:
        task = tasks.get((item.patient_id, item.rule)) if item.kind == "flag" and item.rule else None
        if task is None or task.task_id in used:
            out.append(item)
            continue
        used.add(task.task_id)
        out.append(
            replace(
                task,
                band=Band.URGENT,
                kind="alert",
                reason=f"{item.reason} – {task.short or task.reason}",
                flag_id=item.flag_id,
                priority_rank=min(item.priority_rank, task.priority_rank),
            )
        )
    return [i for i in out if not (i.kind == "task" and i.task_id in used)]


@dataclass(frozen=True)
class PatientGroup:
    """A patient's rows on the worklist, most pressing first; the group sits where its first row ranks."""

    patient_id: int
    items: tuple[WorkItem, ...]

    @property
    def band(self) -> Band:
        return self.items[0].band


def group_by_patient(items: Iterable[WorkItem]) -> list[PatientGroup]:
    """Ranked items gathered per patient, in the order of each patient's first item."""
    groups: dict[int, list[WorkItem]] = {}
    for item in items:
        groups.setdefault(item.patient_id, []).append(item)
    return [PatientGroup(pid, tuple(rows)) for pid, rows in groups.items()]
