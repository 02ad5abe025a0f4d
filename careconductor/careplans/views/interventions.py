"""Interventions: who does what for a goal."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.chart.summary import chart_summary
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.privacy.guards import staff_view

from .. import actions
from ..choices import (
    InterventionKind,
    InterventionStatus,
    OwnerType,
)
from ..forms import (
    InterventionForm,
    InterventionStatusForm,
)
from ..models import CarePlan
from ..queries import (
    access_intervention,
    access_plan,
    visible_goals,
)
from .plan import _user, plan_url, require_change


def staff_choices(plan: CarePlan) -> list[tuple[int, str]]:
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


@staff_view()
@require_http_methods(["GET", "POST"])
def intervention_new(request: HttpRequest, plan_id: int) -> HttpResponse:
    user = _user(request)
    plan = access_plan(user, plan_id)
    require_change(user, plan)
    goals = [(g.pk, g.patient_words[:80]) for g in visible_goals(user, plan)]
    initial = {
        "goal": request.GET.get("goal"),
        "owner_type": OwnerType.STAFF,
        "owner": plan.case.primary_case_manager_id,
    }
    form = InterventionForm(request.POST or None, goals=goals, staff=staff_choices(plan), initial=initial)
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
            return redirect(plan_url(plan, f"goal-{d['goal']}" if d["goal"] else "interventions"))
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
        plan_url(plan, f"goal-{intervention.goal_id}" if intervention.goal_id else "interventions")
    )
