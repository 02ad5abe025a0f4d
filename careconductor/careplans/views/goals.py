"""A goal: adding and editing it, its page, and what is posted from there (progress, status, readings,
steps, barriers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from .. import actions
from ..choices import (
    Achievement,
    BarrierKind,
    GoalLifecycle,
    ReadingSource,
)
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
from .plan import _submit, _user, plan_url, require_change


def _goal_form(user: User, plan: CarePlan, data: Any = None, **kwargs: Any) -> GoalForm:
    return GoalForm(data, problems=[(p.pk, p.title) for p in visible_problems(user, plan)], **kwargs)


@staff_view()
@require_http_methods(["GET", "POST"])
def goal_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    require_change(user, plan)
    form = _goal_form(user, plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            goal = actions.do_add_goal(user, plan, **form.action_fields())
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Goal added. Add small steps and who will do what.")
            return redirect(plan_url(plan, f"goal-{goal.pk}"))
    return render(
        request,
        "careplans/goal_form.html",
        {
            "heading": "Add a goal",
            "submit": "Add goal",
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "form": form,
            "nav": "cases",
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def goal_edit(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal = access_goal(user, goal_id)
    plan = goal.plan
    require_change(user, plan)
    initial = {f: getattr(goal, f) for f in actions.GOAL_FIELDS}
    hidden = hidden_problem_ids(user, plan)
    initial["problems"] = [str(p.pk) for p in goal.problems.all() if p.pk not in hidden]
    form = _goal_form(user, plan, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = form.action_fields()
        # Links to problems the user cannot see stay as they were.
        fields["problem_ids"] += [pk for pk in goal.problems.values_list("pk", flat=True) if pk in hidden]
        try:
            actions.do_update_goal(user, goal, **fields)
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Goal saved.")
            return redirect(plan_url(plan, f"goal-{goal.pk}"))
    return render(
        request,
        "careplans/goal_form.html",
        {
            "heading": "Edit the goal",
            "submit": "Save goal",
            "plan": plan,
            "goal": goal,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "form": form,
            "nav": "cases",
        },
        status=400 if request.method == "POST" else 200,
    )


def _goal_context(user: User, goal: Goal, **forms_in: forms.Form) -> dict[str, Any]:
    plan = goal.plan
    view = goal_progress([goal])[goal.pk]
    values = values_by_measure([goal.patient_id], {goal.measure}, since=None).get(
        (goal.patient_id, goal.measure), []
    )
    targets = sorted(GOAL_TRANSITIONS[GoalLifecycle(goal.lifecycle)], key=list(GoalLifecycle).index)
    lifecycle_form = forms_in.get("lifecycle_form") or LifecycleForm()
    lifecycle_form.fields["lifecycle"].choices = [(t.value, t.label) for t in targets]  # type: ignore[attr-defined]
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


def _goal_page(request: HttpRequest, goal: Goal, status: int = 200, **forms_in: forms.Form) -> HttpResponse:
    return render(
        request, "careplans/goal.html", _goal_context(_user(request), goal, **forms_in), status=status
    )


@staff_view()
@require_http_methods(["GET"])
def goal_detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    return _goal_page(request, access_goal(_user(request), goal_id))


def _goal_post(
    request: HttpRequest,
    goal: Goal,
    form: forms.Form,
    form_name: str,
    act: Callable[[dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    """A form posted from the goal page."""
    return _submit(
        request,
        form,
        act,
        success,
        reverse("careplans:goal", args=[goal.pk]),
        lambda: _goal_page(request, goal, 400, **{form_name: form}),
    )


@staff_view()
@require_POST
def goal_progress_view(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal = access_goal(user, goal_id)
    return _goal_post(
        request,
        goal,
        ProgressForm(request.POST),
        "progress_form",
        lambda d: actions.do_record_progress(
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
def goal_lifecycle(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal = access_goal(user, goal_id)
    form = LifecycleForm(request.POST)
    return _goal_post(
        request,
        goal,
        form,
        "lifecycle_form",
        lambda d: actions.do_move_goal(user, goal, GoalLifecycle(d["lifecycle"]), note=d["note"]),
        "Goal status changed.",
    )


@staff_view()
@require_POST
def goal_reading(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal = access_goal(user, goal_id)

    def act(d: dict[str, Any]) -> object:
        taken_at = timezone.make_aware(dt.datetime.combine(d["taken_on"], dt.time(12, 0)))
        taken_at = min(taken_at, clock.now()) if d["taken_on"] == clock.today() else taken_at
        return actions.do_record_reading(
            user,
            goal.patient,
            measure_key=goal.measure,
            value=d["value"],
            taken_at=taken_at,
            source=ReadingSource(d["source"]),
            note=d["note"],
        )

    return _goal_post(request, goal, ReadingForm(request.POST), "reading_form", act, "Reading recorded.")


@staff_view()
@require_POST
def goal_step(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal = access_goal(user, goal_id)
    return _goal_post(
        request,
        goal,
        StepForm(request.POST),
        "step_form",
        lambda d: actions.do_add_step(user, goal, text=d["text"], due_on=d["due_on"]),
        "Step added.",
    )


@staff_view()
@require_POST
def goal_barrier(request: HttpRequest, goal_id: int) -> HttpResponse:
    user = _user(request)
    goal = access_goal(user, goal_id)
    return _goal_post(
        request,
        goal,
        BarrierForm(request.POST),
        "barrier_form",
        lambda d: actions.do_add_barrier(
            user, goal, kind=BarrierKind(d["kind"]), description=d["description"], response=d["response"]
        ),
        "Barrier recorded.",
    )


@staff_view()
@require_POST
def step_update(request: HttpRequest, step_id: int) -> HttpResponse:
    user = _user(request)
    step = access_step(user, step_id)
    try:
        if request.POST.get("remove"):
            actions.do_remove_step(user, step)
        else:
            actions.do_mark_step(user, step, done=request.POST.get("done") == "1")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect(
        (request.POST.get("back") == "goal" and reverse("careplans:goal", args=[step.goal_id]))
        or plan_url(step.goal.plan, f"goal-{step.goal_id}")
    )


@staff_view()
@require_POST
def barrier_update(request: HttpRequest, barrier_id: int) -> HttpResponse:
    user = _user(request)
    barrier = access_barrier(user, barrier_id)
    form = BarrierUpdateForm(request.POST)
    if form.is_valid():
        try:
            actions.do_update_barrier(user, barrier, **form.cleaned_data)
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, "Barrier updated.")
    return redirect("careplans:goal", goal_id=barrier.goal_id)
