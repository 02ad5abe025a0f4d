"""Referrals on the case manager's worklist (registered from ReferralsConfig.ready()): what came back and waits
to be read ("Harbor Food Pantry referral declined: no capacity"), and referrals nobody answered within
settings.REFERRAL_ANSWER_DAYS business days. Two queries whatever the number of cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from careconductor.cases.models import Case
from careconductor.coordination.calendar import holiday_set
from careconductor.coordination.hooks import worklist_source
from careconductor.coordination.rules import Band, WorkItem
from careconductor.coordination.worklist import case_fields
from careconductor.privacy.choices import Sensitivity

from . import rules
from .actions.outcomes import outcome_words
from .choices import ReferralStatus
from .models import Referral


@worklist_source
def referral_items(cases: Sequence[Case], today: dt.date) -> list[WorkItem]:
    if not cases:
        return []
    by_patient = {c.patient_id: c for c in cases}
    rows = Referral.objects.filter(patient_id__in=list(by_patient)).filter(
        needs_attention=True
    ) | Referral.objects.filter(patient_id__in=list(by_patient), status__in=rules.AWAITING_ANSWER)
    referrals = list(rows.select_related("service__provider"))
    if not referrals:
        return []
    waiting = [r for r in referrals if r.status in rules.AWAITING_ANSWER and r.sent_at is not None]
    holidays: frozenset[dt.date] = frozenset()
    if waiting:
        first = min(timezone.localdate(r.sent_at) for r in waiting if r.sent_at)
        holidays = holiday_set(cases[0].organization_id, first, today)
    items = []
    for referral in referrals:
        case = by_patient[referral.patient_id]
        link = reverse("referrals:detail", args=[referral.pk])
        # A Part 2 referral's row says no more than that one came back: the page applies the sensitivity rules.
        part2 = referral.sensitivity != Sensitivity.NORMAL
        if referral.needs_attention:
            items.append(
                WorkItem(
                    Band.OTHER if referral.status == ReferralStatus.COMPLETED else Band.CONTACT,
                    "referral",
                    referral.patient_id,
                    referral.status_changed_at,
                    "A referral came back: open it" if part2 else outcome_words(referral),
                    link=link,
                    link_label="Read and act",
                    **case_fields(case),
                )
            )
            continue
        sent = timezone.localdate(referral.sent_at) if referral.sent_at else None
        if sent is not None and rules.unanswered(
            referral.status, sent, today, settings.REFERRAL_ANSWER_DAYS, holidays
        ):
            due = rules.answer_due(sent, settings.REFERRAL_ANSWER_DAYS, holidays)
            items.append(
                WorkItem(
                    Band.CONTACT,
                    "referral",
                    referral.patient_id,
                    timezone.make_aware(dt.datetime.combine(due, dt.time(17))),
                    f"No answer to a referral sent {sent:%-d %b}: call them"
                    if part2
                    else f"No answer from {referral.recipient} to the {referral.get_need_display().lower()} "
                    f"referral sent {sent:%-d %b}: call them",
                    overdue=True,
                    link=link,
                    link_label="Open referral",
                    **case_fields(case),
                )
            )
    return items
