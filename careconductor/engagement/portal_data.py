"""What the portal pages show, gathered for the patient whose record is open (already permission-checked by
the portal guard): upcoming contacts and appointments, goals to check in on, doses today, charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from careconductor.appointments.queries import upcoming as upcoming_appointments
from careconductor.assessments.choices import AssessmentStatus
from careconductor.assessments.models import Assessment, Questionnaire
from careconductor.assessments.trend import Trend, layout
from careconductor.careplans.choices import GoalLifecycle, PlanStatus
from careconductor.careplans.models import Goal
from careconductor.cases.models import Case
from careconductor.coordination.models import Flag
from careconductor.coordination.queries import case_follow_up
from careconductor.core import clock
from careconductor.patients.models import Encounter, Patient

from . import queries, rules
from .choices import ThresholdMeasure
from .models import Message

GOAL_OPEN = (GoalLifecycle.ACTIVE, GoalLifecycle.ACCEPTED, GoalLifecycle.PLANNED)


@dataclass(frozen=True)
class Upcoming:
    day: dt.date
    what: str
    detail: str = ""
    url: str = ""  # the page that tells more (an appointment's, where the patient confirms it)


def upcoming(patient: Patient, days: int = 60) -> list[Upcoming]:
    """The next call from the care team, appointments booked (appointments app) and visits, soonest first."""
    today = clock.today()
    until = today + dt.timedelta(days=days)
    found: list[Upcoming] = []
    case = (
        Case.objects.open()
        .filter(patient=patient)
        .select_related("primary_case_manager", "organization")
        .order_by("-referred_at")
        .first()
    )
    if case is not None:
        follow = case_follow_up(case).next_contact
        if follow is not None:
            who = case.primary_case_manager.get_full_name() if case.primary_case_manager else ""
            found.append(Upcoming(max(follow.due_on, today), _("Your care team will contact you"), who))
    for booked in upcoming_appointments(patient, days):
        found.append(
            Upcoming(
                timezone.localdate(booked.starts_at),
                f"{timezone.localtime(booked.starts_at):%H:%M} {booked.purpose}",
                booked.with_whom,
                reverse("portal:appointment", kwargs={"appointment_id": booked.pk}),
            )
        )
    for visit in Encounter.objects.filter(patient=patient, start__date__gte=today, start__date__lte=until):
        found.append(Upcoming(timezone.localdate(visit.start), _("Visit"), visit.facility or visit.reason))
    return sorted(found, key=lambda u: u.day)


def goals_to_check_in(patient: Patient) -> list[Goal]:
    """The goals of the plan in force that are still being worked on, with their latest check-in."""
    goals = list(
        Goal.objects.filter(patient=patient, plan__status=PlanStatus.ACTIVE, lifecycle__in=GOAL_OPEN)
    )
    latest = queries.goal_check_ins(patient)
    for goal in goals:
        goal.last_check_in = latest.get(goal.pk)  # type: ignore[attr-defined]
    return goals


def recent_instructions(patient: Patient) -> list[Flag]:
    """Open alerts the patient's own reports raised in the last day, so the home page repeats what to do."""
    since = clock.now() - dt.timedelta(days=1)
    return list(
        Flag.objects.filter(
            patient=patient, status="active", rule__startswith="self-report:", raised_at__gte=since
        )
    )


def doses_today(patient: Patient) -> list[Any]:
    from careconductor.medications.queries import doses_for_day

    return list(doses_for_day(patient, clock.today()))


def self_assessments(patient: Patient, slugs: tuple[str, ...]) -> list[dict[str, Any]]:
    """The questionnaires a patient may answer, each with when they last did."""
    rows = {q.slug: q for q in Questionnaire.objects.filter(slug__in=slugs)}
    last: dict[int, Assessment] = {}
    for a in Assessment.objects.filter(
        patient=patient, questionnaire__slug__in=slugs, status=AssessmentStatus.COMPLETED
    ).order_by("completed_at"):
        last[a.questionnaire_id] = a
    return [{"questionnaire": rows[s], "last": last.get(rows[s].pk)} for s in slugs if s in rows]


