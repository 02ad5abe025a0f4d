"""A goal: adding and editing it, its page, and what is posted from there (progress, status, readings,
steps, barriers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form, set_choices
from careconductor.core.requests import StaffRequest
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from ..actions.goals import (
    GOAL_FIELDS,
    do_add_barrier,
    do_add_goal,
    do_add_step,
    do_mark_step,
    do_move_goal,
    do_record_progress,
    do_remove_step,
    do_update_barrier,
    do_update_goal,
)
from ..actions.readings import do_record_reading
from ..choices import Achievement, BarrierKind, GoalLifecycle, ReadingSource
from ..forms import (
    BarrierForm,
    BarrierUpdateForm,
    GoalForm,
    LifecycleForm,
    ProgressForm,
    ReadingForm,
    StepForm,
)
from ..models import CarePlan, Goal
from ..progress import goal_progress, values_by_measure
from ..queries import (
    access_barrier,
    access_goal,
    access_plan,
    access_step,
    hidden_problem_ids,
    standing,
    visible_problems,
)
from ..rules import GOAL_TRANSITIONS
from ..trend import goal_trend
from .plan import form_page, plan_url, require_change


def _goal_form(user: User, plan: CarePlan, data: Any = None, **kwargs: Any) -> GoalForm:
    return GoalForm(data, problems=[(p.pk, p.title) for p in visible_problems(user, plan)], **kwargs)


def _goal_form_page(
    request: StaffRequest, plan: CarePlan, form: GoalForm, status: int, goal: Goal | None = None
) -> HttpResponse:
    heading, submit = ("Edit the goal", "Save goal") if goal else ("Add a goal", "Add goal")
    return form_page(request, "goal_form.html", plan, form, status, heading=heading, submit=submit, goal=goal)


@staff_view()
@require_http_methods(["GET", "POST"])
def goal_new(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    require_change(user, plan)
    form = _goal_form(user, plan, request.POST or None)
    if request.method != "POST":
        return _goal_form_page(request, plan, form, 200)
    return post_form(
        request,
        form,
        lambda _: do_add_goal(user, plan, **form.action_fields()),
        success="Goal added. Add small steps and who will do what.",
        done_url=lambda goal: plan_url(plan, f"goal-{goal.pk}"),
        redisplay=lambda: _goal_form_page(request, plan, form, 400),
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def goal_edit(request: StaffRequest, goal_id: int) -> HttpResponse:
    user = request.user
    goal = access_goal(user, goal_id)
    plan = goal.plan
    require_change(user, plan)
    initial = {f: getattr(goal, f) for f in GOAL_FIELDS}
    hidden = hidden_problem_ids(user, plan)
    initial["problems"] = [str(p.pk) for p in goal.problems.all() if p.pk not in hidden]
    form = _goal_form(user, plan, request.POST or None, initial=initial)
    if request.method != "POST":
        return _goal_form_page(request, plan, form, 200, goal)

    def act(_: dict[str, Any]) -> Goal:
        fields = form.action_fields()
        # Links to problems the user cannot see stay as they were.
        fields["problem_ids"] += [pk for pk in goal.problems.values_list("pk", flat=True) if pk in hidden]
        return do_update_goal(user, goal, **fields)

    return post_form(
        request,
        form,
        act,
        success="Goal saved.",
        done_url=plan_url(plan, f"goal-{goal.pk}"),
        redisplay=lambda: _goal_form_page(request, plan, form, 400, goal),
    )


def _goal_context(user: User, goal: Goal, **forms_in: forms.Form) -> dict[str, Any]:
    plan = goal.plan
    view = goal_progress([goal])[goal.pk]
    values = values_by_measure([goal.patient_id], {goal.measure}, since=None).get(
        (goal.patient_id, goal.measure), []
    )
    targets = sorted(GOAL_TRANSITIONS[GoalLifecycle(goal.lifecycle)], key=list(GoalLifecycle).index)
    lifecycle_form = forms_in.get("lifecycle_form") or LifecycleForm()
    set_choices(lifecycle_form, "lifecycle", [(t.value, t.label) for t in targets])
    suggested = view.suggestion.achievement if view.suggestion else ""
    return {
        "plan": plan,
        "goal": goal,
        "patient": plan.patient,
        "summary": chart_summary(plan.patient),
        "view": view,
        "values": values,
        "trend": goal_trend(goal, values),
        "entries": list(goal.progress.select_related("author")[:50]),
        "progress_form": forms_in.get("progress_form")
        or ProgressForm(initial={"achievement": suggested, "suggested": suggested}),
        "lifecycle_form": lifecycle_form,
        "reading_form": forms_in.get("reading_form") or ReadingForm(),
        "step_form": forms_in.get("step_form") or StepForm(),
        "barrier_form": forms_in.get("barrier_form") or BarrierForm(),
        "can_change": policy.may(user, policy.Action.CHANGE, plan.patient),
        "editable": policy.may(user, policy.Action.CHANGE, plan.patient)
        and plan.is_open
        and standing(plan).pending is None,
        "typed_measure": goal.measure_def.numeric and not goal.measure_def.instrument,
        "nav": "cases",
    }


def _goal_page(request: StaffRequest, goal: Goal, status: int = 200, **forms_in: forms.Form) -> HttpResponse:
    return render(
        request, "careplans/goal.html", _goal_context(request.user, goal, **forms_in), status=status
    )


@staff_view()
@require_http_methods(["GET"])
def goal_detail(request: StaffRequest, goal_id: int) -> HttpResponse:
    return _goal_page(request, access_goal(request.user, goal_id))


def _post_to_goal(
    request: StaffRequest,
    goal: Goal,
    form: forms.Form,
    form_name: str,
    act: Callable[[dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    """A form posted from the goal page: back to the goal, or its page again with the form's errors."""
    return post_form(
        request,
        form,
        act,
        success=success,
        done_url=reverse("careplans:goal", args=[goal.pk]),
        redisplay=lambda: _goal_page(request, goal, 400, **{form_name: form}),
    )


