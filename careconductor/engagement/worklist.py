"""Unread portal messages on the case manager's worklist, and the patient's own use of the portal as reaching
them (both registered from EngagementConfig.ready())."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Min, OuterRef, Subquery

from careconductor.accounts.choices import Role
from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.models import Reading
from careconductor.cases.models import Case
from careconductor.coordination.hooks import reach_source, worklist_source
from careconductor.coordination.rules import Band, WorkItem
from careconductor.coordination.worklist import case_fields

from .models import CheckIn, Message


@worklist_source
def unread_message_items(cases: Sequence[Case], today: dt.date) -> list[WorkItem]:
    """One row per patient with messages nobody on the team has opened, oldest first (one query)."""
    if not cases:
        return []
    by_patient = {c.patient_id: c for c in cases}
    rows = (
        Message.objects.filter(from_patient=True, read_at__isnull=True, patient_id__in=list(by_patient))
        .values("patient_id")
        .annotate(n=Count("pk"), first=Min("sent_at"))
    )
    out = []
    for row in rows:
        n = row["n"]
        out.append(
            WorkItem(
                Band.CONTACT,
                "message",
                row["patient_id"],
                row["first"],
                f"{n} unread portal message{'s' if n != 1 else ''}",
                overdue=row["first"].date() < today,
                **case_fields(by_patient[row["patient_id"]]),
            )
        )
    return out


@reach_source
def portal_reach() -> list[tuple[str, Subquery]]:
    """The patient (or their proxy) checked in, reported a reading or wrote a message: each latest moment."""
    patient = OuterRef("patient_id")
    return [
        (
            "checked in",
            Subquery(
                CheckIn.objects.filter(patient_id=patient).order_by("-reported_at").values("reported_at")[:1]
            ),
        ),
        (
            "reported a reading",
            Subquery(
                # A reading the patient gave staff by phone is typed by staff: that call is in the contact log.
                Reading.objects.filter(
                    patient_id=patient, source=ReadingSource.SELF_REPORT, recorded_by__role=Role.PATIENT
                )
                .order_by("-created_at")
                .values("created_at")[:1]
            ),
        ),
        (
            "wrote a message",
            Subquery(
                Message.objects.filter(patient_id=patient, from_patient=True)
                .order_by("-sent_at")
                .values("sent_at")[:1]
            ),
        ),
    ]
