"""The chart header's summary, the one every patient page shows: the case that matters now and every alert a
case manager must see, safety flags first, and the active allergies. Composed here, at the top of the import
graph, from the apps that own each part (cases, coordination's flags, patients' encounters and allergies)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse

from careconductor.cases.models import Case
from careconductor.coordination.models import Flag
from careconductor.coordination.queries import active_flags
from careconductor.coordination.rules import TCM_PERIOD_DAYS
from careconductor.coordination.worklist import in_hospital_q
from careconductor.core import clock
from careconductor.patients.choices import AllergyStatus, AllergyVerification, EncounterClass
from careconductor.patients.models import Allergy, Patient

RECENT_DISCHARGE_DAYS = 30
# Which open case the header shows when there are several: the one being worked, then by recency.
STATUS_RANK = {"active": 0, "on_hold": 1, "screening": 2, "referred": 3}


@dataclass
class ChartSummary:
    """What the chart header shows: the case that matters now and the alerts a case manager must see."""

    age: int
    case: Case | None
    alerts: list[tuple[str, str]] = field(default_factory=list)  # (level, text), safety flags first
    # Active allergies; None when nobody has recorded whether there are any (an empty list would read as
    # "no allergies").
    allergies: list[Allergy] | None = None
    flags: list[Flag] = field(default_factory=list)  # the active flags the alerts name, newest first
    # After a discharge in the transitional period: the way to the medication reconciliation (no query more).
    reconcile_url: str = ""


def chart_summary(patient: Patient, cases: Iterable[Case] | None = None) -> ChartSummary:
    """`cases`: the patient's cases with their case managers, when the page has them already (the chart lists
    them all); otherwise the open ones are fetched."""
    today = clock.today()
    if cases is None:
        cases = Case.objects.open().filter(patient=patient).select_related("primary_case_manager")
    open_cases = sorted(
        (c for c in cases if c.is_open),
        key=lambda c: (STATUS_RANK.get(c.status, 9), -c.referred_at.timestamp()),
    )
    flags = list(active_flags(patient).select_related("raised_by"))
    summary = ChartSummary(age=patient.age_on(today), case=open_cases[0] if open_cases else None, flags=flags)
    summary.alerts = [("danger", flag.text) for flag in flags]
    if patient.interpreter_needed:
        summary.alerts.append(("info", f"Interpreter needed ({patient.language_display})"))
    now = clock.now()
    since = now - dt.timedelta(days=RECENT_DISCHARGE_DAYS)
    # One query for the stay the patient is in now and the latest discharge (few rows: the last 30 days').
    stays = list(
        patient.encounters.filter(
            Q(encounter_class=EncounterClass.INPATIENT, end__gte=since) | in_hospital_q(now)
        ).order_by("-start")
    )
    current = next((s for s in stays if s.end is None), None)
    if current is not None:
        where = f" at {current.facility}" if current.facility else ""
        start = clock.localdate(current.start)
        summary.alerts.append(("danger", f"In hospital since {start:%b} {start.day}{where}"))
    ended = [s for s in stays if s.end is not None and s.encounter_class == EncounterClass.INPATIENT]
    discharge = max(ended, key=lambda s: s.end or now, default=None)
    if discharge is not None and discharge.end is not None:
        days = (today - clock.localdate(discharge.end)).days
        where = f" from {discharge.facility}" if discharge.facility else ""
        when = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
        summary.alerts.append(("danger" if days <= 7 else "info", f"Discharged {when}{where}"))
        if days < TCM_PERIOD_DAYS:
            summary.reconcile_url = reverse("medications:reconcile", kwargs={"patient_id": patient.pk})
    if patient.health_literacy_concern:
        summary.alerts.append(("info", "Limited health literacy: plain language and teach-back"))
    allergies = list(
        patient.allergies.filter(clinical_status=AllergyStatus.ACTIVE)
        .exclude(verification=AllergyVerification.REFUTED)
        .order_by("-criticality", "substance")
    )
    summary.allergies = allergies or None
    return summary
