"""Interventions: who does what for a goal."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from ..actions.interventions import do_add_intervention, do_remove_intervention, do_set_intervention_status
from ..choices import InterventionKind, InterventionStatus, OwnerType
from ..forms import InterventionForm, InterventionStatusForm
from ..models import CarePlan, Intervention
from ..queries import access_intervention, access_plan, visible_goals
from .plan import form_page, plan_url, require_change


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
def intervention_new(request: StaffRequest, plan_id: int) -> HttpResponse:
    user = request.user
    plan = access_plan(user, plan_id)
    require_change(user, plan)
    goals = [(g.pk, g.patient_words[:80]) for g in visible_goals(user, plan)]
    initial = {
        "goal": request.GET.get("goal"),
        "owner_type": OwnerType.STAFF,
        "owner": plan.case.primary_case_manager_id,
    }
    form = InterventionForm(request.POST or None, goals=goals, staff=staff_choices(plan), initial=initial)

    def page(status: int) -> HttpResponse:
        return form_page(
            request,
            "intervention_form.html",
            plan,
            form,
            status,
            heading="Add an intervention",
            submit="Add intervention",
        )

    if request.method != "POST":
        return page(200)

    def act(d: dict[str, Any]) -> Intervention:
        owner = (
            User.objects.filter(pk=d["owner"], organization_id=plan.organization_id).first()
            if d["owner"]
            else None
        )
        return do_add_intervention(
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

    return post_form(
        request,
        form,
        act,
        success="Intervention added.",
        done_url=lambda _: plan_url(
            plan, f"goal-{form.cleaned_data['goal']}" if form.cleaned_data["goal"] else "interventions"
        ),
        redisplay=lambda: page(400),
    )


@staff_view()
@require_POST
def intervention_update(request: StaffRequest, intervention_id: int) -> HttpResponse:
    user = request.user
    intervention = access_intervention(user, intervention_id)
    plan = intervention.plan
    try:
        if request.POST.get("remove"):
            do_remove_intervention(user, intervention)
            messages.success(request, "Intervention taken off the plan.")
        else:
            form = InterventionStatusForm(request.POST)
            if form.is_valid():
                do_set_intervention_status(
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
