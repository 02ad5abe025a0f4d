"""Problems posted from the plan page: ticked findings and problem-list entries, one typed by hand, edits."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from careconductor.assessments.queries import active_findings
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.patients.choices import ConditionCategory
from careconductor.privacy.guards import staff_view

from ..actions.problems import do_add_problems, do_remove_problem, do_update_problem
from ..forms import ProblemByHandForm, ProblemForm
from ..queries import access_plan, access_problem
from .plan import plan_page, plan_url


@staff_view()
@require_POST
def add_problems(request: StaffRequest, plan_id: int) -> HttpResponse:
    """Add the ticked findings and problem-list entries, and any problem typed by hand."""
    user = request.user
    plan = access_plan(user, plan_id)
    finding_ids = {n for v in request.POST.getlist("finding") if (n := whole_number(v)) is not None}
    condition_ids = {n for v in request.POST.getlist("condition") if (n := whole_number(v)) is not None}
    form = ProblemByHandForm(request.POST if request.POST.get("title") else None)
    if form.is_bound and not form.is_valid():
        return plan_page(request, plan, 400, problem_form=form)
    try:
        added = do_add_problems(
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
            return plan_page(request, plan, 400, problem_form=form)
        messages.error(request, str(exc))
        return redirect(plan_url(plan, "problems"))
    if added:
        messages.success(request, f"{len(added)} problem{'s' if len(added) != 1 else ''} added.")
    else:
        messages.error(request, "Tick a finding or a condition, or describe the problem.")
    return redirect(plan_url(plan, "problems"))


@staff_view()
@require_POST
def update_problem(request: StaffRequest, problem_id: int) -> HttpResponse:
    user = request.user
    problem = access_problem(user, problem_id)
    plan = problem.plan
    try:
        if request.POST.get("remove"):
            do_remove_problem(user, problem)
            messages.success(request, "Problem taken off the plan.")
        else:
            form = ProblemForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Give the problem a title.")
            else:
                do_update_problem(user, problem, **form.cleaned_data)
                messages.success(request, "Problem updated.")
    except ActionRefused as exc:
        messages.error(request, str(exc))
    return redirect(plan_url(plan, "problems"))
