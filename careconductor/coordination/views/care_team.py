"""A patient's care team: who is on it, who leads, who leaves."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.actions import (
    do_add_care_team_member,
    do_end_care_team_member,
    do_set_care_team_lead,
)
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from .. import forms
from ..queries import (
    access_membership,
    care_team,
)
from .base import require_change, staff_choices


@staff_view()
@require_http_methods(["GET", "POST"])
def care_team_view(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    form = forms.CareTeamMemberForm(
        request.POST or None,
        staff=staff_choices(patient.organization_id),
        initial={"start_date": clock.today()},
    )
    if request.method == "POST":
        require_change(user, patient)
        if form.is_valid():
            d = form.cleaned_data
            member = (
                User.objects.filter(pk=d["member"], organization_id=patient.organization_id).first()
                if d["member"]
                else None
            )
            try:
                do_add_care_team_member(
                    user,
                    patient,
                    member=member,
                    role=d["role"],
                    category=d["category"],
                    name=d["name"],
                    organization_name=d["organization_name"],
                    phone=d["phone"],
                    email=d["email"],
                    is_lead=d["is_lead"],
                    start_date=d["start_date"],
                    end_date=d["end_date"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, "Added to the care team.")
                return redirect("coordination:care_team", patient_id=patient.pk)
    return render(
        request,
        "coordination/care_team.html",
        {
            "patient": patient,
            "members": care_team(patient),
            "form": form,
            "end_form": forms.EndMemberForm(initial={"end_date": clock.today()}),
            "today": clock.today(),
            "can_change": policy.may(user, policy.Action.CHANGE, patient),
            "nav": "patients",
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_view()
@require_POST
def end_member(request: StaffRequest, member_id: int) -> HttpResponse:
    user = request.user
    member = access_membership(user, member_id)
    require_change(user, member.patient)
    form = forms.EndMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        try:
            do_end_care_team_member(
                user, member, end_date=form.cleaned_data["end_date"], reason=form.cleaned_data["reason"]
            )
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"{member.display_name} leaves the team on {form.cleaned_data['end_date']}."
            )
    return redirect("coordination:care_team", patient_id=member.patient_id)


@staff_view()
@require_POST
def lead_member(request: StaffRequest, member_id: int) -> HttpResponse:
    user = request.user
    member = access_membership(user, member_id)
    require_change(user, member.patient)
    try:
        do_set_care_team_lead(user, member)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member.display_name} now leads the team.")
    return redirect("coordination:care_team", patient_id=member.patient_id)
