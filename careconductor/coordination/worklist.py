"""The worklist: each user's work for today, ranked (rules.rank), each row saying why it is there.

Everything is computed from the record when the page opens (the last successful contact, discharges, tasks,
flags), never from stored reminders, so logging a contact moves its row at once (the patient's last reached
moment is stored on the patient by the contact actions, in the same transaction as the contact). The number of queries is
fixed whatever the caseload: each part is one query over all the cases' patients."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from careconductor.accounts.choices import Discipline
from careconductor.accounts.models import StaffProfile, Team, User
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case, Cover
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.core import clock
from careconductor.patients.choices import DischargeDisposition, EncounterClass
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy import policy

from . import hooks, rules
from .calendar import holiday_set
from .choices import (
    FACE_TO_FACE_MODES,
    INTERACTIVE_MODES,
    ContactDirection,
    FlagCategory,
    FlagStatus,
    TaskKind,
    TaskPriority,
)
from .models import CadenceRule, Contact, Flag, OutreachAttempt, Task
from .reach import portal_activity, portal_labels, with_portal_activity
from .rules import Band, WorkItem

# Discharges that start transitional care: to a community setting (clinical.md §7, TCM).
COMMUNITY_DISCHARGES = (
    "",
    DischargeDisposition.HOME,
    DischargeDisposition.HOME_HEALTH,
    DischargeDisposition.AMA,
)
DISCHARGE_CLASSES = (EncounterClass.INPATIENT, EncounterClass.OBSERVATION)
# In hospital: an admission (inpatient or observation) or an ED visit not yet ended. While it lasts, the chart
# says so and the cadence's contact and outreach rows are not due (issue 19). A stay is taken as open only for
# so long: a discharge the hospital never sent must not hide a patient from outreach for ever.
OPEN_ADMISSION_DAYS = 30
OPEN_ED_VISIT_HOURS = 24
UPCOMING_DAYS = 7  # contacts due within a week are shown under "other work"
URGENT_KINDS = frozenset({TaskKind.SAFETY_CHECK, TaskKind.SAFETY_PLANNING})


@dataclass(frozen=True)
class Covering:
    """An absent colleague whose due work this worklist carries (cases.Cover in force)."""

    name: str
    until: dt.date

    @property
    def label(self) -> str:
        return f"Covering for {self.name} until {self.until:%a} {self.until.day} {self.until:%b}"


@dataclass
class Worklist:
    items: list[WorkItem]
    patients: dict[int, Patient]
    cases: dict[int, Case]
    tasks: dict[int, Task]
    flags: dict[int, Flag] = field(default_factory=dict)
    covering: dict[int, Covering] = field(default_factory=dict)  # absent person's id -> their cover

    def covered_by(self, item: WorkItem) -> int | None:
        """The absent colleague an item is covered work of, or None for the user's own work."""
        case = self.cases.get(item.case_id) if item.case_id else None
        staff = (
            item.staff_id if item.staff_id is not None else (case.primary_case_manager_id if case else None)
        )
        return staff if staff in self.covering else None

    def split_covering(
        self, items: Iterable[WorkItem]
    ) -> tuple[list[WorkItem], list[tuple[Covering, list[WorkItem]]]]:
        """The user's own items, and each covered colleague's items under their cover, in rank order."""
        own: list[WorkItem] = []
        covered: dict[int, list[WorkItem]] = defaultdict(list)
        for item in items:
            absent = self.covered_by(item)
            if absent is None:
                own.append(item)
            else:
                covered[absent].append(item)
        return own, [
            (self.covering[a], covered[a]) for a in sorted(covered, key=lambda a: self.covering[a].name)
        ]

    def by_band(self) -> list[tuple[Band, list[WorkItem]]]:
        groups: dict[Band, list[WorkItem]] = defaultdict(list)
        for item in self.items:
            groups[item.band].append(item)
        return [(band, groups[band]) for band in Band if groups.get(band)]


class CaseFields(TypedDict):
    case_id: int
    acuity_tier: int
    program: str
    staff_id: int | None


def case_fields(case: Case) -> CaseFields:
    """What every work item about a case carries, for filters, ranking and the team view."""
    return CaseFields(
        case_id=case.pk,
        acuity_tier=case.acuity_tier,
        program=case.program,
        staff_id=case.primary_case_manager_id,
    )


