"""What care plans add to coordination: plan reviews on the worklist, and goals with their outcomes in a
case's closing summary; and to the risk scores, the labs of a stay (readings). Registered from
CareplansConfig.ready()."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.utils import timezone

from careconductor.assessments.chart_facts import lab_source
from careconductor.cases.models import Case
from careconductor.coordination.hooks import summary_section, worklist_source
from careconductor.coordination.rules import Band, WorkItem
from careconductor.coordination.worklist import case_fields
from careconductor.core import clock
from careconductor.patients.choices import EncounterClass
from careconductor.patients.models import Encounter, Patient

from . import rules
from .choices import GoalLifecycle, PlanStatus
from .models import CarePlan, Goal, Reading
from .progress import achievement_label, goal_progress

HORIZON_DAYS = 7
STAY_LABS = ("haemoglobin", "sodium")


@lab_source
def labs_in(patient: Patient, since: dt.datetime, until: dt.datetime) -> dict[str, float]:
    """The last haemoglobin and sodium readings taken between the two moments (the HOSPITAL score's labs)."""
    rows = Reading.objects.filter(
        patient=patient, measure__in=STAY_LABS, taken_at__gte=since, taken_at__lte=until
    ).order_by("taken_at", "pk")
    return {measure: float(value) for measure, value in rows.values_list("measure", "value")}


@worklist_source
def plan_review_items(cases: Sequence[Case], today: dt.date) -> list[WorkItem]:
    if not cases:
        return []
    by_id = {c.pk: c for c in cases}
    plans = list(
        CarePlan.objects.filter(
            case_id__in=list(by_id),
            status=PlanStatus.ACTIVE,
            review_due__isnull=False,
            last_reviewed_at__isnull=False,
        )
    )
    if not plans:
        return []
    earliest = min(p.last_reviewed_at for p in plans if p.last_reviewed_at)
    discharges: dict[int, list[dt.datetime]] = defaultdict(list)
    for pid, end in Encounter.objects.filter(
        patient_id__in=[p.patient_id for p in plans],
        encounter_class=EncounterClass.INPATIENT,
        end__isnull=False,
        end__gt=earliest,
        end__lte=clock.now(),
    ).values_list("patient_id", "end"):
        if end is not None:
            discharges[pid].append(end)
    out = []
    for plan in plans:
        assert plan.review_due is not None and plan.last_reviewed_at is not None
        mine = [
            timezone.localdate(e) for e in discharges.get(plan.patient_id, []) if e > plan.last_reviewed_at
        ]
        state = rules.review_state(plan.review_due, timezone.localdate(plan.last_reviewed_at), mine, today)
        if state.due_on > today + dt.timedelta(days=HORIZON_DAYS):
            continue
        case = by_id[plan.case_id]
        when = f"overdue ({state.reason})" if state.overdue else f"due {state.due_on:%b} {state.due_on.day}"
        out.append(
            WorkItem(
                Band.REVIEW,
                "plan-review",
                plan.patient_id,
                timezone.make_aware(dt.datetime.combine(state.due_on, dt.time(23, 59))),
                f"Care plan review {when}",
                overdue=state.overdue,
                **case_fields(case),
            )
        )
    return out


@summary_section
def goals_section(case: Case) -> tuple[str, list[str]]:
    """Each goal of the case's plans with its final status and, for measured goals, baseline against latest."""
    goals = list(
        Goal.objects.filter(plan__case=case).exclude(lifecycle=GoalLifecycle.ENTERED_IN_ERROR).order_by("pk")
    )
    progress = goal_progress(goals)
    lines = []
    for goal in goals:
        status = goal.get_lifecycle_display()
        if goal.achievement:
            status += f", {achievement_label(goal.achievement).lower()}"
        line = f"“{goal.patient_words}” – {status}"
        view = progress.get(goal.pk)
        if goal.measure_def.numeric and goal.baseline_value is not None:
            latest = view.latest if view else None
            unit = f" {goal.measure_def.unit}" if goal.measure_def.unit else ""
            now = f"{latest[1]:g}{unit} on {latest[0]:%Y-%m-%d}" if latest else "no later value"
            line += f". {goal.measure_label}: baseline {goal.baseline_label}{unit}, latest {now}"
            if goal.target_value is not None:
                line += f", target {goal.target_label}"
        lines.append(line)
    return "Goals and outcomes", lines
