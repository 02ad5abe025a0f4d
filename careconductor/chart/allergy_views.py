"""The patient's allergies: the list (everyone who sees the chart), recording one, "no known allergies" and
changes of status (case staff and care-team pharmacists). One action per request."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.allergies import (
    AllergyDetails,
    do_change_allergy_status,
    do_record_allergy,
    do_record_no_known_allergies,
)
from careconductor.patients.models import Allergy
from careconductor.patients.queries import access_patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from .allergy_forms import AllergyForm, AllergyStatusForm


@staff_view()
@require_http_methods(["GET", "POST"])
def allergies(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    allowed = policy.allowed_actions(user, patient)
    may_keep = policy.Action.CHANGE in allowed or policy.Action.MEDICATIONS in allowed
    which = request.POST.get("form", "")
    form = AllergyForm(request.POST if which == "allergy" else None)
    status_form = AllergyStatusForm(request.POST if which == "status" else None)
    if request.method == "POST":
        try:
            if which == "allergy" and form.is_valid():
                made = do_record_allergy(user, patient, AllergyDetails(**form.cleaned_data))
                messages.success(request, f"Allergy to {made.substance} recorded.")
                return redirect("patients:allergies", patient_id=patient.pk)
            if which == "none":
                do_record_no_known_allergies(user, patient)
                messages.success(request, "No known allergies recorded.")
                return redirect("patients:allergies", patient_id=patient.pk)
            if which == "status" and status_form.is_valid():
                row = Allergy.objects.filter(pk=status_form.cleaned_data["allergy"], patient=patient).first()
                if row is None:
                    raise Http404
                do_change_allergy_status(
                    user,
                    row,
                    status=status_form.cleaned_data["status"],
                    reason=status_form.cleaned_data["reason"],
                )
                messages.success(request, f"{row.substance}: changed.")
                return redirect("patients:allergies", patient_id=patient.pk)
        except ActionRefused as exc:
            if which == "none":  # no form of its own: the reason shows at the top of the page
                messages.error(request, str(exc))
            else:
                show_refusal(status_form if which == "status" else form, exc)
    rows = list(
        patient.allergies.select_related("recorded_by").order_by(
            "clinical_status", "-criticality", "substance"
        )
    )
    audit.record(
        user, AuditAction.READ, patient=patient, object_type="Allergy", detail=f"{len(rows)} allergies"
    )
    return render(
        request,
        "chart/allergies.html",
        {
            "patient": patient,
            "rows": rows,
            "form": form,
            "status_form": status_form,
            "may_keep": may_keep,
            "nav": "patients",
        },
        status=400 if request.method == "POST" else 200,
    )