def in_hospital_q(now: dt.datetime, prefix: str = "") -> Q:
    """The encounters that are an open hospital stay at `now` (`prefix`: the path to Encounter, e.g.
    "patient__encounters__")."""
    admitted = Q(
        **{
            f"{prefix}encounter_class__in": DISCHARGE_CLASSES,
            f"{prefix}start__gte": now - dt.timedelta(days=OPEN_ADMISSION_DAYS),
        }
    )
    in_ed = Q(
        **{
            f"{prefix}encounter_class": EncounterClass.EMERGENCY,
            f"{prefix}start__gte": now - dt.timedelta(hours=OPEN_ED_VISIT_HOURS),
        }
    )
    return (admitted | in_ed) & Q(**{f"{prefix}end__isnull": True, f"{prefix}start__lte": now})


def open_stays() -> QuerySet[Encounter]:
    """A row's patient's open hospital stays, for Exists() on a query of rows with a patient_id."""
    return Encounter.objects.filter(in_hospital_q(clock.now()), patient_id=OuterRef("patient_id"))


def end_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def caseload(user: User) -> QuerySet[Case]:
    """The user's open cases, on patients they may see."""
    return Case.objects.filter(primary_case_manager=user, status__in=OPEN_STATUSES).filter(
        policy.patient_q(user)
    )


def team_cases(user: User) -> QuerySet[Case]:
    """Open cases of the teams the user supervises (all of the organisation's for an administrator)."""
    qs = Case.objects.filter(status__in=OPEN_STATUSES, organization_id=user.organization_id or 0)
    if user.role != "admin":
        qs = qs.filter(team__supervisor=user)
    return qs.filter(policy.patient_q(user))


def _with_last_success(qs: QuerySet[Case], *, patient: bool = True) -> QuerySet[Case]:
    """The cases with their patient's last reached contact (stored on the patient: Patient.last_reached_at) and
    portal activity (and the patient, unless not wanted: the team view counts with them and names few)."""
    # The patient's own portal activity too (reach.py): it counts as reaching them for the unable-to-reach steps.
    # And whether the patient is in hospital now: outreach pauses until the discharge.
    qs = with_portal_activity(
        qs.annotate(last_success=F("patient__last_reached_at"), in_hospital=Exists(open_stays()))
    )
    return qs.select_related("patient") if patient else qs


def build_worklist(user: User, *, today: dt.date | None = None) -> Worklist:
    """The user's worklist: their caseload's due contacts, transitions, reviews; their tasks and their teams'
    unclaimed queue tasks; safety flags on their patients. While the user covers for absent colleagues
    (cases.Cover in force today), their cases and tasks too, each marked with the cover: subqueries of the same
    queries, so covering adds no query, whatever the number of covered cases."""
    day = today or clock.today()
    teams = StaffProfile.objects.filter(user=user, team__isnull=False).values("team_id")
    covers = Cover.objects.in_force(day).filter(delegate=user)
    covered = covers.values("absent_id")
    cases = (
        Case.objects.filter(Q(primary_case_manager=user) | Q(primary_case_manager__in=covered))
        .filter(status__in=OPEN_STATUSES)
        .filter(policy.patient_q(user))
        .annotate(cover_until=_cover_end(covers, "primary_case_manager_id"))
        .select_related("primary_case_manager")
    )
    tasks = (
        Task.objects.open()
        .filter(Q(owner=user) | Q(owner__isnull=True, team_id__in=teams) | Q(owner__in=covered))
        .annotate(cover_until=_cover_end(covers, "owner_id"))
    )
    # Work about a record the user may not read is not shown (a delegate covering, a revoked consent).
    visible_tasks = tasks.filter(policy.patient_q(user)).filter(policy.sensitivity_q(user))
    worklist = compute(list(_with_last_success(cases)), visible_tasks, user, today)
    absent = [(c.primary_case_manager, c.cover_until) for c in worklist.cases.values()]  # type: ignore[attr-defined]
    absent += [(t.owner, t.cover_until) for t in worklist.tasks.values()]  # type: ignore[attr-defined]
    worklist.covering = {
        person.pk: Covering(person.display_name(), until)
        for person, until in absent
        if person is not None and until is not None and person.pk != user.pk
    }
    return worklist


def _cover_end(covers: QuerySet[Cover], person_field: str) -> Subquery:
    """The last day of the user's cover for the row's person (None when it is the user's own row)."""
    return Subquery(covers.filter(absent_id=OuterRef(person_field)).values("end_date")[:1])


