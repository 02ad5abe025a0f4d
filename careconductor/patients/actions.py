from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from .choices import MRN_SYSTEM, ContactMethod, Sex
from .models import (
    CareTeamMember,
    Condition,
    Coverage,
    Encounter,
    Note,
    Patient,
    PatientContact,
    PatientIdentifier,
)
from .rules import birth_date_errors, is_icd10_cm


@dataclass
class PatientDetails:
    given_name: str
    family_name: str
    birth_date: dt.date
    sex: Sex
    preferred_language: str = "en"
    interpreter_needed: bool = False
    phone: str = ""
    email: str = ""
    address_line: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    preferred_contact_method: ContactMethod = ContactMethod.PHONE
    preferred_contact_times: str = ""
    learning_preferences: list[str] = field(default_factory=list)
    health_literacy_concern: bool = False
    gender_identity: str = ""
    preferred_name: str = ""


def _check_details(details: PatientDetails) -> None:
    errors: dict[str, str] = {}
    if not details.given_name.strip():
        errors["given_name"] = "Enter the patient's given name."
    if not details.family_name.strip():
        errors["family_name"] = "Enter the patient's family name."
    if msg := birth_date_errors(details.birth_date, clock.today()):
        errors["birth_date"] = msg
    if errors:
        raise ActionRefused(errors)


def possible_duplicates(user: User, given_name: str, family_name: str, birth_date: dt.date) -> list[Patient]:
    """Patients in the user's organisation with the same name and birth date (case-insensitive)."""
    return list(
        Patient.objects.filter(
            organization_id=user.org_id,
            given_name__iexact=given_name.strip(),
            family_name__iexact=family_name.strip(),
            birth_date=birth_date,
        ).prefetch_related("identifiers")
    )


def do_create_patient(
    user: User, details: PatientDetails, *, extra_identifiers: Sequence[tuple[str, str, str]] = ()
) -> Patient:
    """Register a patient and give them an MRN. Visibility comes from the case created with them."""
    if not policy.can_create_patients(user):
        raise ActionRefused("Your role may not register patients.")
    _check_details(details)
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                organization_id=user.org_id,
                **{k: (v.strip() if isinstance(v, str) else v) for k, v in details.__dict__.items()},
            )
            PatientIdentifier.objects.create(
                patient=patient,
                organization_id=user.org_id,
                system=MRN_SYSTEM,
                value=f"{patient.pk:08d}",
                label="MRN",
            )
            for system, value, label in extra_identifiers:
                PatientIdentifier.objects.create(
                    patient=patient,
                    organization_id=user.org_id,
                    system=system,
                    value=value,
                    label=label,
                )
            audit.record(user, AuditAction.CREATE, patient=patient, obj=patient)
    except IntegrityError as exc:
        raise ActionRefused({"identifier": "That identifier already belongs to another patient."}) from exc
    return patient


def do_update_patient(user: User, patient: Patient, details: PatientDetails) -> Patient:
    policy.require(user, policy.Action.CHANGE, patient)
    _check_details(details)
    with transaction.atomic():
        for key, value in details.__dict__.items():
            setattr(patient, key, value.strip() if isinstance(value, str) else value)
        patient.save()
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=patient)
    return patient


def do_set_identifiers(user: User, patient: Patient, identifiers: Sequence[tuple[str, str, str]]) -> Patient:
    """Replace the patient's identifiers from other systems (system, value, label). The MRN is ours and stays."""
    policy.require(user, policy.Action.CHANGE, patient)
    wanted = {
        (system.strip(), value.strip()): label for system, value, label in identifiers if system != MRN_SYSTEM
    }
    try:
        with transaction.atomic():
            current = {(i.system, i.value): i for i in patient.identifiers.exclude(system=MRN_SYSTEM)}
            if set(current) == set(wanted):
                return patient
            for key, row in current.items():
                if key not in wanted:
                    row.delete()
            for (system, value), label in wanted.items():
                if (system, value) not in current:
                    PatientIdentifier.objects.create(
                        patient=patient,
                        organization_id=patient.organization_id,
                        system=system,
                        value=value,
                        label=label,
                    )
            patient.save(update_fields=["updated_at"])  # a new version of the patient
            audit.record(user, AuditAction.UPDATE, patient=patient, obj=patient, detail="identifiers")
    except IntegrityError as exc:
        raise ActionRefused({"identifier": "That identifier already belongs to another patient."}) from exc
    return patient


def do_add_condition(
    user: User,
    patient: Patient,
    *,
    icd10_code: str,
    display: str,
    chronic: bool = True,
    onset_date: dt.date | None = None,
    sensitivity: Sensitivity = Sensitivity.NORMAL,
) -> Condition:
    policy.require(user, policy.Action.CHANGE, patient)
    if not is_icd10_cm(icd10_code):
        raise ActionRefused({"icd10_code": f"{icd10_code!r} is not an ICD-10-CM code (e.g. E11.9, I50.22)."})
    if not display.strip():
        raise ActionRefused({"display": "Describe the condition."})
    with transaction.atomic():
        condition = Condition.objects.create(
            patient=patient,
            icd10_code=icd10_code.strip().upper(),
            display=display.strip(),
            chronic=chronic,
            onset_date=onset_date,
            sensitivity=sensitivity,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=condition)
    return condition


def do_add_coverage(user: User, patient: Patient, **fields: object) -> Coverage:
    policy.require(user, policy.Action.CHANGE, patient)
    with transaction.atomic():
        coverage = Coverage.objects.create(patient=patient, **fields)
        audit.record(user, AuditAction.CREATE, patient=patient, obj=coverage)
    return coverage


def do_add_encounter(user: User, patient: Patient, **fields: object) -> Encounter:
    policy.require(user, policy.Action.CHANGE, patient)
    start, end = fields.get("start"), fields.get("end")
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end < start:
        raise ActionRefused({"end": "The encounter ends before it starts."})
    with transaction.atomic():
        encounter = Encounter.objects.create(patient=patient, **fields)
        audit.record(user, AuditAction.CREATE, patient=patient, obj=encounter)
    return encounter


def do_add_contact(user: User, patient: Patient, **fields: object) -> PatientContact:
    policy.require(user, policy.Action.CHANGE, patient)
    with transaction.atomic():
        contact = PatientContact.objects.create(patient=patient, **fields)
        audit.record(user, AuditAction.CREATE, patient=patient, obj=contact)
    return contact


def do_add_care_team_member(
    user: User, patient: Patient, *, member: User, role: str, start_date: dt.date | None = None
) -> CareTeamMember:
    policy.require(user, policy.Action.CHANGE, patient)
    if member.organization_id != patient.organization_id:
        raise ActionRefused({"member": "Care team members must belong to the patient's organisation."})
    with transaction.atomic():
        membership = CareTeamMember.objects.create(
            patient=patient, user=member, role=role, start_date=start_date or clock.today()
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=membership)
    return membership


def do_add_note(
    user: User, patient: Patient, *, text: str, sensitivity: Sensitivity = Sensitivity.NORMAL
) -> Note:
    policy.require(user, policy.Action.CHANGE, patient)
    if not text.strip():
        raise ActionRefused({"text": "Write the note."})
    if sensitivity not in Sensitivity.values:
        raise ActionRefused({"sensitivity": "Choose how sensitive the note is."})
    with transaction.atomic():
        note = Note.objects.create(
            patient=patient, author=user, written_at=clock.now(), sensitivity=sensitivity, text=text.strip()
        )
        audit.record(
            user,
            AuditAction.CREATE,
            patient=patient,
            obj=note,
            detail=f"sensitivity {sensitivity or 'normal'}",
        )
    return note
