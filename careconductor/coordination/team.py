"""The supervisor's team view: who is behind, counted per person in a few aggregate queries, and the team's most
pressing items.

The counts are the worklist's own (worklist.build_team_worklist builds every item of the teams, which took 20 s
at 24,000 open cases): a contact is overdue or due today by the cadence (rules.next_contact), and a case whose
patient failed to answer often enough since last reached is left to the worklist's own code, as are the few
cases with a recent discharge, so the unable-to-reach and transitional-care rules stay written once. The
number of queries is fixed whatever the number of people and cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThan
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.accounts.models import StaffProfile, User
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.cases.queries import caseload_loads
from careconductor.cases.rules import Load
from careconductor.core import clock
from careconductor.patients.models import Encounter, Patient

from . import rules
from .choices import ContactDirection, FlagStatus, TaskPriority
from .models import Contact, Flag, Task
from .rules import Band, WorkItem
from .worklist import (
    COMMUNITY_DISCHARGES,
    DISCHARGE_CLASSES,
    URGENT_KINDS,
    _contact_items,
    _task_items,
    _transition_items,
    _with_last_success,
    cadence_table,
    end_of_day,
    flag_items,
    open_stays,
    team_cases,
    team_tasks,
)

# What the worklist's contact and transition rules read of a case (the rest is left unloaded).
CASE_FIELDS = (
    "id",
    "patient_id",
    "program",
    "status",
    "acuity_tier",
    "primary_case_manager_id",
    "referred_at",
    "enrolled_at",
)
URGENT_SHOWN = 100  # the table of urgent and overdue work names at most this many items
REACH_HORIZON_DAYS = 366  # failed attempts older than this never count (as in the worklist)


@dataclass
class PersonRow:
    profile: StaffProfile
    load: Load
    contacts_overdue: int = 0
    due_today: int = 0
    tasks_overdue: int = 0
    escalated: int = 0
    transitions: int = 0

    @property
    def behind(self) -> int:
        return self.contacts_overdue + self.tasks_overdue


@dataclass
class TeamView:
    rows: list[PersonRow]  # the most behind first
    urgent: list[WorkItem]  # ranked, at most URGENT_SHOWN
    patients: dict[int, Patient]  # the patients the urgent items name


def team_view(user: User, *, today: dt.date | None = None) -> TeamView:
    day = today or clock.today()
    profiles = StaffProfile.objects.filter(
        user__organization_id=user.organization_id or 0, user__is_active=True
    ).exclude(caseload_capacity=0)
    if user.role != Role.ADMIN:
        profiles = profiles.filter(team__supervisor=user)
    people = list(profiles.select_related("user", "team"))
    loads = caseload_loads({p.user_id: p.caseload_capacity for p in people})
    rows = {p.user_id: PersonRow(p, loads[p.user_id]) for p in people}

    cases = team_cases(user)
    active = cases.filter(status=CaseStatus.ACTIVE)
    table = cadence_table(user.organization_id)
    tasks = team_tasks(user)
    # One pass over the active cases: the cadence's state of each, and the few that the worklist's own code
    # must see (those that may be on the unable-to-reach steps, which it counts instead, and those with a
    # recent discharge), loaded afterwards by id.
    trying_ids: list[int] = []
    discharged_ids: list[int] = []
    for pk, person, state, is_trying, is_discharged in _case_states(active, table, day):
        if is_discharged:
            discharged_ids.append(pk)
        if is_trying:
            trying_ids.append(pk)
        elif (row := rows.get(person or 0)) is not None:
            row.contacts_overdue += state == OVERDUE
            row.due_today += state == DUE_TODAY
    loaded = _with_last_success(
        Case.objects.filter(pk__in=trying_ids + discharged_ids).only(*CASE_FIELDS), patient=False
    ).in_bulk()
    items = _contact_items([loaded[pk] for pk in trying_ids], user.organization_id, day, table)
    for item in items:
        if (row := rows.get(item.staff_id or 0)) is not None and item.band == Band.CONTACT:
            row.contacts_overdue += 1 if item.overdue else 0
            row.due_today += 0 if item.overdue else 1
    discharged = [loaded[pk] for pk in discharged_ids]
    transitions = _transition_items(discharged, user.organization_id, day)
    for item in transitions:
        if (row := rows.get(item.staff_id or 0)) is not None and item.band == Band.TRANSITION:
            row.transitions += 1
    late = _day_start(day)
    for person, n, escalated in (
        tasks.filter(owner_id__in=list(rows), due_at__lt=late)
        .values_list("owner_id")
        .annotate(n=Count("pk"), escalated=Count("pk", filter=Q(escalated_to__isnull=False)))
        .order_by()
    ):
        rows[person].tasks_overdue += n
        rows[person].escalated += escalated

    urgent = _urgent(cases, active, tasks, table, day, user.organization_id)
    urgent += [i for i in items + transitions if i.overdue and i.band <= Band.TRANSITION]
    shown = rules.rank({_key(i): i for i in urgent}.values())[:URGENT_SHOWN]
    patients = Patient.objects.in_bulk({i.patient_id for i in shown})
    ordered = sorted(rows.values(), key=lambda r: (-r.behind, r.profile.user.last_name))
    return TeamView(ordered, shown, patients)


def _key(item: WorkItem) -> tuple[str, int, int | None, int | None, int | None]:
    """The same work found twice (an overdue contact found by two queries) is one row."""
    return (item.kind, item.patient_id, item.case_id, item.task_id, item.flag_id)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


def _by_cadence(table: dict[tuple[str, int], rules.Cadence], value: Callable[[int], Any]) -> SqlCase:
    """An SQL CASE giving, per case, `value(interval days)` of its cadence (the programme's row for its tier,
    else the default: worklist.cadence_of)."""
    whens = [When(program=p, acuity_tier=t, then=value(c.interval_days)) for (p, t), c in table.items()]
    whens += [When(acuity_tier=t, then=value(d)) for t, d in rules.DEFAULT_CADENCE_DAYS.items()]
    return SqlCase(*whens, default=Value(None), output_field=DateTimeField())


def _reach_filter(day: dt.date) -> tuple[Q, Coalesce, int]:
    """Which cases may have reached the unable-to-reach steps: a cheap, uncorrelated filter on their patient
    (enough failed attempts in the horizon), then the count of failed outbound attempts since the patient was
    last reached by a contact (portal activity only makes that moment later, so the count is never too small);
    and how many it takes."""
    horizon = clock.now() - dt.timedelta(days=REACH_HORIZON_DAYS)
    required = max(settings.UNABLE_TO_REACH_ATTEMPTS, 1)
    failed = Contact.objects.filter(
        reached=False, direction=ContactDirection.OUTBOUND, contact_at__gte=horizon
    )
    often = (
        failed.order_by()
        .values("patient_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=required)
        .values("patient_id")
    )
    # Inside the attempts' query, the attempt's own patient's last reached moment.
    since = Coalesce("patient__last_reached_at", Value(horizon, output_field=DateTimeField()))
    count = Subquery(
        failed.filter(patient_id=OuterRef("patient_id"), contact_at__gt=since)
        .order_by()
        .values("patient_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    return Q(patient_id__in=often), Coalesce(count, 0), required


LATER, OVERDUE, DUE_TODAY = 0, 1, 2  # the cadence's state of each case


def _case_states(
    active: QuerySet[Case], table: dict[tuple[str, int], rules.Cadence], day: dt.date
) -> QuerySet[Case, tuple[int, int | None, int, bool, bool]]:
    """(case id, case manager, cadence state, trying to reach, recently discharged) of each active case, in one
    query. A contact is overdue when the patient's last reached moment (Patient.last_reached_at; or the case's
    start, with none) lies before today less the cadence's interval, and due today when on that day
    (rules.next_contact, compared as moments: the start of the local day). Trying to reach: the patient failed
    to answer often enough since last reached for the unable-to-reach steps (the cheap filter on the patient
    first, so the count runs for few cases). Recently discharged: as worklist._transition_items reads it."""
    since = Coalesce("patient__last_reached_at", "enrolled_at", "referred_at")
    state = SqlCase(
        When(Exists(open_stays()), then=Value(LATER)),  # outreach pauses while in hospital (as the worklist)
        When(LessThan(since, _bound(table, day, 0)), then=Value(OVERDUE)),
        When(LessThan(since, _bound(table, day, 1)), then=Value(DUE_TODAY)),
        default=Value(LATER),
    )
    often, failed, required = _reach_filter(day)
    trying = SqlCase(
        When(often & Q(GreaterThanOrEqual(failed, required)), then=Value(True)),
        default=Value(False),
        output_field=BooleanField(),
    )
    return active.annotate(
        state=state, trying=trying, discharged=Exists(_recent_discharges(day))
    ).values_list("pk", "primary_case_manager_id", "state", "trying", "discharged")


def _bound(table: dict[tuple[str, int], rules.Cadence], day: dt.date, days_after: int) -> SqlCase:
    """The start of the local day `days_after` days after today less the case's cadence interval: a contact
    before the bound with 0 is overdue, before the bound with 1 due today."""
    return _by_cadence(
        table,
        lambda interval: Value(
            _day_start(day - dt.timedelta(days=interval - days_after)), output_field=DateTimeField()
        ),
    )


def _recent_discharges(day: dt.date) -> QuerySet[Encounter]:
    """A discharge home inside the transitional-care window (as worklist._transition_items reads it)."""
    window_start = day - dt.timedelta(days=rules.TCM_PERIOD_DAYS)
    return Encounter.objects.filter(
        patient_id=OuterRef("patient_id"),
        encounter_class__in=DISCHARGE_CLASSES,
        end__isnull=False,
        end__gte=end_of_day(window_start - dt.timedelta(days=1)),
        end__lte=clock.now(),
        discharge_disposition__in=COMMUNITY_DISCHARGES,
    )


def _urgent(
    cases: QuerySet[Case],
    active: QuerySet[Case],
    tasks: QuerySet[Task],
    table: dict[tuple[str, int], rules.Cadence],
    day: dt.date,
    organization_id: int | None,
) -> list[WorkItem]:
    """The teams' urgent work: safety flags and urgent tasks (with the alerts they merge into), and, when those
    leave room on the table, the contacts most overdue."""
    flags = (
        Flag.objects.filter(status=FlagStatus.ACTIVE)
        .filter(
            Exists(cases.filter(patient_id=OuterRef("patient_id")))
            | Exists(tasks.filter(patient_id=OuterRef("patient_id")))
        )
        .annotate(
            manager_id=Subquery(
                cases.filter(patient_id=OuterRef("patient_id")).values("primary_case_manager_id")[:1]
            )
        )
    )
    pressing = tasks.filter(
        ~Q(priority=TaskPriority.ROUTINE) | Q(kind__in=URGENT_KINDS) | ~Q(rule="")
    ).select_related("team", "case")
    flag_list = list(flags)
    items = rules.merge_alerts(
        _task_items(pressing, day) + flag_items(flag_list, {f.patient_id: f.manager_id for f in flag_list})
    )
    items = [i for i in items if i.band == Band.URGENT]
    if len(items) < URGENT_SHOWN:
        ref = Coalesce("patient__last_reached_at", "enrolled_at", "referred_at")
        due = _by_cadence(
            table, lambda days: ExpressionWrapper(ref + Value(dt.timedelta(days=days)), DateTimeField())
        )
        overdue_before = _by_cadence(table, lambda days: Value(_day_start(day - dt.timedelta(days=days))))
        late = _with_last_success(
            active.only(*CASE_FIELDS)
            .annotate(contact_due=due)
            .filter(LessThan(ref, overdue_before))
            .order_by("contact_due", "-acuity_tier", "pk"),
            patient=False,
        )[: URGENT_SHOWN - len(items)]
        items += _contact_items(list(late), organization_id, day, table)
    return items