def team_tasks(user: User) -> QuerySet[Task]:
    """Open tasks of the members of the teams the user supervises (all teams for an administrator) and of those
    teams' queues, on records the user may read."""
    teams = Team.objects.filter(organization_id=user.organization_id or 0)
    if user.role != "admin":
        teams = teams.filter(supervisor=user)
    members = StaffProfile.objects.filter(team_id__in=teams.values("pk")).values("user_id")
    tasks = Task.objects.open().filter(
        Q(owner_id__in=members) | Q(owner__isnull=True, team_id__in=teams.values("pk"))
    )
    return tasks.filter(policy.patient_q(user)).filter(policy.sensitivity_q(user))


def build_team_worklist(user: User, *, today: dt.date | None = None) -> Worklist:
    """Every item of the supervisor's teams: their cases and the open tasks of their members and queues. The
    team view does not build this (team.py counts in SQL: this takes seconds at 24,000 open cases); it stays as
    the item-by-item statement of what the team view counts, which its tests compare with."""
    cases = list(_with_last_success(team_cases(user).select_related("primary_case_manager")))
    # The team view counts contacts, tasks and discharge deadlines per person; reviews are left to each person.
    return compute(cases, team_tasks(user), user, today, reviews=False)


def compute(
    cases: Sequence[Case],
    tasks: QuerySet[Task],
    user: User,
    today: dt.date | None = None,
    *,
    reviews: bool = True,
) -> Worklist:
    today = today or clock.today()
    task_list = list(tasks.select_related("patient", "owner", "team", "case"))
    patients = {c.patient_id: c.patient for c in cases} | {t.patient_id: t.patient for t in task_list}
    items: list[WorkItem] = []
    items += _task_items(task_list, today)
    flags = list(Flag.objects.filter(patient_id__in=list(patients), status=FlagStatus.ACTIVE))
    items += flag_items(flags, {c.patient_id: c.primary_case_manager_id for c in cases})
    active = [c for c in cases if c.status == CaseStatus.ACTIVE]
    items += _contact_items(active, user.organization_id, today)
    items += _transition_items(active, user.organization_id, today)
    items += [
        WorkItem(
            Band.OTHER,
            "case",
            c.patient_id,
            c.referred_at,
            f"{c.get_status_display()} since {rules.short_date(timezone.localdate(c.referred_at), today)}: "
            "enrol, or record why not",
            case_id=c.pk,
            acuity_tier=c.acuity_tier,
            program=c.program,
            staff_id=c.primary_case_manager_id,
        )
        for c in cases
        if c.status in (CaseStatus.REFERRED, CaseStatus.SCREENING)
    ]
    for source in hooks.WORKLIST_SOURCES if reviews else ():
        items += source(active, today)
    return Worklist(
        items=rules.rank(rules.merge_alerts(items)),
        patients=patients,
        cases={c.pk: c for c in cases},
        tasks={t.pk: t for t in task_list},
        flags={f.pk: f for f in flags},
    )


def flag_items(flags: Iterable[Flag], manager_of: dict[int, int | None]) -> list[WorkItem]:
    """Active alerts, each the work of its patient's case manager (`manager_of`: patient id -> user id)."""
    return [
        WorkItem(
            Band.URGENT,
            "flag",
            f.patient_id,
            f.raised_at,
            f"{'Safety alert' if f.category == FlagCategory.SAFETY else 'Alert'}: {f.text}",
            flag_id=f.pk,
            priority_rank=0,
            overdue=True,
            staff_id=manager_of.get(f.patient_id),
            rule=f.rule,
        )
        for f in flags
    ]


def _task_items(tasks: Iterable[Task], today: dt.date) -> list[WorkItem]:
    """The tasks' rows (read with select_related("case"))."""
    out = []
    for t in tasks:
        urgent = t.priority != TaskPriority.ROUTINE or t.kind in URGENT_KINDS
        due_day = timezone.localdate(t.due_at)
        overdue = due_day < today
        when = (
            f"overdue since {rules.short_date(due_day, today)}"
            if overdue
            else ("due today" if due_day == today else f"due {rules.short_date(due_day, today)}")
        )
        head = f"{t.get_priority_display()} task, {when}"
        queue = f"In the {t.team} queue – claim it. " if t.owner_id is None else ""
        escalated = " (escalated)" if t.escalated_to_id else ""
        reason = f"{queue}{head}: {t.title}{escalated}"
        short = f"{queue}{t.get_priority_display().lower()} task, {when}{escalated}"
        out.append(
            WorkItem(
                Band.URGENT if urgent else Band.OTHER,
                "task",
                t.patient_id,
                t.due_at,
                reason,
                case_id=t.case_id,
                # The case's programme (a pharmacist's or a queue's task too), for the column and the filter.
                program=t.case.program if t.case is not None else "",
                task_id=t.pk,
                priority_rank=rules.PRIORITY_RANK.get(TaskPriority(t.priority), 9),
                overdue=overdue,
                staff_id=t.owner_id,
                rule=t.rule,
                short=short,
            )
        )
    return out


