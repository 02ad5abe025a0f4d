"""Appointments on the case manager's worklist (registered from AppointmentsConfig.ready()): a missed
appointment until someone follows it up, one the patient asked to change until it is moved or cancelled, and one
in the next days whose interpreter or ride is not booked yet."""

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
# How far ahead an interpreter or a ride not yet booked is on the worklist.
ARRANGE_DAYS = 3


@worklist_source
def appointment_items(cases: Sequence[Case], today: dt.date) -> list[WorkItem]:
    """One row per missed appointment not followed up, per appointment the patient asked to change, and per
    appointment soon whose interpreter or ride is still to book (one query)."""
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
    arrange = Q(
        status=AppointmentStatus.BOOKED,
        starts_at__gt=now,
        starts_at__lte=now + dt.timedelta(days=ARRANGE_DAYS),
    ) & (
        Q(interpreter_needed=True, interpreter_booked=False)
        | Q(transport_needed=True, ride_referral__isnull=True)
    )
    out = []
    for a in Appointment.objects.filter(missed | change | arrange, patient_id__in=list(by_patient)).only(
        "pk",
        "patient_id",
        "status",
        "starts_at",
        "purpose",
        "patient_answer",
        "patient_answer_at",
        "interpreter_needed",
        "interpreter_booked",
        "transport_needed",
        "ride_referral_id",
    ):
        local = timezone.localtime(a.starts_at)
        when = f"{local:%a %b} {local.day} {local:%H:%M}"
        if a.status == AppointmentStatus.NO_SHOW:
            reason, label = f"Missed appointment {when} ({a.purpose}): follow up", "Follow up"
            due, overdue = a.starts_at, local.date() < today
        elif a.patient_answer == PatientAnswer.CHANGE:
            reason, label = f"Asked to change the appointment of {when} ({a.purpose})", "Change it"
            due, overdue = a.patient_answer_at or a.starts_at, False
        else:
            missing = [
                what
                for what, still in (
                    ("interpreter", a.interpreter_needed and not a.interpreter_booked),
                    ("ride", a.transport_needed and a.ride_referral_id is None),
                )
                if still
            ]
            reason, label = f"Book the {' and the '.join(missing)} for the appointment of {when}", "Arrange"
            due, overdue = a.starts_at, False
        out.append(
            WorkItem(
                Band.CONTACT if label != "Arrange" else Band.OTHER,
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
