"""Goals in the patient's words, their progress, small steps and barriers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import rules
from ..choices import (
    Achievement,
    BarrierKind,
    GoalLifecycle,
)
from ..measures import MEASURES, measure
from ..models import (
    Barrier,
    CarePlan,
    Goal,
    GoalProgress,
    GoalStep,
)
from .plans import _changed, _editing

GOAL_FIELDS = (
    "patient_words",
    "statement",
    "proposed_by",
    "agreement",
    "patient_rank",
    "measure",
    "measure_text",
    "baseline_value",
    "baseline_text",
    "baseline_on",
    "target_value",
    "target_text",
    "due_on",
)


def _check_goal(fields: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not str(fields.get("patient_words") or "").strip():
        errors["patient_words"] = "Write the goal as the patient says it."
    key = fields.get("measure") or "other"
    if key not in MEASURES:
        errors["measure"] = "Choose a measure from the list."
    else:
        m = measure(key)
        if key == "other" and not str(fields.get("measure_text") or "").strip():
            errors["measure_text"] = "Say how progress will be measured."
        if not m.numeric and fields.get("target_value") is not None:
            errors["target_value"] = f"{m.label} has no number; describe the target in words."
        if (
            m.numeric
            and fields.get("target_value") is None
            and not str(fields.get("target_text") or "").strip()
        ):
            errors["target_value"] = "Give the target value (or describe it)."
        if not m.numeric and not str(fields.get("target_text") or "").strip():
            errors["target_text"] = "Describe what reaching the goal looks like."
    due = fields.get("due_on")
    if due is not None and due < clock.today():
        errors["due_on"] = "The due date has passed; choose a later one."
    rank = fields.get("patient_rank")
    if rank is not None and not 1 <= rank <= 20:
        errors["patient_rank"] = "Rank from 1 (first) to 20."
    if errors:
        raise ActionRefused(errors)


def latest_value(
    patient: Patient, key: str, before: dt.datetime | None = None
) -> tuple[dt.date, Decimal] | None:
    """The most recent value for a measure (a typed reading or an assessment total), for a goal's baseline."""
    from ..progress import readings_for

    values = readings_for(patient, key, since=None, until=before)
    return values[-1] if values else None


def do_add_goal(
    user: User, plan: CarePlan, *, problem_ids: list[int] | None = None, template: str = "", **fields: Any
) -> Goal:
    """A goal in the patient's words. A numeric measure with no baseline typed takes the latest value on
    record (an assessment total, a lab) as its baseline, so nothing is typed twice."""
    fields = {k: v for k, v in fields.items() if k in GOAL_FIELDS}
    _check_goal(fields)
    with transaction.atomic():
        _editing(user, plan)
        if (
            fields.get("baseline_value") is None
            and not fields.get("baseline_text")
            and measure(fields.get("measure") or "other").numeric
        ):
            found = latest_value(plan.patient, fields["measure"])
            if found is not None:
                fields["baseline_on"], fields["baseline_value"] = found
        goal = Goal.objects.create(
            plan=plan, patient=plan.patient, created_by=user, template=template[:60], **fields
        )
        if problem_ids:
            # Only problems the writer sees: a goal is not hung on a sensitive record they may not read.
            goal.problems.set(
                policy.restrict_sensitive(
                    plan.problems.filter(pk__in=problem_ids), user, plan.patient, "condition__sensitivity"
                )
            )
        _changed(user, plan, goal, AuditAction.CREATE)
    return goal


def do_update_goal(user: User, goal: Goal, *, problem_ids: list[int] | None = None, **fields: Any) -> Goal:
    merged = {f: getattr(goal, f) for f in GOAL_FIELDS}
    merged.update({k: v for k, v in fields.items() if k in GOAL_FIELDS})
    if merged.get("due_on") == goal.due_on:
        merged["due_on"] = None  # an unchanged date that has since passed is not the user's mistake
    _check_goal(merged)
    merged["due_on"] = fields.get("due_on", goal.due_on)
    with transaction.atomic():
        _editing(user, goal.plan)
        for name, value in merged.items():
            setattr(goal, name, value)
        goal.save()
        if problem_ids is not None:
            goal.problems.set(goal.plan.problems.filter(pk__in=problem_ids))
        _changed(user, goal.plan, goal)
    return goal


