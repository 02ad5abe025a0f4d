"""Permission-checked reads of medications, and what the staff screen and the patient portal say about them.

Functions taking a Patient are for a patient the caller has already opened (through patients.queries
.access_patient, or the portal's own access): they check nothing and record nothing again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import reconciliation_rules, rules
from .choices import ReconciliationStatus
from .models import DoseReport, Medication, PharmacyFill, Reconciliation, ReconciliationLine

# How far back the reconciliation screen looks for a medicine's last pharmacy fill.
FILL_HISTORY_DAYS = 180


def access_medication(user: User, medication_id: int) -> Medication:
    """The medication if the user may see its patient (the read is audited); NotVisible otherwise."""
    medication = (
        Medication.objects.filter(policy.patient_q(user))
        .select_related("patient", "added_by")
        .filter(pk=medication_id)
        .first()
    )
    if medication is None:  # patient_q is policy.can(user, "view", …) as a filter: one query
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=medication.patient, obj=medication)
    return medication


def active_medications(patient: Patient, day: dt.date | None = None) -> QuerySet[Medication]:
    """The medications the patient takes on `day` (today unless given), those taken as needed included."""
    day = day or clock.today()
    return Medication.objects.filter(patient=patient, start_date__lte=day).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=day)
    )


def patient_medications(patient: Patient) -> list[Medication]:
    """All the patient's medications, for the staff list: current ones first, then stopped or ended ones."""
    today = clock.today()
    rows = list(Medication.objects.filter(patient=patient).select_related("added_by"))
    rows.sort(key=lambda m: not m.current_on(today))
    return rows


@dataclass(frozen=True)
class DoseSlot:
    """One dose due on a day, and what was reported about it (None: nothing yet)."""

    medication: Medication
    slot: str
    taken: bool | None


def doses_for_day(patient: Patient, day: dt.date) -> list[DoseSlot]:
    """The doses due on `day`, in time order, with the answers given so far (two queries)."""
    medications = [m for m in active_medications(patient, day) if m.times]
    reported = DoseReport.objects.filter(patient=patient, day=day).values_list(
        "medication_id", "slot", "taken"
    )
    answers = {(medication_id, slot): taken for medication_id, slot, taken in reported}
    slots = [
        DoseSlot(medication=m, slot=slot, taken=answers.get((m.pk, slot)))
        for m in medications
        for slot in m.times
    ]
    slots.sort(key=lambda d: (d.slot, d.medication.name.lower(), d.medication.pk))
    return slots


def _window_doses(patient: Patient, days: int) -> tuple[list[Medication], list[rules.Dose], set[rules.Dose]]:
    """The medications that ran in the window, the doses they scheduled and the doses reported taken: two
    queries however many medications there are."""
    first, last = rules.window(clock.today(), days)
    medications = [
        m
        for m in Medication.objects.filter(patient=patient, start_date__lte=last).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=first)
        )
        if m.times
    ]
    scheduled = [
        (m.pk, day, slot)
        for m in medications
        for day, slot in rules.scheduled_slots(m.times, m.start_date, m.end_date, first, last)
    ]
    taken = set(
        DoseReport.objects.filter(
            patient=patient,
            day__gte=first,
            day__lte=last,
            taken=True,
            medication__in=[m.pk for m in medications],
        ).values_list("medication_id", "day", "slot")
    )
    return medications, scheduled, taken


def adherence_for(patient: Patient, days: int = rules.ADHERENCE_DAYS) -> rules.Adherence:
    """The share of the patient's scheduled doses reported taken over the last `days` days (rules.adherence)."""
    _, scheduled, taken = _window_doses(patient, days)
    return rules.adherence(scheduled, taken)


def adherence_by_medication(patient: Patient, days: int = rules.ADHERENCE_DAYS) -> dict[int, rules.Adherence]:
    """The same, medication by medication (keyed by id), for the medications that scheduled doses in the
    window."""
    medications, scheduled, taken = _window_doses(patient, days)
    return {
        m.pk: rules.adherence([d for d in scheduled if d[0] == m.pk], {d for d in taken if d[0] == m.pk})
        for m in medications
    }


