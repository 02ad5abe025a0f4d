"""The portal's home page, the patient's copy of their care plan, and their readings over time."""

from __future__ import annotations

from django.http import HttpResponse
from django.views.decorators.http import require_GET

from careconductor.careplans import printout
from careconductor.careplans.choices import PlanStatus
from careconductor.careplans.queries import patient_plan, standing
from careconductor.core.requests import PortalRequest
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .. import portal_data
from ..context import render_portal
from ..guards import portal_view


@portal_view
@require_GET
def home(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    return render_portal(
        request,
        "home.html",
        "home",
        upcoming=portal_data.upcoming(patient),
        goals=portal_data.goals_to_check_in(patient),
        alerts=portal_data.recent_instructions(patient),
    )


@portal_view
@require_GET
def plan(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    care_plan = patient_plan(patient)
    printable = None
    if care_plan is not None and care_plan.status == PlanStatus.ACTIVE:
        in_force = standing(care_plan).in_force
        if in_force is not None:
            printable = printout.printable(care_plan, in_force, request.LANGUAGE_CODE)
            audit.record(request.user, AuditAction.READ, patient=patient, obj=care_plan, detail="portal plan")
    return render_portal(request, "plan.html", "plan", p=printable, upcoming=portal_data.upcoming(patient))


@portal_view
@require_GET
def trends(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    return render_portal(request, "trends.html", "trends", charts=portal_data.charts(patient))