def thread(message: Message) -> list[Message]:
    """The message, what it answers, and the replies to it, oldest first."""
    root = message
    while root.reply_to_id is not None and root.reply_to is not None:
        root = root.reply_to
    found = [root]
    frontier = [root.pk]
    while frontier:
        children = list(
            Message.objects.filter(reply_to_id__in=frontier)
            .select_related("sender")
            .prefetch_related("attachments")
        )
        found.extend(children)
        frontier = [c.pk for c in children]
    return sorted(found, key=lambda m: (m.sent_at, m.pk))


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    trend: Trend | None
    rows: list[tuple[dt.datetime, str]]
    limits: str
    target: str


def charts(patient: Patient, days: int = 90) -> list[Chart]:
    """One chart per measure the patient reports, with their alert limits and any goal target drawn."""
    since = clock.now() - dt.timedelta(days=days)
    readings = queries.self_readings(patient, since)
    limits = queries.limits_for(patient)
    targets = {
        g.measure: g.target_value
        for g in Goal.objects.filter(patient=patient, plan__status=PlanStatus.ACTIVE, lifecycle__in=GOAL_OPEN)
        if g.target_value is not None
    }
    by_measure: dict[str, list[tuple[dt.datetime, Decimal]]] = {}
    for r in readings:
        by_measure.setdefault(r.measure, []).append((r.taken_at, r.value))
    out: list[Chart] = []
    specs = [
        ("bp-systolic", _("Blood pressure: top number"), "mmHg", ThresholdMeasure.BP_SYSTOLIC),
        ("bp-diastolic", _("Blood pressure: bottom number"), "mmHg", ThresholdMeasure.BP_DIASTOLIC),
        ("glucose", _("Blood sugar"), "mg/dL", ThresholdMeasure.GLUCOSE),
        ("weight", _("Weight"), "kg", None),
        ("peak-flow", _("Peak flow"), "L/min", ThresholdMeasure.PEAK_FLOW),
    ]
    for key, title, unit, limit_key in specs:
        values = by_measure.get(key)
        if not values:
            continue
        lines: list[tuple[Decimal, str]] = []
        limit = limits.get(limit_key) if limit_key else None
        if limit is not None:
            if limit.high is not None:
                lines.append((limit.high, _("call your team")))
            if limit.low is not None:
                lines.append((limit.low, _("call your team")))
        target = targets.get(key)
        if target is not None:
            lines.append((target, _("your goal")))
        every = [v for _, v in values] + [v for v, _ in lines]
        low, high = min(every), max(every)
        pad = max((high - low) / 10, Decimal(1))
        trend = layout(
            [
                (
                    t.timestamp(),
                    v,
                    f"{timezone.localtime(t):%m/%d}",
                    f"{timezone.localtime(t):%Y-%m-%d %H:%M}: {v.normalize():f} {unit}",
                )
                for t, v in values
            ],
            low=max(Decimal(0), low - pad),
            high=high + pad,
            bands=lines,
        )
        limit_text = ""
        if limit is not None:
            parts = []
            if limit.low is not None:
                parts.append(_("below %(n)s") % {"n": f"{limit.low:.0f}"})
            if limit.high is not None:
                parts.append(
                    (_("above %(n)s") if key in rules.ABOVE_ONLY else _("%(n)s or higher"))
                    % {"n": f"{limit.high:.0f}"}
                )
            limit_text = _("Call your team if it is %(when)s.") % {"when": _(" or ").join(parts)}
        out.append(
            Chart(
                str(title),
                unit,
                trend,
                [(t, f"{v.normalize():f}") for t, v in reversed(values[-10:])],
                limit_text,
                (_("Your goal: %(n)s") % {"n": f"{target.normalize():f} {unit}"})
                if target is not None
                else "",
            )
        )
    return out
