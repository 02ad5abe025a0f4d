"""What the care plan action tests share: a check that a refused action changed nothing, a goal with
defaults, the refused fields, audit counts."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest

from careconductor.careplans import actions
from careconductor.careplans.models import (
    Barrier,
    CarePlan,
    Goal,
    GoalProgress,
    GoalStep,
    Intervention,
    PlanAgreement,
    PlanReview,
    PlanVersion,
    Problem,
    Reading,
    SharedDecision,
)
from careconductor.coordination.models import Task
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Condition
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
WATCHED = [
    CarePlan, PlanVersion, PlanAgreement, PlanReview, Problem, Goal, GoalStep, Barrier, Intervention,
    SharedDecision, GoalProgress, Reading, Condition, Task, AuditEvent,
]  # fmt: skip


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in WATCHED}


class Unchanged:
    """`with Unchanged(plan):` — the block must raise, and leave every row (and the plan) as it was."""

    def __init__(self, plan: CarePlan | None = None) -> None:
        self.plan = plan

    def __enter__(self) -> Unchanged:
        self.before = counts()
        self.plan_row = self._plan_row()
        return self

    def _plan_row(self) -> dict[str, Any] | None:
        if self.plan is None:
            return None
        return CarePlan.objects.filter(pk=self.plan.pk).values().get()

    def __exit__(self, *exc: object) -> None:
        assert counts() == self.before
        assert self._plan_row() == self.plan_row


def no_approval(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()


def with_approval(settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset({"complex_cm"})


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=NEW_YORK)


def add_goal(user, plan: CarePlan, **fields: Any) -> Goal:  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "patient_words": "I want to walk to church on Sundays again.",
        "measure": "other",
        "measure_text": "Walks to church",
        "target_text": "Walks to church most Sundays",
    }
    values.update(fields)
    return actions.do_add_goal(user, plan, **values)


def refused_fields(call, *args: Any, **kwargs: Any) -> set[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ActionRefused) as refused:
        call(*args, **kwargs)
    return set(refused.value.errors)


def audited(user, plan_or_patient, object_type: str, action: AuditAction | None = None) -> int:  # type: ignore[no-untyped-def]
    patient = getattr(plan_or_patient, "patient", plan_or_patient)
    found = AuditEvent.objects.filter(user=user, patient=patient, object_type=object_type)
    if action is not None:
        found = found.filter(action=action)
    return found.count()
