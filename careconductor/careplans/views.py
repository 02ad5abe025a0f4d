"""Care plan screens. Thin: parse the form, fetch through access_*, change through do_*, show refusals beside
their fields."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.assessments.queries import active_findings
from careconductor.cases.queries import access_case
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.patients.choices import ConditionCategory
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from . import actions, library, printout, snapshot
from .choices import (
    Achievement,
    AgreedBy,
    AgreementMethod,
    BarrierKind,
    GoalLifecycle,
    InterventionKind,
    InterventionStatus,
    OwnerType,
    PlanStatus,
    ReadingSource,
)
from .forms import (
    AgreementForm,
    BarrierForm,
    BarrierUpdateForm,
    DecideForm,
    DecisionForm,
    EndForm,
    GoalForm,
    InterventionForm,
    InterventionStatusForm,
    LifecycleForm,
    ProblemByHandForm,
    ProblemForm,
    ProgressForm,
    PublishForm,
    ReadingForm,
    ReviewForm,
    StepForm,
    TemplateGoalsForm,
)
from .models import CarePlan, Goal
from .progress import goal_progress, values_by_measure
from .queries import (
    access_barrier,
    access_goal,
    access_intervention,
    access_plan,
    access_problem,
    access_step,
    access_version,
    hidden_problem_ids,
    standing,
    visible_goals,
    visible_problems,
)
from .rules import GOAL_TRANSITIONS
from .trend import goal_trend

Form = forms.Form


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _require_change(user: User, plan: CarePlan) -> None:
    """Pages that only exist to change the plan refuse (403) a role that may only read it."""
    if not policy.may(user, policy.Action.CHANGE, plan.patient):
        raise PermissionDenied("Your role may look at this plan but not change it.")


def _plan_url(plan: CarePlan, anchor: str = "") -> str:
    return reverse("careplans:plan", args=[plan.pk]) + (f"#{anchor}" if anchor else "")


def _staff_choices(plan: CarePlan) -> list[tuple[int, str]]:
    """Who can own an intervention: the patient's care team and the case's team, active staff."""
    team_ids = set(plan.patient.care_team.filter(end_date__isnull=True).values_list("user_id", flat=True))
    if plan.case.primary_case_manager_id:
        team_ids.add(plan.case.primary_case_manager_id)
    if plan.case.team_id:
        team_ids |= set(
            User.objects.filter(profile__team_id=plan.case.team_id, is_active=True).values_list(
                "pk", flat=True
            )
        )
    staff = User.objects.filter(pk__in=team_ids, is_active=True, organization_id=plan.organization_id)
    return [(u.pk, u.display_name()) for u in staff.order_by("last_name", "first_name")]


def _plan_context(user: User, plan: CarePlan, **forms_in: Form) -> dict[str, Any]:
    allowed = policy.record_sensitivities(user, plan.patient)  # decided once for the page
    problems = visible_problems(user, plan, allowed)
    goals = list(
        visible_goals(user, plan, allowed).prefetch_related(
            Prefetch("problems", queryset=problems),
            "steps",
            "barriers",
            "interventions__owner",
            "interventions__task",
        )
    )
    findings_on_plan = set(plan.problems.exclude(finding=None).values_list("finding_id", flat=True))
    conditions_on_plan = set(plan.problems.values_list("condition_id", flat=True))
    findings = [f for f in active_findings(plan.patient) if f.pk not in findings_on_plan]
    problem_list = policy.restrict_sensitive(
        plan.patient.conditions.filter(
            category=ConditionCategory.PROBLEM_LIST, clinical_status="active"
        ).exclude(pk__in=conditions_on_plan),
        user,
        plan.patient,
        allowed=allowed,
    )
    domains = {f.domain for f in active_findings(plan.patient)}
    codes = set(
        plan.patient.conditions.filter(category=ConditionCategory.PROBLEM_LIST).values_list(
            "icd10_code", flat=True
        )
    )
    progress = goal_progress(goals)
    for goal in goals:
        goal.progress_view = progress[goal.pk]  # type: ignore[attr-defined]
    can_change = policy.may(user, policy.Action.CHANGE, plan.patient)
    state = standing(plan)
    editable = can_change and plan.is_open and not state.awaiting_approval
    return {
        "plan": plan,
        "case": plan.case,
        "patient": plan.patient,
        "summary": chart_summary(plan.patient),
        "standing": state,
        "problems": list(problems),
        "goals": goals,
        "loose_interventions": list(plan.interventions.filter(goal=None).select_related("owner", "task")),
        "decisions": list(plan.decisions.all()),
        "versions": list(plan.versions.select_related("made_by", "decided_by").order_by("-number")),
        "findings": findings,
        "problem_list": list(problem_list),
        "suggested_templates": library.suggested_for(domains, codes),
        "can_change": can_change,
        "editable": editable,
        "may_decide": state.pending is not None and actions.may_decide(user, plan, state.pending),
        "problem_form": forms_in.get("problem_form") or ProblemByHandForm(),
        "publish_form": forms_in.get("publish_form") or PublishForm(),
        "agreement_form": forms_in.get("agreement_form") or AgreementForm(),
        "review_form": forms_in.get("review_form") or ReviewForm(),
        "end_form": forms_in.get("end_form") or EndForm(),
        "decide_form": forms_in.get("decide_form") or DecideForm(),
        "step_form": StepForm(),
        "statuses": InterventionStatus.choices,
        "nav": "cases",
    }


def _plan_page(request: HttpRequest, plan: CarePlan, status: int = 200, **forms_in: Form) -> HttpResponse:
    return render(
        request, "careplans/plan.html", _plan_context(_user(request), plan, **forms_in), status=status
    )


# --- the plan -----------------------------------------------------------------------------------------------------
@staff_view()
@require_POST
def start_plan(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = access_case(user, case_id)
    try:
        plan = actions.do_create_plan(user, case)
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("cases:detail", case_id=case.pk)
    messages.success(request, "A draft plan is started. Add the problems it addresses, then the goals.")
    return redirect(_plan_url(plan))


@staff_view()
@require_http_methods(["GET"])
def plan_detail(request: HttpRequest, plan_id: int) -> HttpResponse:
    return _plan_page(request, access_plan(_user(request), plan_id))


def _submit(
    request: HttpRequest,
    form: Form,
    act: Callable[[dict[str, Any]], object],
    success: str,
    done_url: str,
    redisplay: Callable[[], HttpResponse],
) -> HttpResponse:
    """Validate and act; then go to `done_url` with a message, or show the page again with the form's errors
    beside their fields (the action's refusals included)."""
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, success)
            return redirect(done_url)
    return redisplay()


