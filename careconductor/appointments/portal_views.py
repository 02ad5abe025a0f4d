"""The patient's side: their appointments, and confirming one or asking to change it (the reminder's link
opens the appointment). Wired into the portal's URLs (engagement/urls.py) as portal:appointments and
portal:appointment."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from careconductor.core.forms import post_form
from careconductor.core.requests import PortalRequest
from careconductor.engagement.context import portal_context
from careconductor.engagement.guards import portal_view

from . import actions, queries
from .choices import AppointmentStatus, PatientAnswer
from .forms import AnswerForm


@portal_view
@require_GET
def appointments(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    return render(
        request,
        "appointments/portal/list.html",
        portal_context(
            request,
            "appointments",
            coming=queries.upcoming(patient, days=365),
            reminded=queries.reminded_in_portal(patient),
        ),
    )


@portal_view
@require_http_methods(["GET", "POST"])
def appointment(request: PortalRequest, appointment_id: int) -> HttpResponse:
    patient = request.portal_patient
    shown = queries.portal_appointment(patient, appointment_id)
    form = AnswerForm(request.POST or None)

    def page(status: int = 200) -> HttpResponse:
        return render(
            request,
            "appointments/portal/detail.html",
            portal_context(
                request,
                "appointments",
                a=shown,
                form=form,
                open=shown.status == AppointmentStatus.BOOKED,
            ),
            status=status,
        )

    if request.method != "POST":
        return page()
    if shown.status != AppointmentStatus.BOOKED:
        messages.error(request, _("This appointment can no longer be answered."))
        return redirect("portal:appointment", appointment_id=shown.pk)
    return post_form(
        request,
        form,
        lambda data: actions.do_answer(request.user, shown, answer=data["answer"], note=data["note"]),
        success=lambda a: (
            _("Thank you: your appointment is confirmed.")
            if a.patient_answer == PatientAnswer.CONFIRMED
            else _("Thank you: your care team will call you to find a better time.")
        ),
        done_url=lambda a: reverse("portal:appointment", kwargs={"appointment_id": a.pk}),
        redisplay=lambda: page(400),
    )