def cadence_table(organization_id: int | None) -> dict[tuple[str, int], rules.Cadence]:
    return {
        (r.program, r.acuity_tier): rules.Cadence(r.interval_days, r.mode, r.by_whom)
        for r in CadenceRule.objects.filter(organization_id=organization_id or 0)
    }


def cadence_of(case: Case, table: dict[tuple[str, int], rules.Cadence]) -> rules.Cadence:
    return table.get((case.program, case.acuity_tier)) or rules.cadence_for(case.acuity_tier)


def _contact_items(
    cases: Sequence[Case],
    organization_id: int | None,
    today: dt.date,
    table: dict[tuple[str, int], rules.Cadence] | None = None,
) -> list[WorkItem]:
    if not cases:
        return []
    table = cadence_table(organization_id) if table is None else table
    patient_ids = [c.patient_id for c in cases]
    horizon = clock.now() - dt.timedelta(days=366)
    failed: dict[int, list[dt.datetime]] = defaultdict(list)
    for pid, at in Contact.objects.filter(
        patient_id__in=patient_ids,
        reached=False,
        direction=ContactDirection.OUTBOUND,
        contact_at__gte=horizon,
    ).values_list("patient_id", "contact_at"):
        failed[pid].append(at)
    steps: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for case_id, step, done_at in OutreachAttempt.objects.filter(
        case_id__in=[c.pk for c in cases]
    ).values_list("case_id", "step", "done_at"):
        steps[case_id].append((step, done_at))
    labels = portal_labels()
    out = []
    for case in cases:
        if getattr(case, "in_hospital", False):
            continue  # outreach pauses while the patient is in hospital
        last: dt.datetime | None = getattr(case, "last_success", None)
        cadence = cadence_of(case, table)
        # The cadence asks for the team's own contact: it runs from the last reached contact only.
        follow = rules.next_contact(
            timezone.localdate(last) if last else None,
            timezone.localdate(case.enrolled_at or case.referred_at),
            cadence,
            today,
        )
        portal = portal_activity(case, labels)
        since = rules.last_reached(last, portal)
        attempts = [
            timezone.localtime(a) for a in failed.get(case.patient_id, []) if since is None or a > since
        ]
        done = {s for s, at in steps.get(case.pk, []) if since is None or at > since}
        reach = rules.reach_state(attempts, done, settings.UNABLE_TO_REACH_ATTEMPTS)
        common = case_fields(case)
        how = f" by {cadence.mode.replace('_', ' ')}" + (f", {cadence.by_whom}" if cadence.by_whom else "")
        how += rules.portal_note(portal, timezone.localtime(last) if last else None, today)
        if reach.stage in ("protocol", "may-close"):
            out.append(
                WorkItem(
                    Band.CONTACT,
                    "outreach",
                    case.patient_id,
                    end_of_day(today),
                    reach.message,
                    overdue=True,
                    **common,
                )
            )
        elif follow.overdue or follow.due_today:
            reason = follow.reason + how
            if reach.stage == "trying":
                reason += f". {reach.message}"
            out.append(
                WorkItem(
                    Band.CONTACT,
                    "contact",
                    case.patient_id,
                    end_of_day(follow.due_on),
                    reason,
                    overdue=follow.overdue,
                    **common,
                )
            )
        elif follow.due_on <= today + dt.timedelta(days=UPCOMING_DAYS):
            out.append(
                WorkItem(
                    Band.OTHER,
                    "contact",
                    case.patient_id,
                    end_of_day(follow.due_on),
                    follow.reason + how,
                    **common,
                )
            )
    return out


