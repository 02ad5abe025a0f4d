"""The plan page and what is posted from it: starting a plan, publishing a version, a supervisor's decision,
the patient's agreement, a review, the end."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.assessments.queries import active_findings
from careconductor.cases.queries import access_case
from careconductor.chart.summary import chart_summary
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.patients.choices import ConditionCategory
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from .. import library
from ..actions.plans import do_create_plan
from ..actions.versions import (
    do_decide_version,
    do_end_plan,
    do_publish,
    do_record_agreement,
    do_review_plan,
    may_decide,
)
from ..choices import AgreedBy, AgreementMethod, InterventionStatus, PlanStatus
from ..forms import AgreementForm, DecideForm, EndForm, ProblemByHandForm, PublishForm, ReviewForm, StepForm
from ..models import CarePlan
from ..progress import goal_progress
from ..queries import access_plan, access_version, standing, visible_goals, visible_problems


def require_change(user: User, plan: CarePlan) -> None:
    """Pages that only exist to change the plan refuse (403) a role that may only read it."""
    if not policy.may(user, policy.Action.CHANGE, plan.patient):
        raise PermissionDenied("Your role may look at this plan but not change it.")


def plan_url(plan: CarePlan, anchor: str = "") -> str:
    return reverse("careplans:plan", args=[plan.pk]) + (f"#{anchor}" if anchor else "")


def form_page(
    request: StaffRequest, template_name: str, plan: CarePlan, form: forms.Form, status: int, **extra: Any
) -> HttpResponse:
    """A page of its own for one form about the plan (a goal, an intervention, a decision, a template)."""
    context = {
        "plan": plan,
        "patient": plan.patient,
        "summary": chart_summary(plan.patient),
        "form": form,
        "nav": "cases",
        **extra,
    }
    return render(request, f"careplans/{template_name}", context, status=status)


def _plan_context(user: User, plan: CarePlan, **forms_in: forms.Form) -> dict[str, Any]:
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
        "goals": [(goal, progress[goal.pk]) for goal in goals],  # each with how it is going
        "loose_interventions": list(plan.interventions.filter(goal=None).select_related("owner", "task")),
        "decisions": list(plan.decisions.all()),
        "versions": list(plan.versions.select_related("made_by", "decided_by").order_by("-number")),
        "findings": findings,
        "problem_list": list(problem_list),
        "suggested_templates": library.suggested_for(domains, codes),
        "can_change": can_change,
        "editable": editable,
        "may_decide": state.pending is not None and may_decide(user, plan, state.pending),
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


def plan_page(
    request: StaffRequest, plan: CarePlan, status: int = 200, **forms_in: forms.Form
) -> HttpResponse:
    return render(
        request, "careplans/plan.html", _plan_context(request.user, plan, **forms_in), status=status
    )


@staff_view()
@require_POST
def start_plan(request: StaffRequest, case_id: int) -> HttpResponse:
    case = access_case(request.user, case_id)
    try:
        plan = do_create_plan(request.user, case)
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("cases:detail", case_id=case.pk)
    messages.success(request, "A draft plan is started. Add the problems it addresses, then the goals.")
    return redirect(plan_url(plan))


@staff_view()
@require_http_methods(["GET"])
def plan_detail(request: StaffRequest, plan_id: int) -> HttpResponse:
    return plan_page(request, access_plan(request.user, plan_id))


@staff_view()
@require_POST
def publish(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    form = PublishForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: do_publish(user, plan, reason=d["reason"]),
        success="Sent to the supervisor for approval."
        if plan.requires_approval
        else "The new version is in force.",
        done_url=plan_url(plan),
        redisplay=lambda: plan_page(request, plan, 400, publish_form=form),
    )


@staff_view()
@require_POST
def decide(request: StaffRequest, plan_id: int, number: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    version = access_version(user, plan, number)
    form = DecideForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: do_decide_version(user, version, approve=d["decision"] == "approve", comment=d["comment"]),
        success="Decision recorded.",
        done_url=plan_url(plan),
        redisplay=lambda: plan_page(request, plan, 400, decide_form=form),
    )


@staff_view()
@require_POST
def agreement(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    form = AgreementForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: do_record_agreement(
            user,
            plan,
            agreed_on=d["agreed_on"],
            method=AgreementMethod(d["method"]),
            agreed_by=AgreedBy(d["agreed_by"]),
            proxy_name=d["proxy_name"],
            proxy_relationship=d["proxy_relationship"],
            note=d["note"],
        ),
        success="The patient's agreement is recorded.",
        done_url=plan_url(plan, "agreement"),
        redisplay=lambda: plan_page(request, plan, 400, agreement_form=form),
    )


@staff_view()
@require_POST
def review(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    form = ReviewForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: do_review_plan(user, plan, note=d["note"]),
        success="Review recorded.",
        done_url=plan_url(plan, "review"),
        redisplay=lambda: plan_page(request, plan, 400, review_form=form),
    )


@staff_view()
@require_POST
def end_plan(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    form = EndForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: do_end_plan(user, plan, PlanStatus(d["status"]), reason=d["reason"]),
        success="The plan has ended.",
        done_url=plan_url(plan),
        redisplay=lambda: plan_page(request, plan, 400, end_form=form),
    )
