"""The monthly time and billing report: the facts of a whole organisation's month gathered in a fixed number of
queries (`month_facts`), billed by the pure rules of billing_rules.py (clinical.md §7; the decisions where §7
is silent are written there), shown to who may see them (`monthly_report`) and written as CSV
(`report_csv`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.db.models.functions import Coalesce
from django.utils import timezone

from careconductor.accounts.choices import Discipline, Role
from careconductor.core import clock
from careconductor.patients.choices import (
    MRN_SYSTEM,
    ClinicalStatus,
    ConditionCategory,
    EncounterClass,
)
from careconductor.patients.models import Condition, Encounter, Patient, PatientIdentifier
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import ConsentStatus, ConsentType
from careconductor.privacy.models import Consent

from .billing_rules import (
    COMMUNITY_DISPOSITIONS,
    TCM_ENCOUNTER_CLASSES,
    Discharge,
    LineStatus,
    MinuteEntry,
    MonthFacts,
    MonthResult,
    bill_month,
    month_end,
)
from .calendar import holiday_set
from .choices import FACE_TO_FACE_MODES, INTERACTIVE_MODES
from .models import Contact, TimeEntry
from .rules import (
    TCM_PERIOD_DAYS,
    transition_clock,
)

if TYPE_CHECKING:
    from careconductor.accounts.models import User


REPORT_ROLES = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASE_MANAGER})
# An administrator relates to every patient of the organisation (privacy.policy); a supervisor sees the patients
# of the teams they supervise, like everyone else, through visible_patients.
WHOLE_ORGANISATION_ROLES = frozenset({Role.ADMIN})
ACTIVE_CONDITION = (ClinicalStatus.ACTIVE, ClinicalStatus.RECURRENCE, ClinicalStatus.RELAPSE)
# careplans.choices.VersionStatus IN_FORCE and SUPERSEDED: versions that were in force at some time.
WAS_IN_FORCE = ("in-force", "superseded")
BATCH = 5_000  # ids per IN (…): far below SQLite's 32,766 variables


@dataclass(frozen=True)
class PatientMonth:
    patient: Patient
    facts: MonthFacts

    @property
    def mrn(self) -> str:
        return self.patient.mrn


@dataclass(frozen=True)
class PatientRow:
    patient_id: int
    name: str
    mrn: str
    result: MonthResult


@dataclass(frozen=True)
class Report:
    organization_id: int
    month: dt.date
    today: dt.date
    whole_organisation: bool
    rows: tuple[PatientRow, ...] = field(default_factory=tuple)

    def units_by_code(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for row in self.rows:
            for line in row.result.billable:
                totals[line.code] += line.units
        return dict(sorted(totals.items()))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _batches(ids: Sequence[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), BATCH):
        yield list(ids[i : i + BATCH])


def _rows(ids: Sequence[int], query: Any) -> Iterator[Any]:
    """Rows of `query(batch)` for every batch of ids: one query for up to BATCH patients."""
    for batch in _batches(ids):
        yield from query(batch)


def month_facts(
    organization_id: int, month: dt.date, patient_ids: Iterable[int] | None = None
) -> list[PatientMonth]:
    """The facts of every patient of the organisation (or of `patient_ids` only) with minutes in the month or
    a TCM period ending in it, ordered by name. A fixed number of queries whatever the number of patients
    (up to BATCH of them a query). Month boundaries are local dates (settings.TIME_ZONE)."""
    first = month_start(month)
    last = month_end(first)
    start_at, end_at = clock.local_midnight(first), clock.local_midnight(last + dt.timedelta(days=1))
    only = None if patient_ids is None else sorted(set(patient_ids))
    if only == []:
        return []

    def scoped(qs: Any, field: str = "patient_id") -> Any:
        return qs if only is None else qs.filter(**{f"{field}__in": only})

    entries: dict[int, list[MinuteEntry]] = defaultdict(list)
    contacts = scoped(
        Contact.objects.filter(
            organization_id=organization_id, contact_at__gte=start_at, contact_at__lt=end_at, minutes__gt=0
        )
    ).values_list(
        "patient_id", "minutes", "mode", "case__program", "staff__profile__discipline", "contact_at"
    )
    for pid, minutes, mode, program, discipline, at in contacts:
        if first <= timezone.localdate(at) <= last:
            entries[pid].append(
                MinuteEntry(
                    minutes, program or "", discipline == Discipline.PHYSICIAN, mode in FACE_TO_FACE_MODES
                )
            )
    times = scoped(
        TimeEntry.objects.filter(organization_id=organization_id, on__gte=first, on__lte=last)
    ).values_list("patient_id", "minutes", "case__program", "staff__profile__discipline")
    for pid, minutes, program, discipline in times:
        entries[pid].append(MinuteEntry(minutes, program or "", discipline == Discipline.PHYSICIAN))

    # Discharges whose 30-day period (the discharge day and 29 more) overlaps the month.
    earliest = first - dt.timedelta(days=TCM_PERIOD_DAYS - 1)
    stays = scoped(
        Encounter.objects.filter(
            patient__organization_id=organization_id,
            encounter_class__in=TCM_ENCOUNTER_CLASSES,
            discharge_disposition__in=[*COMMUNITY_DISPOSITIONS, ""],
            end__gte=clock.local_midnight(earliest),
            end__lt=end_at,
        )
    ).values_list("patient_id", "end", "encounter_class", "discharge_disposition")
    discharged: dict[int, list[tuple[dt.date, str, str]]] = defaultdict(list)
    for pid, end, encounter_class, disposition in stays:
        discharged[pid].append((timezone.localdate(end), encounter_class, disposition))
    ending = {
        pid
        for pid, stays_of in discharged.items()
        if any(first <= day + dt.timedelta(days=TCM_PERIOD_DAYS - 1) <= last for day, _, _ in stays_of)
    }
    ids = sorted(set(entries) | ending)
    if not ids:
        return []

    discharges = _discharges(organization_id, {pid: discharged[pid] for pid in ids if pid in discharged})
    chronic = dict(
        _rows(
            ids,
            lambda batch: (
                Condition.objects.filter(
                    patient_id__in=batch,
                    category=ConditionCategory.PROBLEM_LIST,
                    chronic=True,
                    clinical_status__in=ACTIVE_CONDITION,
                )
                .exclude(onset_date__gt=last)
                .order_by()
                .values("patient_id")
                .annotate(n=Count("pk"))
                .values_list("patient_id", "n")
            ),
        )
    )
    consented = _consented(ids, first, last)
    revised, in_force = _plans(ids, first, last, end_at)
    patients = list(
        _rows(
            ids,
            lambda batch: Patient.objects.filter(
                organization_id=organization_id, pk__in=batch
            ).prefetch_related(
                Prefetch("identifiers", queryset=PatientIdentifier.objects.filter(system=MRN_SYSTEM))
            ),
        )
    )
    patients.sort(key=lambda p: (p.family_name.lower(), p.given_name.lower(), p.pk))
    return [
        PatientMonth(
            p,
            MonthFacts(
                month=first,
                entries=tuple(entries.get(p.pk, ())),
                chronic_conditions=chronic.get(p.pk, 0),
                ccm_consent=p.pk in consented,
                plan_revised=p.pk in revised,
                discharges=tuple(discharges.get(p.pk, ())),
                care_plan_in_force=p.pk in in_force,
            ),
        )
        for p in patients
    ]


def _discharges(
    organization_id: int, stays: dict[int, list[tuple[dt.date, str, str]]]
) -> dict[int, list[Discharge]]:
    """Each discharge with its clock: the first interactive contact (a reached phone, video, in-person or
    portal contact, choices.INTERACTIVE_MODES) and the first face-to-face visit on or after the discharge
    day. A visit is an ambulatory encounter or a reached in-person contact by a physician: TCM's visit is the
    practitioner's, so a nurse's home visit is not it. With the completed medication reconciliations. Four
    queries (contacts, visits, reconciliations, holidays)."""
    if not stays:
        return {}
    pids = sorted(stays)
    days = [day for stays_of in stays.values() for day, _, _ in stays_of]
    start, end = min(days), max(days) + dt.timedelta(days=TCM_PERIOD_DAYS - 1)
    start_at, end_at = clock.local_midnight(start), clock.local_midnight(end + dt.timedelta(days=1))
    contacts: dict[int, list[dt.date]] = defaultdict(list)
    visits: dict[int, list[dt.date]] = defaultdict(list)
    reached = _rows(
        pids,
        lambda batch: Contact.objects.filter(
            patient_id__in=batch,
            reached=True,
            mode__in=INTERACTIVE_MODES,
            contact_at__gte=start_at,
            contact_at__lt=end_at,
        ).values_list("patient_id", "contact_at", "mode", "staff__profile__discipline"),
    )
    for pid, at, mode, discipline in reached:
        contacts[pid].append(timezone.localdate(at))
        if mode in FACE_TO_FACE_MODES and discipline == Discipline.PHYSICIAN:
            visits[pid].append(timezone.localdate(at))
    seen = _rows(
        pids,
        lambda batch: Encounter.objects.filter(
            patient_id__in=batch,
            encounter_class=EncounterClass.AMBULATORY,
            start__gte=start_at,
            start__lt=end_at,
        ).values_list("patient_id", "start"),
    )
    for pid, at in seen:
        visits[pid].append(timezone.localdate(at))
    reconciled: dict[int, list[dt.date]] = defaultdict(list)
    # By app label: medications sits above coordination in the import graph.
    reconciliation = apps.get_model("medications", "Reconciliation")
    done = _rows(
        pids,
        lambda batch: reconciliation.objects.filter(
            patient_id__in=batch, completed_at__gte=start_at, completed_at__lt=end_at
        ).values_list("patient_id", "completed_at"),
    )
    for pid, at in done:
        reconciled[pid].append(timezone.localdate(at))
    holidays = holiday_set(organization_id, start, end)
    return {
        pid: [
            Discharge(
                transition_clock(
                    day,
                    high_complexity=False,  # not recorded: the 14-day visit clock
                    holidays=holidays,
                    interactive_contacts=contacts[pid],
                    visits=visits[pid],
                    reconciliations=reconciled[pid],
                ),
                encounter_class,
                disposition,
                high_complexity=None,
            )
            for day, encounter_class, disposition in sorted(stays_of)
        ]
        for pid, stays_of in stays.items()
    }


def _consented(ids: Sequence[int], first: dt.date, last: dt.date) -> set[int]:
    """Patients with a CCM-billing consent in force at some point in the month. A revocation takes effect at
    the end of the month it is made in (clinical.md §7: the right to stop at any time, effective at the end of
    the month), so a consent revoked during the month still covers it."""
    found: set[int] = set()
    rows = _rows(
        ids,
        lambda batch: Consent.objects.filter(
            patient_id__in=batch,
            consent_type=ConsentType.CCM_BILLING,
            status__in=[ConsentStatus.ACTIVE, ConsentStatus.INACTIVE],
            given_on__lte=last,
        ).values_list("patient_id", "status", "expires_on", "revoked_at"),
    )
    for pid, status, expires_on, revoked_at in rows:
        if expires_on is not None and expires_on < first:
            continue
        if status == ConsentStatus.ACTIVE or (
            revoked_at is not None and timezone.localdate(revoked_at) >= first
        ):
            found.add(pid)
    return found


def _plans(
    ids: Sequence[int], first: dt.date, last: dt.date, end_at: dt.datetime
) -> tuple[set[int], set[int]]:
    """(patients whose care plan was established or revised in the month, patients with a plan in force at
    some point in it). A version "came into force" when it was approved, or when it was made where no
    approval was needed; each such version counts as establishing or substantially revising the plan. The
    version that records a plan's ending does not."""
    # By app label: care plans sit above coordination in the import graph.
    plan_version = apps.get_model("careplans", "PlanVersion")
    revised: set[int] = set()
    in_force: set[int] = set()
    rows = _rows(
        ids,
        lambda batch: (
            plan_version.objects.filter(plan__patient_id__in=batch, status__in=WAS_IN_FORCE)
            .annotate(since=Coalesce("decided_at", "made_at"))
            .filter(since__lt=end_at)
            .values_list("plan__patient_id", "since", "made_at", "plan__ended_at")
        ),
    )
    for pid, since, made_at, ended_at in rows:
        if ended_at is not None and made_at >= ended_at:
            continue  # the closing version of an ended plan
        day = timezone.localdate(since)
        if first <= day <= last:
            revised.add(pid)
        if day <= last and (ended_at is None or timezone.localdate(ended_at) >= first):
            in_force.add(pid)
    return revised, in_force


