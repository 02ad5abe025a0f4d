"""Medicines other systems tell of: a discharge list's medicines (a FHIR MedicationRequest, RXE/RXO segments on
the ADT feed) and a pharmacy's fills (RDS^O13). Each action checks the policy, refuses before keeping
anything, keeps what was sent and writes one audit event, in the caller's transaction or its own."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import reconciliation_rules as rules
from ..choices import OrderSource, ReconciliationStatus
from ..models import DischargeMedication, PharmacyFill, Reconciliation
from .reconciliation import join_discharge_list


def do_record_discharge_medication(
    user: User,
    patient: Patient,
    *,
    name: str,
    dose: str,
    source: OrderSource,
    encounter: Encounter | None = None,
    rxnorm: str = "",
    says_stop: bool = False,
    instructions: str = "",
    reference: str = "",
) -> DischargeMedication:
    """A medicine on the discharge list of `encounter` (None: a list not tied to a stay). It joins the
    reconciliation in progress when there is one for that stay (or one not tied to a stay); otherwise the
    reconciliation started for the stay takes it."""
    policy.require(user, policy.Action.MEDICATIONS, patient)
    errors = rules.order_problems(name, dose, rxnorm, says_stop=says_stop)
    if encounter is not None and encounter.patient_id != patient.pk:
        errors["encounter"] = "That stay is not this patient's."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        order = DischargeMedication.objects.create(
            patient=patient,
            encounter=encounter,
            name=name.strip()[:200],
            rxnorm=rxnorm.strip(),
            dose="" if says_stop else dose.strip()[:200],
            instructions=instructions.strip(),
            says_stop=says_stop,
            source=source,
            reference=reference.strip()[:200],
            recorded_at=clock.now(),
            recorded_by=user,
        )
        audit.record(
            user, AuditAction.CREATE, patient=patient, obj=order, detail=f"discharge list ({source})"
        )
        in_progress = (
            Reconciliation.objects.select_for_update(of=("self",))
            .filter(patient=patient, status=ReconciliationStatus.IN_PROGRESS)
            .first()
        )
        if in_progress is not None and rules.joins(order.encounter_id, in_progress.encounter_id):
            join_discharge_list(user, in_progress, [order])
    return order


def do_record_pharmacy_fill(
    user: User,
    patient: Patient,
    *,
    name: str,
    filled_on: dt.date,
    rxnorm: str = "",
    dose: str = "",
    quantity: str = "",
    days_supply: int | None = None,
    pharmacy: str = "",
    reference: str = "",
) -> PharmacyFill:
    """A pharmacy's dispensing of a medicine to the patient, as the feed reported it."""
    policy.require(user, policy.Action.MEDICATIONS, patient)
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Name the medication dispensed."
    problem = rules.rxnorm_problem(rxnorm)
    if problem:
        errors["rxnorm"] = problem
    if filled_on > clock.today():
        errors["filled_on"] = "A fill cannot be in the future."
    if days_supply is not None and not 0 < days_supply <= 366:
        errors["days_supply"] = "Days' supply is between 1 and 366."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        fill = PharmacyFill.objects.create(
            patient=patient,
            name=name.strip()[:200],
            rxnorm=rxnorm.strip(),
            dose=dose.strip()[:200],
            quantity=quantity.strip()[:40],
            days_supply=days_supply,
            filled_on=filled_on,
            pharmacy=pharmacy.strip()[:200],
            reference=reference.strip()[:200],
            recorded_at=clock.now(),
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=fill, detail="pharmacy fill")
    return fill
