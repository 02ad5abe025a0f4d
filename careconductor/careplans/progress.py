"""A goal's progress from the values that arrive for its measure: assessment totals (FHIR Observations the
assessments app keeps) and readings typed by staff. Nothing is copied: progress is read when it is shown, so a
PHQ-9 finished this morning moves the depression goal this morning."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from careconductor.assessments.models import AssessmentScore
from careconductor.patients.models import Patient

from . import rules
from .choices import Achievement
from .measures import LOINC, MEASURES, measure
from .models import Goal, Reading


def readings_for(
    patient: Patient, key: str, *, since: dt.date | None, until: dt.datetime | None = None
) -> list[tuple[dt.date, Decimal]]:
    """The values for one measure, oldest first."""
    return values_by_measure([patient.pk], {key}, since=since, until=until).get((patient.pk, key), [])


def values_by_measure(
    patient_ids: Iterable[int], keys: set[str], *, since: dt.date | None, until: dt.datetime | None = None
) -> dict[tuple[int, str], list[tuple[dt.date, Decimal]]]:
    """Values for several patients and measures in two queries: {(patient id, measure): [(day, value)…]}."""
    ids = list(patient_ids)
    numeric = {k for k in keys if measure(k).numeric}
    out: dict[tuple[int, str], list[tuple[dt.datetime, Decimal]]] = defaultdict(list)
    if not ids or not numeric:
        return {}
    by_code = {MEASURES[k].loinc: k for k in numeric if MEASURES[k].instrument}
    if by_code:
        scores = AssessmentScore.objects.filter(
            patient_id__in=ids, code_system=LOINC, code__in=list(by_code), status="final"
        )
        if since is not None:
            scores = scores.filter(effective_at__date__gte=since)
        if until is not None:
            scores = scores.filter(effective_at__lt=until)
        for pid, code, score, at in scores.values_list("patient_id", "code", "value", "effective_at"):
            out[(pid, by_code[code])].append((at, Decimal(score)))
    typed = Reading.objects.filter(patient_id__in=ids, measure__in=list(numeric))
    if since is not None:
        typed = typed.filter(taken_at__date__gte=since)
    if until is not None:
        typed = typed.filter(taken_at__lt=until)
    for pid, key, value, at in typed.values_list("patient_id", "measure", "value", "taken_at"):
        out[(pid, key)].append((at, value))
    return {
        k: [(timezone.localdate(at), value) for at, value in sorted(v, key=lambda pair: pair[0])]
        for k, v in out.items()
    }


@dataclass(frozen=True)
class GoalProgressView:
    goal: Goal
    values: list[tuple[dt.date, Decimal]]
    suggestion: rules.Suggestion | None

    @property
    def latest(self) -> tuple[dt.date, Decimal] | None:
        return self.values[-1] if self.values else None

    @property
    def to_confirm(self) -> bool:
        """The readings suggest a status other than the one the case manager last set."""
        return (
            self.suggestion is not None
            and self.suggestion.achievement != self.goal.achievement
            and self.goal.lifecycle in rules.GOAL_WORKING
        )


def goal_progress(goals: list[Goal]) -> dict[int, GoalProgressView]:
    """Each goal's values since its baseline (or since it was set) and what they suggest."""
    keys = {g.measure for g in goals if g.measure_def.numeric}
    earliest = min(
        (g.baseline_on or timezone.localdate(g.created_at) for g in goals if g.measure in keys), default=None
    )
    values = values_by_measure({g.patient_id for g in goals}, keys, since=earliest)
    views: dict[int, GoalProgressView] = {}
    for goal in goals:
        start = goal.baseline_on or timezone.localdate(goal.created_at)
        # The baseline reading itself is not progress.
        mine = [
            (day, v)
            for day, v in values.get((goal.patient_id, goal.measure), [])
            if day > start or (day == start and goal.baseline_on is None)
        ]
        suggestion = rules.suggest_achievement(
            goal.measure_def,
            goal.baseline_value,
            goal.target_value,
            mine,
        )
        views[goal.pk] = GoalProgressView(goal, mine, suggestion)
    return views


def achievement_label(code: str) -> str:
    return Achievement(code).label if code in Achievement.values else "Not yet assessed"