@staff_view()
@require_POST
def goal_progress_view(request: StaffRequest, goal_id: int) -> HttpResponse:
    user = request.user
    goal = access_goal(user, goal_id)
    return _post_to_goal(
        request,
        goal,
        ProgressForm(request.POST),
        "progress_form",
        lambda d: do_record_progress(
            user,
            goal,
            note=d["note"],
            achievement=Achievement(d["achievement"]) if d["achievement"] else None,
            suggested=d["suggested"],
        ),
        "Progress recorded.",
    )


@staff_view()
@require_POST
def goal_lifecycle(request: StaffRequest, goal_id: int) -> HttpResponse:
    user = request.user
    goal = access_goal(user, goal_id)
    form = LifecycleForm(request.POST)
    return _post_to_goal(
        request,
        goal,
        form,
        "lifecycle_form",
        lambda d: do_move_goal(user, goal, GoalLifecycle(d["lifecycle"]), note=d["note"]),
        "Goal status changed.",
    )


@staff_view()
@require_POST
def goal_reading(request: StaffRequest, goal_id: int) -> HttpResponse:
    user = request.user
    goal = access_goal(user, goal_id)

    def act(d: dict[str, Any]) -> object:
        taken_at = timezone.make_aware(dt.datetime.combine(d["taken_on"], dt.time(12, 0)))
        taken_at = min(taken_at, clock.now()) if d["taken_on"] == clock.today() else taken_at
        return do_record_reading(
            user,
            goal.patient,
            measure_key=goal.measure,
            value=d["value"],
            taken_at=taken_at,
            source=ReadingSource(d["source"]),
            note=d["note"],
        )

    return _post_to_goal(request, goal, ReadingForm(request.POST), "reading_form", act, "Reading recorded.")


@staff_view()
@require_POST
def goal_step(request: StaffRequest, goal_id: int) -> HttpResponse:
    user = request.user
    goal = access_goal(user, goal_id)
    return _post_to_goal(
        request,
        goal,
        StepForm(request.POST),
        "step_form",
        lambda d: do_add_step(user, goal, text=d["text"], due_on=d["due_on"]),
        "Step added.",
    )


@staff_view()
@require_POST
def goal_barrier(request: StaffRequest, goal_id: int) -> HttpResponse:
    user = request.user
    goal = access_goal(user, goal_id)
    return _post_to_goal(
        request,
        goal,
        BarrierForm(request.POST),
        "barrier_form",
        lambda d: do_add_barrier(
            user, goal, kind=BarrierKind(d["kind"]), description=d["description"], response=d["response"]
        ),
        "Barrier recorded.",
    )


@staff_view()
@require_POST
def step_update(request: StaffRequest, step_id: int) -> HttpResponse:
    user = request.user
    step = access_step(user, step_id)
    try:
        if request.POST.get("remove"):
            do_remove_step(user, step)
        else:
            do_mark_step(user, step, done=request.POST.get("done") == "1")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect(
        (request.POST.get("back") == "goal" and reverse("careplans:goal", args=[step.goal_id]))
        or plan_url(step.goal.plan, f"goal-{step.goal_id}")
    )


@staff_view()
@require_POST
def barrier_update(request: StaffRequest, barrier_id: int) -> HttpResponse:
    user = request.user
    barrier = access_barrier(user, barrier_id)
    form = BarrierUpdateForm(request.POST)
    if form.is_valid():
        try:
            do_update_barrier(user, barrier, **form.cleaned_data)
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Barrier updated.")
    return redirect("careplans:goal", goal_id=barrier.goal_id)