def do_move_goal(user: User, goal: Goal, target: GoalLifecycle, *, note: str = "") -> Goal:
    """Move a goal along its lifecycle (rules.GOAL_TRANSITIONS); the reason is kept as a progress note."""
    problem = rules.goal_move_problem(
        GoalLifecycle(goal.lifecycle), target, Achievement(goal.achievement) if goal.achievement else None
    )
    if problem:
        raise ActionRefused({"lifecycle": problem})
    with transaction.atomic():
        _editing(user, goal.plan)
        goal.lifecycle = target
        goal.save(update_fields=["lifecycle", "updated_at"])
        GoalProgress.objects.create(
            goal=goal,
            written_at=clock.now(),
            author=user,
            note=f"Goal {target.label.lower()}. {note.strip()}".strip(),
        )
        _changed(user, goal.plan, goal, detail=f"lifecycle {target}")
    return goal


def do_record_progress(
    user: User, goal: Goal, *, note: str = "", achievement: Achievement | None = None, suggested: str = ""
) -> GoalProgress:
    """A progress note and, when given, the achievement status the case manager confirms (perhaps the one the
    readings suggested). Progress is not a change of plan: it makes no new version."""
    policy.require(user, policy.Action.CHANGE, goal.patient)
    if not note.strip() and achievement is None:
        raise ActionRefused({"note": "Write a note or choose how the goal is going."})
    if achievement is not None:
        problem = rules.achievement_problem(GoalLifecycle(goal.lifecycle), achievement)
        if problem:
            raise ActionRefused({"achievement": problem})
    with transaction.atomic():
        entry = GoalProgress.objects.create(
            goal=goal,
            written_at=clock.now(),
            author=user,
            note=note.strip(),
            achievement=achievement or "",
            suggested=suggested if suggested in Achievement.values else "",
        )
        if achievement is not None:
            goal.achievement = achievement
            goal.achievement_set_at = entry.written_at
            goal.save(update_fields=["achievement", "achievement_set_at", "updated_at"])
        audit.record(user, AuditAction.CREATE, patient=goal.patient, obj=entry, detail=achievement or "note")
    return entry


def do_add_step(user: User, goal: Goal, *, text: str, due_on: dt.date | None = None) -> GoalStep:
    if not text.strip():
        raise ActionRefused({"text": "Describe the step."})
    with transaction.atomic():
        _editing(user, goal.plan)
        step = GoalStep.objects.create(
            goal=goal, text=text.strip()[:300], due_on=due_on, position=goal.steps.count()
        )
        _changed(user, goal.plan, step, AuditAction.CREATE)
    return step


def do_mark_step(user: User, step: GoalStep, *, done: bool) -> GoalStep:
    """Ticking a step off is progress, not a change of plan."""
    policy.require(user, policy.Action.CHANGE, step.goal.patient)
    with transaction.atomic():
        step.done_on = clock.today() if done else None
        step.save(update_fields=["done_on", "updated_at"])
        audit.record(
            user, AuditAction.UPDATE, patient=step.goal.patient, obj=step, detail="done" if done else "undone"
        )
    return step


def do_remove_step(user: User, step: GoalStep) -> None:
    with transaction.atomic():
        _editing(user, step.goal.plan)
        _changed(user, step.goal.plan, step, AuditAction.DELETE)
        step.delete()


def do_add_barrier(
    user: User, goal: Goal, *, kind: BarrierKind, description: str, response: str = ""
) -> Barrier:
    if not description.strip():
        raise ActionRefused({"description": "Say what stands in the way."})
    with transaction.atomic():
        _editing(user, goal.plan)
        barrier = Barrier.objects.create(
            goal=goal, kind=kind, description=description.strip()[:300], response=response.strip()
        )
        _changed(user, goal.plan, barrier, AuditAction.CREATE)
    return barrier


def do_update_barrier(user: User, barrier: Barrier, *, response: str, resolved: bool) -> Barrier:
    with transaction.atomic():
        _editing(user, barrier.goal.plan)
        barrier.response = response.strip()
        barrier.resolved = resolved
        barrier.save(update_fields=["response", "resolved", "updated_at"])
        _changed(user, barrier.goal.plan, barrier)
    return barrier
