"""Appointments on the case manager's worklist (registered from AppointmentsConfig.ready()): a missed
appointment until someone follows it up, and one the patient asked to change until it is moved or cancelled."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from careconductor.cases.models import Case
from careconductor.coordination.hooks import worklist_source
from careconductor.coordination.rules import Band, WorkItem
from careconductor.coordination.worklist import case_fields
from careconductor.core import clock

from .choices import AppointmentStatus, PatientAnswer
from .models import Appointment

# How far back a missed appointment still waits on the worklist.
MISSED_DAYS = 30


@worklist_source
def appointment_items(cases: Sequence[Case], today: dt.date) -> list[WorkItem]:
    """One row per missed appointment not followed up, and per appointment the patient asked to change (one
    query)."""
    if not cases:
        return []
    by_patient = {c.patient_id: c for c in cases}
    now = clock.now()
    missed = Q(
        status=AppointmentStatus.NO_SHOW,
        followed_up_at__isnull=True,
        starts_at__gte=now - dt.timedelta(days=MISSED_DAYS),
    )
    change = Q(status=AppointmentStatus.BOOKED, patient_answer=PatientAnswer.CHANGE, starts_at__gt=now)
    out = []
    for a in Appointment.objects.filter(missed | change, patient_id__in=list(by_patient)).only(
        "pk", "patient_id", "status", "starts_at", "purpose", "patient_answer_at"
    ):
        local = timezone.localtime(a.starts_at)
        when = f"{local:%a %b} {local.day} {local:%H:%M}"
        if a.status == AppointmentStatus.NO_SHOW:
            reason, label = f"Missed appointment {when} ({a.purpose}): follow up", "Follow up"
            due, overdue = a.starts_at, local.date() < today
        else:
            reason, label = f"Asked to change the appointment of {when} ({a.purpose})", "Change it"
            due, overdue = a.patient_answer_at or a.starts_at, False
        out.append(
            WorkItem(
                Band.CONTACT,
                "appointment",
                a.patient_id,
                due,
                reason,
                overdue=overdue,
                link=reverse("appointments:detail", kwargs={"appointment_id": a.pk}),
                link_label=label,
                **case_fields(by_patient[a.patient_id]),
            )
        )
    return out
