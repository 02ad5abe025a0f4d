"""Unread portal messages on the case manager's worklist (registered from EngagementConfig.ready())."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db.models import Count, Min

from careconductor.cases.models import Case
from careconductor.coordination.hooks import worklist_source
from careconductor.coordination.rules import Band, WorkItem
from careconductor.coordination.worklist import case_fields

from .models import Message


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
