"""Keeping the chart up to date on screens (issue 17 §3): the patient's details (who they are, how to reach
them), their identifiers in other systems (a hospital's MRN, Medicaid, Medicare, a plan's member number),
coverage, hospital and ED visits recorded by hand (a discharge starts transitional care on the worklist),
caregivers and emergency contacts, and a new referral into a programme. Each POST is one action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_refer_case
from careconductor.cases.choices import Program, ReferralSource
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.actions import (
    do_add_contact,
    do_add_coverage,
    do_add_encounter,
    do_set_identifiers,
    do_update_coverage,
    do_update_patient,
)
from careconductor.patients.choices import IDENTIFIER_SYSTEMS, MRN_SYSTEM
from careconductor.patients.models import Coverage, Patient, PatientIdentifier
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from . import details_forms as f
from .views import _details

FORMS: dict[str, type[forms.Form]] = {
    "demographics": f.DemographicsForm,
    "coverage": f.CoverageForm,
    "end-coverage": f.EndCoverageForm,
    "encounter": f.EncounterForm,
    "contact": f.RelatedPersonForm,
    "identifier": f.IdentifierForm,
    "change-identifier": f.ChangeIdentifierForm,
    "remove-identifier": f.RemoveIdentifierForm,
}
DONE = {
    "demographics": "Details saved.",
    "coverage": "Coverage added.",
    "end-coverage": "Coverage ended.",
    "encounter": "Visit recorded.",
    "contact": "Contact added.",
    "identifier": "Identifier added.",
    "change-identifier": "Identifier changed.",
    "remove-identifier": "Identifier removed.",
}


def _demographics_initial(patient: Patient) -> dict[str, Any]:
    return {name: getattr(patient, name) for name in f.DemographicsForm.base_fields if hasattr(patient, name)}


def _end_coverage(user: User, patient: Patient, data: dict[str, Any]) -> object:
    coverage = Coverage.objects.filter(pk=data["coverage"], patient=patient).first()
    if coverage is None:
        raise Http404
    return do_update_coverage(user, coverage, end_date=data["end_date"])


def _identifiers(patient: Patient) -> list[PatientIdentifier]:
    """The patient's identifiers, ours (the MRN) first; read from the prefetch access_patient made."""
    return sorted(patient.identifiers.all(), key=lambda i: (i.system != MRN_SYSTEM, i.use, i.pk))


def _set_identifiers(
    user: User,
    patient: Patient,
    *,
    add: tuple[str, str, str] | None = None,
    change: int = 0,
    value: str = "",
    remove: int = 0,
) -> object:
    """One add, change or removal, through do_set_identifiers (which replaces the whole list)."""
    current = [i for i in _identifiers(patient) if i.system != MRN_SYSTEM]
    target = change or remove
    if target and target not in {i.pk for i in current}:
        raise Http404
    wanted = [(i.system, value if i.pk == change else i.value, i.label) for i in current if i.pk != remove]
    if add is not None:
        wanted.append(add)
    try:
        return do_set_identifiers(user, patient, wanted)
    except ActionRefused as exc:
        raise ActionRefused(
            {("number" if k == "identifier" else k): v for k, v in exc.errors.items()}
        ) from exc


def _actions(user: User, patient: Patient) -> dict[str, Callable[[dict[str, Any]], object]]:
    def demographics(d: dict[str, Any]) -> object:
        details = _details(d)
        details.preferred_name = d["preferred_name"]
        return do_update_patient(user, patient, details)

    return {
        "demographics": demographics,
        "coverage": lambda d: do_add_coverage(user, patient, **d),
        "end-coverage": lambda d: _end_coverage(user, patient, d),
        "encounter": lambda d: do_add_encounter(user, patient, source="manual", **d),
        "contact": lambda d: do_add_contact(user, patient, **d),
        "identifier": lambda d: _set_identifiers(
            user,
            patient,
            add=(
                IDENTIFIER_SYSTEMS[d["identifier_kind"]][0],
                d["number"],
                IDENTIFIER_SYSTEMS[d["identifier_kind"]][1],
            ),
        ),
        "change-identifier": lambda d: _set_identifiers(
            user, patient, change=d["identifier"], value=d["number"]
        ),
        "remove-identifier": lambda d: _set_identifiers(user, patient, remove=d["identifier"]),
    }


@staff_view()
@require_http_methods(["GET", "POST"])
def details(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    which = request.POST.get("form", "") if request.method == "POST" else ""
    bound: dict[str, forms.Form] = {}
    if which in FORMS:
        form = FORMS[which](request.POST)
        bound[which] = form
        if form.is_valid():
            try:
                _actions(user, patient)[which](form.cleaned_data)
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, DONE[which])
                return redirect("patients:details", patient_id=patient.pk)
    elif request.method == "POST":
        raise Http404
    context = {
        "patient": patient,
        "can_change": policy.may(user, policy.Action.CHANGE, patient),
        "demographics": bound.get("demographics")
        or f.DemographicsForm(initial=_demographics_initial(patient)),
        "coverage_form": bound.get("coverage") or f.CoverageForm(),
        "end_coverage_form": bound.get("end-coverage"),
        "encounter_form": bound.get("encounter") or f.EncounterForm(),
        "contact_form": bound.get("contact") or f.RelatedPersonForm(),
        "identifier_form": bound.get("identifier") or f.IdentifierForm(),
        "identifier_change_form": bound.get("change-identifier") or bound.get("remove-identifier"),
        "identifiers": _identifiers(patient),
        "mrn_system": MRN_SYSTEM,
        "coverages": patient.coverages.order_by("-start_date"),
        "encounters": patient.encounters.order_by("-start")[:10],
        "contacts": patient.contacts.all(),
        "open_form": which,
        "nav": "patients",
    }
    return render(request, "chart/details.html", context, status=400 if request.method == "POST" else 200)


@staff_view([Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER])
@require_http_methods(["GET", "POST"])
def refer(request: StaffRequest, patient_id: int) -> HttpResponse:
    """Refer an existing patient into a programme: a second programme, again after a closed case, or
    transitional care after a discharge. A case manager carries her own referral; anyone else's goes to
    their team (or the team receiving the programme), where the supervisor assigns it."""
    user = request.user
    patient = access_patient(user, patient_id)
    form = f.ReferralForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            case = do_refer_case(
                user,
                patient,
                program=Program(d["program"]),
                referral_source=ReferralSource(d["referral_source"]),
                referral_reason=d["referral_reason"],
                case_manager=user if user.role == Role.CASE_MANAGER else None,
                acuity_tier=d["acuity_tier"],
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, f"Referred for {case.get_program_display().lower()}.")
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "chart/refer.html",
        {"patient": patient, "form": form, "nav": "patients"},
        status=400 if request.method == "POST" else 200,
    )
