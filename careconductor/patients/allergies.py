"""Allergies and intolerances on screens and through FHIR AllergyIntolerance: record one, change its status
(resolved, refuted, entered in error) with a reason. Case staff and care-team pharmacists keep the list
(policy: CHANGE, or the MEDICATIONS share of the work)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .choices import (
    NO_KNOWN_ALLERGIES,
    AllergyCategory,
    AllergyCriticality,
    AllergyStatus,
    AllergyVerification,
    ReactionSeverity,
)
from .models import Allergy, Patient


@dataclass(frozen=True)
class AllergyDetails:
    substance: str
    category: str = AllergyCategory.MEDICATION
    criticality: str = ""
    reaction: str = ""
    severity: str = ""
    verification: str = AllergyVerification.UNCONFIRMED
    onset_date: dt.date | None = None
    code_system: str = ""
    code: str = ""
    note: str = ""


def _require_keeper(user: User, patient: Patient) -> None:
    policy.require(user, policy.Action.VIEW, patient)
    if not (
        policy.may(user, policy.Action.CHANGE, patient)
        or policy.may(user, policy.Action.MEDICATIONS, patient)
    ):
        raise ActionRefused("Your role may read the allergy list but not change it.")


def allergy_errors(details: AllergyDetails, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not details.substance.strip():
        errors["substance"] = "Name the substance (e.g. penicillin, peanuts, latex)."
    elif len(details.substance.strip()) > 200:
        errors["substance"] = "Keep the substance under 200 characters."
    if details.category not in AllergyCategory.values:
        errors["category"] = "Choose medication, food, environment or biologic."
    if details.criticality and details.criticality not in AllergyCriticality.values:
        errors["criticality"] = "Choose low, high or unable to assess."
    if details.severity and details.severity not in ReactionSeverity.values:
        errors["severity"] = "Choose mild, moderate or severe."
    if details.severity and not details.reaction.strip():
        errors["reaction"] = "Say what the reaction was."
    if details.verification not in AllergyVerification.values:
        errors["verification"] = "Choose confirmed, reported or refuted."
    if details.onset_date is not None and details.onset_date > today:
        errors["onset_date"] = "The reaction cannot have started on a day still to come."
    if bool(details.code) != bool(details.code_system):
        errors["code"] = "A code needs its system (RxNorm or SNOMED CT), and the other way round."
    return errors


def do_record_allergy(user: User, patient: Patient, details: AllergyDetails) -> Allergy:
    """Add an allergy. "No known allergies" cannot stand beside an active allergy: recording an allergy ends
    it, and it is refused while an allergy is active."""
    _require_keeper(user, patient)
    if errors := allergy_errors(details, clock.today()):
        raise ActionRefused(errors)
    nka = (details.code_system, details.code) == NO_KNOWN_ALLERGIES[:2]
    with transaction.atomic():
        active = Allergy.objects.select_for_update().filter(
            patient=patient, clinical_status=AllergyStatus.ACTIVE
        )
        if nka and any(not a.is_no_known_allergies for a in active):
            raise ActionRefused(
                "The patient has an active allergy: resolve or refute it before recording none."
            )
        if nka and any(a.is_no_known_allergies for a in active):
            raise ActionRefused("No known allergies is recorded already.")
        for old in active:
            if old.is_no_known_allergies and not nka:
                _set_status(user, old, AllergyStatus.INACTIVE, "an allergy was recorded")
        allergy = Allergy.objects.create(
            patient=patient,
            substance=details.substance.strip(),
            category=details.category,
            criticality=details.criticality,
            reaction=details.reaction.strip()[:200],
            severity=details.severity,
            verification=details.verification,
            onset_date=details.onset_date,
            code_system=details.code_system.strip(),
            code=details.code.strip(),
            note=details.note.strip()[:500],
            recorded_by=user,
            recorded_at=clock.now(),
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=allergy, detail=allergy.substance[:100])
    return allergy


def do_record_no_known_allergies(user: User, patient: Patient) -> Allergy:
    system, code, words = NO_KNOWN_ALLERGIES
    return do_record_allergy(
        user,
        patient,
        AllergyDetails(
            substance=words, code_system=system, code=code, verification=AllergyVerification.CONFIRMED
        ),
    )


def do_change_allergy_status(user: User, allergy: Allergy, *, status: str, reason: str) -> Allergy:
    """Resolve (outgrown, desensitised), make inactive, or refute (tested: not allergic) an allergy, saying why."""
    _require_keeper(user, allergy.patient)
    errors: dict[str, str] = {}
    if status not in (*AllergyStatus.values, AllergyVerification.REFUTED):
        errors["status"] = "Choose resolved, inactive or refuted."
    if not reason.strip():
        errors["reason"] = "Say why (e.g. tolerated amoxicillin in 2025)."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        allergy = Allergy.objects.select_for_update().select_related("patient").get(pk=allergy.pk)
        _set_status(user, allergy, status, reason.strip())
    return allergy


def _set_status(user: User, allergy: Allergy, status: str, reason: str) -> None:
    if status == AllergyVerification.REFUTED:
        allergy.verification, allergy.clinical_status = AllergyVerification.REFUTED, AllergyStatus.INACTIVE
    else:
        allergy.clinical_status = status
    allergy.note = f"{allergy.note}\n{clock.today():%Y-%m-%d}: {status}, {reason}".strip()[:500]
    allergy.save(update_fields=["clinical_status", "verification", "note"])
    audit.record(
        user, AuditAction.UPDATE, patient=allergy.patient, obj=allergy, detail=f"{status}: {reason}"[:200]
    )
