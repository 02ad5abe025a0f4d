"""Medications and dose reports: the only code that changes them. Each action checks the policy, refuses before
writing anything, and writes one audit event in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import rules
from ..models import DoseReport, Medication
from ..reconciliation_rules import rxnorm_problem


def do_add_medication(
    user: User,
    patient: Patient,
    *,
    name: str,
    dose: str,
    instructions: str,
    times: Sequence[str],
    start_date: dt.date,
    end_date: dt.date | None = None,
    rxnorm: str = "",
) -> Medication:
    """A medication the patient is to take, at the daily times given (none: as needed), with its RxNorm code
    when known (free text is always allowed)."""
    policy.require(user, policy.Action.MEDICATIONS, patient)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Name the medication."
    if not dose.strip():
        errors["dose"] = "Give the dose (e.g. 500 mg tablet)."
    problem = rules.times_problem(list(times))
    if problem:
        errors["times"] = problem
    if end_date is not None and end_date < start_date:
        errors["end_date"] = "The last day cannot come before the first."
    code_problem = rxnorm_problem(rxnorm)
    if code_problem:
        errors["rxnorm"] = code_problem
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        medication = Medication.objects.create(
            patient=patient,
            name=name.strip()[:200],
            rxnorm=rxnorm.strip(),
            dose=dose.strip()[:200],
            instructions=instructions.strip(),
            times=sorted(times),
            start_date=start_date,
            end_date=end_date,
            added_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=medication)
    return medication


def do_stop_medication(
    user: User, medication: Medication, *, reason: str, end_date: dt.date | None = None
) -> Medication:
    """The medication stops: `end_date` (today unless given) is the last day a dose is due."""
    policy.require(user, policy.Action.MEDICATIONS, medication.patient)
    end_date = end_date or clock.today()
    with transaction.atomic():
        medication = Medication.objects.select_for_update().select_related("patient").get(pk=medication.pk)
        if medication.stopped:
            raise ActionRefused("This medication has already been stopped.")
        problems = rules.stop_problem(medication.start_date, end_date, reason)
        if problems:
            raise ActionRefused(problems)
        medication.end_date = end_date
        medication.stopped_reason = reason.strip()
        medication.save(update_fields=["end_date", "stopped_reason"])
        audit.record(user, AuditAction.UPDATE, patient=medication.patient, obj=medication, detail="stopped")
    return medication


def do_report_doses(
    user: User, patient: Patient, *, day: dt.date, answers: Mapping[tuple[int, str], bool]
) -> list[DoseReport]:
    """Whether each dose of a day was taken, keyed by (medication id, "HH:MM"), from the patient portal (the
    patient or their proxy) or from staff. Answering a dose again replaces the earlier answer."""
    policy.require(user, policy.Action.REPORT, patient)
    problem = rules.report_day_problem(day, clock.today())
    if problem:
        raise ActionRefused({"day": problem})
    if not answers:
        raise ActionRefused("Answer at least one dose.")
    ids = {medication_id for medication_id, _ in answers}
    medications = {m.pk: m for m in Medication.objects.filter(patient=patient, pk__in=ids)}
    for medication_id, slot in answers:
        medication = medications.get(medication_id)
        if medication is None or not medication.active_on(day):
            raise ActionRefused(f"That medication is not on the patient's list for {day}.")
        if slot not in medication.times:
            raise ActionRefused(f"{medication.name} has no dose at {slot}.")
    now = clock.now()
    rows = [
        DoseReport(
            medication_id=medication_id,
            patient=patient,
            day=day,
            slot=slot,
            taken=bool(taken),
            reported_at=now,
            reported_by=user,
        )
        for (medication_id, slot), taken in sorted(answers.items())
    ]
    with transaction.atomic():
        existing = set(
            DoseReport.objects.filter(medication_id__in=ids, day=day).values_list("medication_id", "slot")
        )
        # One upsert: the unique (medication, day, slot) row is written or rewritten, so a second answer and
        # two answers arriving at once both end with one row holding the last answer.
        DoseReport.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["medication", "day", "slot"],
            update_fields=["taken", "reported_at", "reported_by"],
        )
        reports = [
            r
            for r in DoseReport.objects.filter(medication_id__in=ids, day=day).order_by(
                "medication_id", "slot"
            )
            if (r.medication_id, r.slot) in answers
        ]
        taken = sum(1 for r in reports if r.taken)
        # One event per call. The doses are found by patient and day, which the event carries.
        audit.record(
            user,
            AuditAction.UPDATE if set(answers) <= existing else AuditAction.CREATE,
            patient=patient,
            object_type="DoseReport",
            object_id=day.isoformat(),
            detail=f"{len(reports)} doses: {taken} taken, {len(reports) - taken} not taken",
        )
    return reports