def _transition_items(cases: Sequence[Case], organization_id: int | None, today: dt.date) -> list[WorkItem]:
    if not cases:
        return []
    by_patient = {c.patient_id: c for c in cases}
    window_start = today - dt.timedelta(days=rules.TCM_PERIOD_DAYS)
    discharges = list(
        Encounter.objects.filter(
            patient_id__in=list(by_patient),
            encounter_class__in=DISCHARGE_CLASSES,
            end__isnull=False,
            end__gte=end_of_day(window_start - dt.timedelta(days=1)),
            end__lte=clock.now(),
            discharge_disposition__in=COMMUNITY_DISCHARGES,
        ).values_list("patient_id", "end", "facility")
    )
    if not discharges:
        return []
    since = end_of_day(window_start - dt.timedelta(days=1))
    contacts: dict[int, list[dt.date]] = defaultdict(list)
    visits: dict[int, list[dt.date]] = defaultdict(list)
    # The same reading as the time report (billing.py): an interactive contact in INTERACTIVE_MODES; the visit is
    # an ambulatory encounter or a physician's reached in-person contact, not a nurse's home visit.
    for pid, at, mode, discipline in Contact.objects.filter(
        patient_id__in=[d[0] for d in discharges],
        contact_at__gte=since,
        reached=True,
        mode__in=INTERACTIVE_MODES,
    ).values_list("patient_id", "contact_at", "mode", "staff__profile__discipline"):
        day = timezone.localdate(at)
        contacts[pid].append(day)
        if mode in FACE_TO_FACE_MODES and discipline == Discipline.PHYSICIAN:
            visits[pid].append(day)
    for pid, start in Encounter.objects.filter(
        patient_id__in=[d[0] for d in discharges], encounter_class=EncounterClass.AMBULATORY, start__gte=since
    ).values_list("patient_id", "start"):
        visits[pid].append(timezone.localdate(start))
    reconciled: dict[int, list[dt.date]] = defaultdict(list)
    # By app label: medications sits above coordination in the import graph.
    for pid, done in (
        apps.get_model("medications", "Reconciliation")
        .objects.filter(patient_id__in=[d[0] for d in discharges], completed_at__gte=since)
        .values_list("patient_id", "completed_at")
    ):
        reconciled[pid].append(timezone.localdate(done))
    holidays = holiday_set(organization_id or 0, window_start, today + dt.timedelta(days=14))
    out = []
    latest: dict[int, tuple[dt.datetime, str]] = {}
    for pid, end, facility in discharges:
        if end is not None and (pid not in latest or end > latest[pid][0]):
            latest[pid] = (end, facility)
    for pid, (end, facility) in latest.items():
        case = by_patient[pid]
        day = timezone.localdate(end)
        clock_ = rules.transition_clock(
            day,
            high_complexity=case.acuity_tier >= 3,
            holidays=holidays,
            interactive_contacts=contacts.get(pid, []),
            visits=visits.get(pid, []),
            reconciliations=reconciled.get(pid, []),
        )
        where = f" from {facility}" if facility else ""
        common = case_fields(case)
        head = f"Discharged{where} {day:%b} {day.day}"
        if clock_.contact_on is None:
            due = clock_.contact_due
            missed = due < today
            reason = (
                f"{head}: 2-business-day contact was due {due:%b} {due.day} – missed, call now"
                if missed
                else f"{head}: interactive contact due by {due:%a %b} {due.day} (2 business days)"
            )
            out.append(
                WorkItem(
                    Band.TRANSITION, "transition", pid, end_of_day(due), reason, overdue=missed, **common
                )
            )
        elif clock_.visit_on is None and today <= clock_.period_end:
            due = clock_.visit_due
            days = (due - day).days
            missed = due < today
            reason = (
                f"{head}: follow-up visit {'was ' if missed else ''}due by {due:%b} {due.day} ({days} days)"
                + ("" if clock_.reconciled_on else "; medicines to reconcile by then")
            )
            out.append(
                WorkItem(
                    Band.TRANSITION, "transition", pid, end_of_day(due), reason, overdue=missed, **common
                )
            )
        elif clock_.reconciled_on is None and today <= clock_.period_end:
            # TCM asks for the medicines to be reconciled by the visit (clinical.md §7): it is late already.
            assert clock_.visit_on is not None
            reason = f"{head}: visit done, medicines not reconciled – reconcile them now"
            out.append(
                WorkItem(
                    Band.TRANSITION,
                    "reconcile",
                    pid,
                    end_of_day(clock_.visit_on),
                    reason,
                    overdue=clock_.visit_on < today,
                    **common,
                )
            )
        elif today <= clock_.period_end:
            out.append(
                WorkItem(
                    Band.OTHER,
                    "transition",
                    pid,
                    end_of_day(clock_.period_end),
                    f"{head}: in the 30-day transitional period until {clock_.period_end:%b} {clock_.period_end.day}",
                    **common,
                )
            )
    return out
