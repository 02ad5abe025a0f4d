"""Readmission figures (issue 19 §"Readmission figures"): the facts of a period's discharges gathered in a fixed
number of aggregate queries over the patients the viewer may see (privacy.policy.patient_q), counted by the
pure rules of figures_rules.py, and written as CSV. The page is figures_views.py.

A face-to-face visit is what the TCM billing report counts (coordination.billing): an ambulatory encounter, or a
reached in-person contact by a physician; an interactive contact is a reached contact in
coordination.choices.INTERACTIVE_MODES. Days are the organisation's local days."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.apps import apps
from django.db.models import Q
from django.utils import timezone

from careconductor.accounts.choices import Discipline
from careconductor.cases.choices import Program
from careconductor.cases.models import Case
from careconductor.coordination.calendar import holiday_set
from careconductor.coordination.choices import FACE_TO_FACE_MODES, INTERACTIVE_MODES
from careconductor.coordination.models import Contact
from careconductor.coordination.rules import TCM_PERIOD_DAYS
from careconductor.coordination.worklist import DISCHARGE_CLASSES
from careconductor.core import clock
from careconductor.patients.choices import EncounterClass
from careconductor.patients.models import Encounter
from careconductor.privacy import policy

from .figures_rules import NOT_ENROLLED, Cell, Discharge, outcomes, table
from .readmissions import READMISSION_DAYS

if TYPE_CHECKING:
    from careconductor.accounts.models import User

# The counts of a row a page may link to, with their column headings.
MEASURES = {
    "discharges": "Discharges",
    "readmissions": "Readmitted in 30 days",
    "contact_2bd": "Contact in 2 business days",
    "visit_7": "Visit in 7 days",
    "visit_14": "Visit in 14 days",
    "visited": "Visited",
    "reconciled": "Medicines reconciled by the visit",
}


@dataclass(frozen=True)
class Figures:
    start: dt.date
    end: dt.date
    rows: list[Cell]

    def row(self, month: dt.date, programme: str) -> Cell | None:
        return next((c for c in self.rows if c.month == month and c.programme == programme), None)


def programme_label(programme: str) -> str:
    return "Not enrolled" if programme == NOT_ENROLLED else str(Program(programme).label)


def readmission_figures(user: User, start: dt.date, end: dt.date) -> Figures:
    """The table for the discharges from `start` to `end` (local days, inclusive) of the patients `user` may see.
    A fixed number of queries whatever the number of discharges (the test holds it): the stays, the cases, the
    contacts, the visits, the reconciliations and the organisation's holidays. Stays ending up to 30 days after
    the period are read too: an admission then may be a readmission after a discharge in the period, and a later
    discharge may be the one it follows."""
    if user.organization_id is None:
        return Figures(start, end, [])
    visible = policy.patient_q(user)
    start_at = clock.local_midnight(start)
    after_at = clock.local_midnight(end + dt.timedelta(days=max(READMISSION_DAYS, TCM_PERIOD_DAYS) + 1))
    stays = list(
        Encounter.objects.filter(visible, encounter_class__in=DISCHARGE_CLASSES, start__lt=after_at)
        .filter(Q(end__gte=start_at) | Q(end__isnull=True, start__gte=start_at))
        .values_list("pk", "patient_id", "start", "end", "discharge_disposition")
    )
    enrolled: dict[int, list[tuple[dt.datetime, dt.datetime | None, str]]] = defaultdict(list)
    for pid, since, closed, program in (
        Case.objects.filter(visible, enrolled_at__isnull=False, enrolled_at__lt=after_at)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=start_at))
        .values_list("patient_id", "enrolled_at", "closed_at", "program")
    ):
        if since is not None:  # filtered out above; for the type checker
            enrolled[pid].append((since, closed, program))
    contacts: dict[int, list[dt.date]] = defaultdict(list)
    visits: dict[int, list[dt.date]] = defaultdict(list)
    for pid, at, mode, discipline in Contact.objects.filter(
        visible, reached=True, mode__in=INTERACTIVE_MODES, contact_at__gte=start_at, contact_at__lt=after_at
    ).values_list("patient_id", "contact_at", "mode", "staff__profile__discipline"):
        contacts[pid].append(timezone.localdate(at))
        if mode in FACE_TO_FACE_MODES and discipline == Discipline.PHYSICIAN:
            visits[pid].append(timezone.localdate(at))
    for pid, began in Encounter.objects.filter(
        visible, encounter_class=EncounterClass.AMBULATORY, start__gte=start_at, start__lt=after_at
    ).values_list("patient_id", "start"):
        visits[pid].append(timezone.localdate(began))
    # By app label: medications sits above coordination and beside transitions in the import graph.
    reconciliation = apps.get_model("medications", "Reconciliation")
    reconciled: dict[int, list[dt.date]] = defaultdict(list)
    for pid, done in reconciliation.objects.filter(
        visible, completed_at__gte=start_at, completed_at__lt=after_at
    ).values_list("patient_id", "completed_at"):
        reconciled[pid].append(timezone.localdate(done))
    holidays = holiday_set(user.organization_id, start, end + dt.timedelta(days=TCM_PERIOD_DAYS))

    discharges = [
        Discharge(
            key=pk,
            patient=pid,
            admitted=timezone.localdate(admitted_at),
            discharged=timezone.localdate(ended_at),
            disposition=disposition,
            programme=_programme(enrolled[pid], ended_at),
            contacts=tuple(contacts[pid]),
            visits=tuple(visits[pid]),
            reconciled=tuple(reconciled[pid]),
        )
        for pk, pid, admitted_at, ended_at, disposition in stays
        if ended_at is not None
    ]
    admissions = [(pk, pid, timezone.localdate(at)) for pk, pid, at, _, _ in stays]
    return Figures(start, end, table(outcomes(discharges, admissions, holidays), start, end))


def _programme(cases: list[tuple[dt.datetime, dt.datetime | None, str]], at: dt.datetime) -> str:
    """The programme of the case active at the discharge (the earliest enrolled, if several), or not enrolled."""
    active = sorted(
        (since, program)
        for since, closed, program in cases
        if since <= at and (closed is None or closed > at)
    )
    return active[0][1] if active else NOT_ENROLLED


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def figures_csv(figures: Figures) -> str:
    """The page's table as CSV, one row per month and programme, the same numbers."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Month",
            "Programme",
            "Enrolled",
            "Discharges",
            "Readmitted in 30 days",
            "Readmission rate %",
            "Median days to first contact",
            "Contact in 2 business days %",
            "Visit in 7 days %",
            "Visit in 14 days %",
            "Medicines reconciled by the visit % (of visits)",
        ]
    )
    for c in figures.rows:
        writer.writerow(
            [
                f"{c.month:%Y-%m}",
                programme_label(c.programme),
                "yes" if c.enrolled else "no",
                len(c.discharges),
                len(c.readmissions),
                _number(c.rate),
                _number(c.median_days_to_contact),
                _number(c.contact_share),
                _number(c.visit_7_share),
                _number(c.visit_14_share),
                _number(c.reconciled_share),
            ]
        )
    return out.getvalue()