def monthly_report(user: User, month: dt.date) -> Report:
    """The month's report for the patients the user may see on it: an organisation's supervisors and
    administrators see all its patients; a case manager sees those privacy.policy lets them see. Any other
    role is refused. One audit read per patient shown."""
    if not user.is_authenticated or user.organization_id is None or user.role not in REPORT_ROLES:
        raise PermissionDenied("Your role does not include the time report.")
    whole = user.role in WHOLE_ORGANISATION_ROLES
    ids = None if whole else list(policy.visible_patients(user).values_list("pk", flat=True))
    today = clock.today()
    found = month_facts(user.organization_id, month, ids)
    rows = tuple(
        PatientRow(pm.patient.pk, pm.patient.full_name, pm.mrn, bill_month(pm.facts, today)) for pm in found
    )
    audit.record_reads(user, [pm.patient for pm in found], object_type="TimeReport")
    return Report(user.organization_id, month_start(month), today, whole, rows)


CSV_HEADER = ("Patient", "MRN", "Month", "Service", "Code", "Units", "Minutes", "Status", "Note")


def _cell(value: object) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def report_csv(report: Report) -> str:
    """One row per patient and code line, and one for each patient whose care-management minutes support no
    CCM or PCM code (its minutes and what is missing)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    month = f"{report.month:%Y-%m}"
    for row in report.rows:
        result = row.result
        who = (_cell(row.name), _cell(row.mrn), month)
        for line in result.lines:
            writer.writerow(
                (*who, line.service, line.code, line.units, line.minutes, line.status, _cell(line.note))
            )
        minutes = result.minutes.care_management
        if minutes and not result.has_care_management_code:
            note = "; ".join((*result.reasons, *result.notes))
            writer.writerow((*who, "CCM/PCM", "", 0, minutes, LineStatus.NOT_BILLABLE, _cell(note)))
        elif not result.lines and result.minutes.total:
            # Only TCM-case or face-to-face minutes, and no TCM period ending this month.
            writer.writerow((*who, "", "", 0, 0, LineStatus.NOT_BILLABLE, _cell("; ".join(result.notes))))
    return out.getvalue()
