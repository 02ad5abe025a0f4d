"""The care plan card on the case and the chart. A template tag, so the cases and chart apps, which the plan
builds on, need not import it."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import F, Q

from careconductor.privacy import policy

from ..choices import PlanStatus
from ..models import CarePlan
from ..queries import standing, visible_goals

register = template.Library()

WORKED_ON = (PlanStatus.ACTIVE, PlanStatus.DRAFT)


@register.inclusion_tag("careplans/_plan_card.html", takes_context=True)
def plan_card(context: dict[str, Any], patient: Any, case: Any = None) -> dict[str, Any]:
    """The plan being worked on for the case (or the patient's newest open plan), with its standing. The page
    has already opened the patient's record through access_*."""
    plans = CarePlan.objects.filter(patient=patient)
    if case is not None:
        plans = plans.filter(case=case)
    # One query: the newest plan being worked on, else the newest plan (which has ended).
    newest = (
        plans.annotate(worked_on=Q(status__in=WORKED_ON))
        .order_by(F("worked_on").desc(), "-created_at", "-pk")
        .first()
    )
    plan = newest if newest is not None and newest.status in WORKED_ON else None
    ended = newest if plan is None else None
    if plan is not None:
        plan.patient = patient  # the standing's review reads the patient's discharges
    user = context["request"].user
    return {
        "plan": plan,
        "ended": ended,
        "standing": standing(plan) if plan is not None else None,
        "case": case,
        "can_start": case is not None
        and case.is_open
        and plan is None
        and policy.may(user, policy.Action.CHANGE, patient),
        "goals": list(
            visible_goals(user, plan).exclude(lifecycle__in=["cancelled", "rejected", "entered-in-error"])[:6]
        )
        if plan is not None
        else [],
        "csrf_token": context.get("csrf_token"),
    }
