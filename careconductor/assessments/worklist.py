"""Reassessments on the worklist: what each case's programme says is due, for all the cases at once."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Max
from django.utils import timezone

from careconductor.cases.models import Case
from careconductor.cases.programs import rules_by_program
from careconductor.coordination.hooks import worklist_source
from careconductor.coordination.rules import Band, WorkItem, short_date
from careconductor.coordination.worklist import case_fields

from . import rules
from .choices import AssessmentStatus, FindingDomain, FindingStatus
from .models import Assessment, Finding, Questionnaire

HORIZON_DAYS = 7  # reassessments due within a week show on the worklist


@worklist_source
def reassessment_items(cases: Sequence[Case], today: dt.date) -> list[WorkItem]:
    if not cases:
        return []
    patient_ids = [c.patient_id for c in cases]
    # Versions of an instrument share its url; the intervals name the current version's slug.
    slug_of: dict[str, str] = {}
    short_titles: dict[str, str] = {}
    for slug, url, title in Questionnaire.objects.filter(current=True).values_list("slug", "url", "title"):
        # "Accountable Health Communities … (AHC HRSN), core questions" → "AHC HRSN": the bracketed short name.
        short = title[title.find("(") + 1 : title.find(")")] if "(" in title and ")" in title else title
        slug_of[url], short_titles[slug] = slug, short
    last: dict[int, dict[str, dt.date]] = defaultdict(dict)
    done = (
        Assessment.objects.filter(patient_id__in=patient_ids, status=AssessmentStatus.COMPLETED)
        .values("patient_id", "questionnaire__url")
        .annotate(last=Max("completed_at"))
    )
    for row in done:
        found = slug_of.get(row["questionnaire__url"])
        if row["last"] is not None and found:
            last[row["patient_id"]][found] = timezone.localdate(row["last"])
    depressed = set(
        Finding.objects.filter(
            patient_id__in=patient_ids, domain=FindingDomain.DEPRESSION, status=FindingStatus.ACTIVE
        ).values_list("patient_id", flat=True)
    )
    org_rules = {org: rules_by_program(org) for org in {c.organization_id for c in cases}}
    out = []
    for case in cases:
        due_list = rules.reassessments_due(
            rules.intervals_for(
                case.program, org_rules[case.organization_id][case.program].reassessment_days
            ),
            last[case.patient_id],
            today=today,
            depression_active=case.patient_id in depressed,
            since=timezone.localdate(case.enrolled_at or case.referred_at),
            horizon_days=HORIZON_DAYS,
        )
        if not due_list:
            continue
        # One row per case: the instruments due, the most overdue first.
        parts = []
        for due in due_list:
            title = short_titles.get(due.slug, due.slug)
            when = short_date(due.due_on, today)
            parts.append(f"{title} {'overdue since' if due.overdue else 'due'} {when}")
        first = due_list[0]
        out.append(
            WorkItem(
                Band.REVIEW,
                "reassessment",
                case.patient_id,
                timezone.make_aware(dt.datetime.combine(first.due_on, dt.time(23, 59))),
                "Reassessment: " + "; ".join(parts),
                overdue=first.overdue,
                **case_fields(case),
            )
        )
    return out