# --- reconciliation -----------------------------------------------------------------------------------------------
def access_reconciliation(user: User, reconciliation_id: int) -> Reconciliation:
    """The reconciliation if the user may see its patient (the read is audited); NotVisible otherwise."""
    reconciliation = (
        Reconciliation.objects.filter(policy.patient_q(user))
        .select_related("patient", "encounter", "started_by", "completed_by")
        .filter(pk=reconciliation_id)
        .first()
    )
    if reconciliation is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=reconciliation.patient, obj=reconciliation)
    return reconciliation


def access_reconciliation_line(user: User, line_id: int) -> ReconciliationLine:
    """A line of a reconciliation the user may see (the read is audited); NotVisible otherwise."""
    line = (
        ReconciliationLine.objects.filter(policy.patient_q(user, "reconciliation__patient"))
        .select_related(
            "reconciliation__patient",
            "reconciliation__encounter",
            "reconciliation__started_by",
            "reconciliation__completed_by",
        )
        .filter(pk=line_id)
        .first()
    )
    if line is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=line.reconciliation.patient, obj=line)
    return line


def reconciliation_lines(reconciliation: Reconciliation) -> list[ReconciliationLine]:
    """The lines in the order they came (the patient's list first, then the discharge list's new ones), with
    the tasks they raised (one query)."""
    return list(
        reconciliation.lines.select_related("task__owner", "plan_barrier")
        .prefetch_related("discharge_orders")
        .order_by("pk")
    )


def plan_goals(user: User, patient: Patient) -> list[tuple[int, str]]:
    """The goals of the patient's open care plans (draft or active) a barrier may go on, as choices, without
    the goals the user may not see (made only for a Part 2 or psychotherapy problem: careplans.queries
    .visible_goals). Two queries for the usual one open plan."""
    from careconductor.careplans.models import CarePlan
    from careconductor.careplans.queries import visible_goals

    choices: list[tuple[int, str]] = []
    for plan in CarePlan.objects.filter(patient=patient, status__in=("draft", "active")).order_by("pk"):
        plan.patient = patient  # already opened: visible_goals asks the policy about it
        choices += [
            (g.pk, (g.statement or g.patient_words)[:80]) for g in visible_goals(user, plan).order_by("pk")
        ]
    return choices


@dataclass(frozen=True)
class LastFills:
    """The last pharmacy fill of each line's medicine (by line id), and whether the patient has any fill
    history in the window (a feed sends it): without one, "no fill" says nothing."""

    by_line: dict[int, PharmacyFill]
    has_history: bool

    def get(self, line_id: int) -> PharmacyFill | None:
        return self.by_line.get(line_id)


def last_fills(patient: Patient, lines: list[ReconciliationLine]) -> LastFills:
    """One query: the patient's fills of the last FILL_HISTORY_DAYS, the latest first, matched to the lines by
    the reconciliation's own rule for the same medicine (RxNorm code or normalised name)."""
    since = clock.today() - dt.timedelta(days=FILL_HISTORY_DAYS)
    fills = list(
        PharmacyFill.objects.filter(patient=patient, filled_on__gte=since).order_by("-filled_on", "-pk")
    )
    found: dict[int, PharmacyFill] = {}
    for line in lines:
        for fill in fills:
            if reconciliation_rules.same_medicine(line.name, line.rxnorm, fill.name, fill.rxnorm):
                found[line.pk] = fill
                break
    return LastFills(found, bool(fills))


def patient_reconciliations(patient: Patient) -> list[Reconciliation]:
    """The patient's reconciliations, the latest first (one query)."""
    return list(
        Reconciliation.objects.filter(patient=patient).select_related(
            "encounter", "started_by", "completed_by"
        )
    )


def reconciliation_in_progress(patient: Patient) -> Reconciliation | None:
    return Reconciliation.objects.filter(patient=patient, status=ReconciliationStatus.IN_PROGRESS).first()


def discharges(patient: Patient, limit: int = 10) -> list[Encounter]:
    """The patient's ended stays and visits, the latest first: what a reconciliation can be for."""
    return list(Encounter.objects.filter(patient=patient, end__isnull=False).order_by("-end", "-pk")[:limit])
