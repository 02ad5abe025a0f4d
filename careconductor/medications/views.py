"""The staff's medication screen. Thin: parse the form, fetch through access_*, change through do_*, show
refusals beside their fields."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from . import actions, queries
from .forms import MedicationForm, StopForm
from .models import Medication


def _require_change(user: User, patient: Patient) -> None:
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
            "nav": "patients",
        },
        status=status,
    )


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
    _require_change(user, patient)
    form = MedicationForm(request.POST)
    if form.is_valid():
        try:
            medication = actions.do_add_medication(user, patient, **form.cleaned_data)
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, f"{medication.name} is on the list.")
            return redirect("medications:list", patient_id=patient.pk)
    return _page(request, patient, form=form, status=400)


@staff_view()
@require_POST
def stop(request: StaffRequest, medication_id: int) -> HttpResponse:
    user = request.user
    medication = queries.access_medication(user, medication_id)
    _require_change(user, medication.patient)
    form = StopForm(request.POST, auto_id=_stop_id(medication))
    if form.is_valid():
        try:
            actions.do_stop_medication(
                user, medication, reason=form.cleaned_data["reason"], end_date=form.cleaned_data["end_date"]
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, f"{medication.name} is stopped.")
            return redirect("medications:list", patient_id=medication.patient_id)
    return _page(request, medication.patient, stopping=(medication, form), status=400)
