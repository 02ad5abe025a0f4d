"""The staff's medication screen. Thin: parse the form, fetch through access_*, change through do_*, show
refusals beside their fields."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from .. import actions, queries
from ..forms import MedicationForm, StopForm
from ..models import Medication


def require_change(user: User, patient: Patient) -> None:
    """Posts that change the list refuse (403) a role that may only read it."""
    if not policy.may(user, policy.Action.MEDICATIONS, patient):
        raise PermissionDenied("Your role may look at this list but not change it.")


def _page(
    request: StaffRequest,
    patient: Patient,
    *,
    form: MedicationForm | None = None,
    stopping: tuple[Medication, StopForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    medications = queries.patient_medications(patient)
    by_medication = queries.adherence_by_medication(patient)
    stop_forms = dict([stopping]) if stopping else {}
    for m in medications:
        m.adherence = by_medication.get(m.pk)  # type: ignore[attr-defined]
        m.stop_form = stop_forms.get(m, StopForm(auto_id=_stop_id(m)))  # type: ignore[attr-defined]
    today = clock.today()
    current = [m for m in medications if m.current_on(today)]
    return render(
        request,
        "medications/list.html",
        {
            "patient": patient,
            "summary": chart_summary(patient),
            "current": current,
            "ended": [m for m in medications if m not in current],
            "overall": queries.adherence_for(patient),
            "can_change": policy.may(user, policy.Action.MEDICATIONS, patient),
            "form": form or MedicationForm(),
            "stopping": stopping[0].pk if stopping else None,
            "reconciliation": queries.reconciliation_in_progress(patient),
            "nav": "patients",
        },
        status=status,
    )


def _list_url(patient_id: int) -> str:
    return reverse("medications:list", kwargs={"patient_id": patient_id})


def _stop_id(medication: Medication) -> str:
    """One stop form per medication on the page, each with its own field ids."""
    return f"id_stop_{medication.pk}_%s"


@staff_view()
@require_http_methods(["GET", "POST"])
def medication_list(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    if request.method != "POST":
        return _page(request, patient)
    require_change(user, patient)
    form = MedicationForm(request.POST)
    return post_form(
        request,
        form,
        lambda data: actions.do_add_medication(user, patient, **data),
        success=lambda medication: f"{medication.name} is on the list.",
        done_url=_list_url(patient.pk),
        redisplay=lambda: _page(request, patient, form=form, status=400),
    )


@staff_view()
@require_POST
def stop(request: StaffRequest, medication_id: int) -> HttpResponse:
    user = request.user
    medication = queries.access_medication(user, medication_id)
    require_change(user, medication.patient)
    form = StopForm(request.POST, auto_id=_stop_id(medication))
    return post_form(
        request,
        form,
        lambda data: actions.do_stop_medication(
            user, medication, reason=data["reason"], end_date=data["end_date"]
        ),
        success=f"{medication.name} is stopped.",
        done_url=_list_url(medication.patient_id),
        redisplay=lambda: _page(request, medication.patient, stopping=(medication, form), status=400),
    )