def _post_form(
    request: HttpRequest,
    plan: CarePlan,
    form: Form,
    form_name: str,
    act: Callable[[dict[str, Any]], object],
    success: str,
    anchor: str = "",
) -> HttpResponse:
    """A form posted from the plan page."""
    return _submit(
        request,
        form,
        act,
        success,
        _plan_url(plan, anchor),
        lambda: _plan_page(request, plan, 400, **{form_name: form}),
    )


@staff_view()
@require_POST
def publish(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    message = (
        "Sent to the supervisor for approval." if plan.requires_approval else "The new version is in force."
    )
    return _post_form(
        request,
        plan,
        PublishForm(request.POST),
        "publish_form",
        lambda d: actions.do_publish(user, plan, reason=d["reason"]),
        message,
    )


@staff_view()
@require_POST
def decide(request: HttpRequest, plan_id: int, number: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    version = access_version(user, plan, number)
    form = DecideForm(request.POST)
    return _post_form(
        request,
        plan,
        form,
        "decide_form",
        lambda d: actions.do_decide_version(
            user, version, approve=d["decision"] == "approve", comment=d["comment"]
        ),
        "Decision recorded.",
    )


@staff_view()
@require_POST
def agreement(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    return _post_form(
        request,
        plan,
        AgreementForm(request.POST),
        "agreement_form",
        lambda d: actions.do_record_agreement(
            user,
            plan,
            agreed_on=d["agreed_on"],
            method=AgreementMethod(d["method"]),
            agreed_by=AgreedBy(d["agreed_by"]),
            proxy_name=d["proxy_name"],
            proxy_relationship=d["proxy_relationship"],
            note=d["note"],
        ),
        "The patient's agreement is recorded.",
        "agreement",
    )


@staff_view()
@require_POST
def review(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    return _post_form(
        request,
        plan,
        ReviewForm(request.POST),
        "review_form",
        lambda d: actions.do_review_plan(user, plan, note=d["note"]),
        "Review recorded.",
        "review",
    )


@staff_view()
@require_POST
def end_plan(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    return _post_form(
        request,
        plan,
        EndForm(request.POST),
        "end_form",
        lambda d: actions.do_end_plan(user, plan, PlanStatus(d["status"]), reason=d["reason"]),
        "The plan has ended.",
    )


# --- problems -----------------------------------------------------------------------------------------------------
@staff_view()
@require_POST
def add_problems(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Add the ticked findings and problem-list entries, and any problem typed by hand."""
    user = _user(request)
    plan = access_plan(user, plan_id)
    finding_ids = {int(v) for v in request.POST.getlist("finding") if v.isdigit()}
    condition_ids = {int(v) for v in request.POST.getlist("condition") if v.isdigit()}
    form = ProblemByHandForm(request.POST if request.POST.get("title") else None)
    if form.is_bound and not form.is_valid():
        return _plan_page(request, plan, 400, problem_form=form)
    try:
        added = actions.do_add_problems(
            user,
            plan,
            findings=[f for f in active_findings(plan.patient) if f.pk in finding_ids],
            conditions=list(
                plan.patient.conditions.filter(pk__in=condition_ids, category=ConditionCategory.PROBLEM_LIST)
            ),
            by_hand=form.cleaned_data if form.is_bound else None,
        )
    except ActionRefused as exc:  # nothing was added: the request is one action
        if form.is_bound:
            show_refusal(form, exc)
            return _plan_page(request, plan, 400, problem_form=form)
        messages.error(request, str(exc))
        return redirect(_plan_url(plan, "problems"))
    if added:
        messages.success(request, f"{len(added)} problem{'s' if len(added) != 1 else ''} added.")
    else:
        messages.error(request, "Tick a finding or a condition, or describe the problem.")
    return redirect(_plan_url(plan, "problems"))


@staff_view()
@require_POST
def update_problem(request: HttpRequest, problem_id: int) -> HttpResponse:
    user = _user(request)
    problem = access_problem(user, problem_id)
    plan = problem.plan
    try:
        if request.POST.get("remove"):
            actions.do_remove_problem(user, problem)
            messages.success(request, "Problem taken off the plan.")
        else:
            form = ProblemForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Give the problem a title.")
            else:
                actions.do_update_problem(user, problem, **form.cleaned_data)
                messages.success(request, "Problem updated.")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect(_plan_url(plan, "problems"))


# --- goals --------------------------------------------------------------------------------------------------------
def _goal_form(user: User, plan: CarePlan, data: Any = None, **kwargs: Any) -> GoalForm:
    return GoalForm(data, problems=[(p.pk, p.title) for p in visible_problems(user, plan)], **kwargs)


@staff_view()
@require_http_methods(["GET", "POST"])
def goal_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    _require_change(user, plan)
    form = _goal_form(user, plan, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            goal = actions.do_add_goal(user, plan, **form.action_fields())
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Goal added. Add small steps and who will do what.")
            return redirect(_plan_url(plan, f"goal-{goal.pk}"))
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
    _require_change(user, plan)
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
            return redirect(_plan_url(plan, f"goal-{goal.pk}"))
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


def _goal_context(user: User, goal: Goal, **forms_in: Form) -> dict[str, Any]:
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


def _goal_page(request: HttpRequest, goal: Goal, status: int = 200, **forms_in: Form) -> HttpResponse:
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
    form: Form,
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
        or _plan_url(step.goal.plan, f"goal-{step.goal_id}")
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


# --- interventions ------------------------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET", "POST"])
def intervention_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    _require_change(user, plan)
    goals = [(g.pk, g.patient_words[:80]) for g in visible_goals(user, plan)]
    initial = {
        "goal": request.GET.get("goal"),
        "owner_type": OwnerType.STAFF,
        "owner": plan.case.primary_case_manager_id,
    }
    form = InterventionForm(request.POST or None, goals=goals, staff=_staff_choices(plan), initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        owner = (
            User.objects.filter(pk=d["owner"], organization_id=plan.organization_id).first()
            if d["owner"]
            else None
        )
        try:
            actions.do_add_intervention(
                user,
                plan,
                kind=InterventionKind(d["kind"]),
                title=d["title"],
                detail=d["detail"],
                owner_type=OwnerType(d["owner_type"]),
                owner=owner if d["owner_type"] == OwnerType.STAFF else None,
                owner_name=d["owner_name"],
                due_on=d["due_on"],
                goal=visible_goals(user, plan).filter(pk=d["goal"]).first() if d["goal"] else None,
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Intervention added.")
            return redirect(_plan_url(plan, f"goal-{d['goal']}" if d["goal"] else "interventions"))
    return render(
        request,
        "careplans/intervention_form.html",
        {
            "heading": "Add an intervention",
            "submit": "Add intervention",
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "form": form,
            "nav": "cases",
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_view()
@require_POST
def intervention_update(request: HttpRequest, intervention_id: int) -> HttpResponse:
    user = _user(request)
    intervention = access_intervention(user, intervention_id)
    plan = intervention.plan
    try:
        if request.POST.get("remove"):
            actions.do_remove_intervention(user, intervention)
            messages.success(request, "Intervention taken off the plan.")
        else:
            form = InterventionStatusForm(request.POST)
            if form.is_valid():
                actions.do_set_intervention_status(
                    user, intervention, InterventionStatus(form.cleaned_data["status"])
                )
                messages.success(request, "Intervention updated.")
            else:
                messages.error(request, "Choose a status.")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect(
        _plan_url(plan, f"goal-{intervention.goal_id}" if intervention.goal_id else "interventions")
    )


# --- shared decisions ---------------------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET", "POST"])
def decision_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    _require_change(user, plan)
    form = DecisionForm(request.POST or None, initial={"decided_on": clock.today()})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_record_decision(user, plan, **form.action_fields())
        except ActionRefused as exc:
            if "options" in exc.errors:
                form.add_error("option_1", exc.errors.pop("options"))
            show_refusal(form, ActionRefused(exc.errors)) if exc.errors else None
        else:
            messages.success(request, "Decision recorded.")
            return redirect(_plan_url(plan, "decisions"))
    return render(
        request,
        "careplans/decision_form.html",
        {
            "heading": "Record a shared decision",
            "submit": "Record decision",
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "form": form,
            "nav": "cases",
        },
        status=400 if request.method == "POST" else 200,
    )


# --- templates ----------------------------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET"])
def template_list(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    return render(
        request,
        "careplans/templates.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "templates": list(library.all_templates().values()),
            "nav": "cases",
        },
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def template_apply(request: HttpRequest, plan_id: int, template_id: str) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    _require_change(user, plan)
    found = library.template(template_id)
    if found is None:
        raise Http404
    form = TemplateGoalsForm(
        request.POST or None,
        goals=[(g.key, g.patient_words) for g in found.goals],
        problems=[(p.pk, p.title) for p in visible_problems(user, plan)],
        initial={"goals": [g.key for g in found.goals]},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            added = actions.do_apply_template(
                user,
                plan,
                template_id,
                goal_keys=d["goals"],
                problem=visible_problems(user, plan).filter(pk=d["problem"]).first()
                if d["problem"]
                else None,
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(
                request,
                f"{len(added)} goal{'s' if len(added) != 1 else ''} added from “{found.title}”. "
                "Now put each one in the patient's own words.",
            )
            return redirect(_plan_url(plan, f"goal-{added[0].pk}"))
    return render(
        request,
        "careplans/template_apply.html",
        {
            "heading": f"Template: {found.title}",
            "submit": "Add the chosen goals",
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "template": found,
            "form": form,
            "nav": "cases",
            "language": plan.patient.preferred_language,
        },
        status=400 if request.method == "POST" else 200,
    )


# --- versions -----------------------------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET"])
def versions(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Every version, and any two side by side with what changed between them."""
    user = _user(request)
    plan = access_plan(user, plan_id)
    all_versions = list(plan.versions.select_related("made_by", "decided_by").order_by("-number"))
    by_number = {v.number: v for v in all_versions}
    numbers = sorted(by_number, reverse=True)

    def chosen(name: str, default: int) -> int:
        raw = request.GET.get(name, "")
        return int(raw) if raw.isdigit() else default

    working = request.GET.get("b") == "working"
    left = by_number.get(chosen("a", numbers[1] if len(numbers) > 1 else 0))
    right = by_number.get(chosen("b", numbers[0] if numbers else 0))
    compare = None
    hidden = hidden_problem_ids(user, plan)
    if left is not None and working:
        compare = snapshot.compare(
            snapshot.without_problems(left.content, hidden), snapshot.build(plan, hidden)
        )
    elif left is not None and right is not None:
        compare = snapshot.compare(
            snapshot.without_problems(left.content, hidden), snapshot.without_problems(right.content, hidden)
        )
    return render(
        request,
        "careplans/versions.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "summary": chart_summary(plan.patient),
            "versions": all_versions,
            "left": left,
            "right": right,
            "changes": compare,
            "working": working,
            "nav": "cases",
        },
    )


# --- the patient's copy -------------------------------------------------------------------------------------------
def _printable_for(request: HttpRequest) -> tuple[CarePlan, Any, str]:
    user = _user(request)
    plan = access_plan(user, int(request.resolver_match.kwargs["plan_id"]))  # type: ignore[union-attr]
    number = request.GET.get("version", "")
    version = access_version(user, plan, int(number)) if number.isdigit() else standing(plan).in_force
    language = request.GET.get("lang", "")
    if language not in ("en", "es"):
        language = printout.language_for(plan.patient)
    audit.record(user, AuditAction.EXPORT, patient=plan.patient, obj=plan, detail=f"printout {language}")
    return plan, version, language


@staff_view()
@require_http_methods(["GET"])
def print_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan, version, language = _printable_for(request)
    query = f"?version={version.number}&" if version else "?"
    base = reverse("careplans:print", args=[plan.pk])
    return render(
        request,
        "careplans/print.html",
        {
            "p": printout.printable(plan, version, language, hidden_problem_ids(_user(request), plan)),
            "pdf_url": reverse("careplans:pdf", args=[plan.pk]) + f"{query}lang={language}",
            "language_links": [
                (code, name, f"{base}{query}lang={code}")
                for code, name in (("en", "English"), ("es", "Español"))
            ],
            "back_url": _plan_url(plan),
        },
    )


@staff_view()
@require_http_methods(["GET"])
def pdf_view(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan, version, language = _printable_for(request)
    hidden = hidden_problem_ids(_user(request), plan)
    body = printout.render_pdf(printout.printable(plan, version, language, hidden))
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="care-plan-{plan.pk}-{language}.pdf"'
    return response
