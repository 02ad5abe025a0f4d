"""The contact log and time of a patient."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from .. import forms
from ..actions.contacts import ContactInput, FollowUp, do_log_contact, do_log_time
from ..queries import (
    case_follow_up,
    patient_contacts,
    patient_time,
)
from .base import back, case_choices, patient_case, require_change


@staff_view()
@require_http_methods(["GET", "POST"])
def contacts_view(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    can_change = policy.may(user, policy.Action.LOG_CONTACT, patient)
    cases = case_choices(patient)
    initial = {
        "contact_at": timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"),
        "direction": "outbound",
        "case": request.GET.get("case") or (cases[0][0] if cases else ""),
        "mode": "phone",
    }
    form = forms.ContactForm(
        request.POST or None,
        cases=cases,
        initial=initial,
        sensitivities=policy.record_sensitivities(user, patient),
    )
    if request.method == "POST":
        require_change(user, patient, policy.Action.LOG_CONTACT)
        if form.is_valid():
            d = form.cleaned_data
            try:
                contact = do_log_contact(
                    user,
                    patient,
                    ContactInput(
                        contact_at=d["contact_at"],
                        mode=d["mode"],
                        direction=d["direction"],
                        reached=d["reached"],
                        minutes=d["minutes"],
                        party=d["party"],
                        party_name=d["party_name"],
                        interpreter=d["interpreter"],
                        patient_words=d["patient_words"],
                        meds_taken=d["meds_taken"],
                        symptoms=d["symptoms"],
                        goal_progress=d["goal_progress"],
                        barriers=d["barriers"],
                        education=d["education"],
                        teach_back=d["teach_back"],
                        next_steps=d["next_steps"],
                        sensitivity=d.get("sensitivity") or "",
                    ),
                    case=patient_case(patient, d["case"]),
                    follow_up=FollowUp(d["follow_up_title"], d["follow_up_due"])
                    if d["follow_up_title"]
                    else None,
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, _contact_message(patient, contact))
                return back(request, reverse("coordination:contacts", args=[patient.pk]))
    # Where each active case stands: the same reading as the case page's follow-up card.
    follow_ups = [(case, case_follow_up(case)) for case in patient.cases.filter(status="active")]
    return render(
        request,
        "coordination/contacts.html",
        {
            "patient": patient,
            "form": form,
            "contacts": patient_contacts(user, patient),
            "follow_ups": follow_ups,
            "can_change": can_change,
            "next": request.GET.get("next") or request.POST.get("next", ""),
            "nav": "patients",
        },
        status=400 if request.method == "POST" else 200,
    )


def _contact_message(patient: Patient, contact: Any) -> str:
    if not contact.reached:
        return f"Attempt to reach {patient.full_name} logged."
    case = contact.case
    if case is None or case.status != "active":
        return f"Contact with {patient.full_name} logged."
    follow = case_follow_up(case).next_contact
    if follow is None:
        return f"Contact with {patient.full_name} logged."
    return f"Contact with {patient.full_name} logged; next contact due {follow.due_on:%a %b} {follow.due_on.day}."


@staff_view()
@require_http_methods(["GET", "POST"])
def time_view(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    cases = case_choices(patient)
    form = forms.TimeForm(
        request.POST or None, cases=cases, initial={"on": clock.today(), "case": cases[0][0] if cases else ""}
    )
    if request.method == "POST":
        require_change(user, patient, policy.Action.LOG_TIME)
        if form.is_valid():
            d = form.cleaned_data
            try:
                do_log_time(
                    user,
                    patient,
                    on=d["on"],
                    activity=d["activity"],
                    minutes=d["minutes"],
                    note=d["note"],
                    case=patient_case(patient, d["case"]),
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, f"{d['minutes']} minutes logged.")
                return redirect("coordination:time", patient_id=patient.pk)
    month_start = clock.today().replace(day=1)
    entries = patient_time(patient, month_start)
    contact_minutes = sum(
        c.minutes for c in patient.contact_log.filter(contact_at__date__gte=month_start).only("minutes")
    )
    return render(
        request,
        "coordination/time.html",
        {
            "patient": patient,
            "form": form,
            "entries": entries,
            "month_start": month_start,
            "entry_minutes": sum(e.minutes for e in entries),
            "contact_minutes": contact_minutes,
            "can_change": policy.may(user, policy.Action.LOG_TIME, patient),
            "nav": "patients",
        },
        status=400 if request.method == "POST" else 200,
    )
