from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity

from .choices import (
    MRN_SYSTEM,
    CareTeamCategory,
    ClinicalStatus,
    ConditionCategory,
    ContactMethod,
    ContactRelationship,
    CoverageKind,
    EncounterClass,
    Sex,
)
from .duplicates import possible_duplicates as possible_duplicates  # where its callers have looked for it
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
            # In one insert. bulk_create sends no post_save, which the kept FHIR versions listen to: the patient
            # saved just above already makes this transaction keep its new version, identifiers included.
            PatientIdentifier.objects.bulk_create(
                [
                    PatientIdentifier(
                        patient=patient,
                        organization_id=user.org_id,
                        system=system,
                        value=value,
                        label=label,
                    )
                    for system, value, label in [(MRN_SYSTEM, f"{patient.pk:08d}", "MRN"), *extra_identifiers]
                ]
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
    if any(not system or not value for system, value in wanted):
        raise ActionRefused({"identifier": "Each identifier needs its number."})
    taken = Q()
    for system, value in wanted:
        taken |= Q(system=system, value=value)
    if wanted and (
        PatientIdentifier.objects.filter(taken, organization_id=patient.organization_id)
        .exclude(patient=patient)
        .exists()
    ):
        # Not which patient: the user may not see them. An administrator can merge the two if they are one.
        raise ActionRefused(
            {
                "identifier": "That number already belongs to another patient in your organisation. If it is "
                "the same person, ask an administrator to merge the two records."
            }
        )
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
    if sensitivity not in policy.record_sensitivities(user, patient):
        raise ActionRefused(
            {"sensitivity": "You may not see records with this label, so you cannot add one."}
        )
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


def do_add_health_concern(
    user: User, patient: Patient, *, display: str, concern_code: str = "", icd10_code: str = ""
) -> Condition:
    """A need on the patient's list of health concerns (FHIR Condition, category health-concern). One active
    concern per code: naming a need again returns the concern already there."""
    policy.require(user, policy.Action.CHANGE, patient)
    if not display.strip():
        raise ActionRefused({"display": "Describe the concern."})
    if icd10_code and not is_icd10_cm(icd10_code):
        raise ActionRefused({"icd10_code": f"{icd10_code!r} is not an ICD-10-CM code (e.g. Z59.41)."})
    with transaction.atomic():
        if concern_code:
            existing = (
                Condition.objects.filter(
                    patient=patient,
                    category=ConditionCategory.HEALTH_CONCERN,
                    concern_code=concern_code,
                    clinical_status=ClinicalStatus.ACTIVE,
                )
                .order_by("pk")
                .first()
            )
            if existing is not None:
                return existing
        condition = Condition.objects.create(
            patient=patient,
            category=ConditionCategory.HEALTH_CONCERN,
            concern_code=concern_code[:40],
            icd10_code=icd10_code.strip().upper(),
            display=display.strip()[:200],
            chronic=False,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=condition, detail="health concern")
    return condition


def _coverage_errors(fields: dict[str, object]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not str(fields.get("payer", "")).strip():
        errors["payer"] = "Name the payer."
    if fields.get("kind") not in CoverageKind.values:
        errors["kind"] = f"The kind of coverage is one of {', '.join(CoverageKind.values)}."
    start, end = fields.get("start_date"), fields.get("end_date")
    if not isinstance(start, dt.date):
        errors["start_date"] = "Give the day the coverage began."
    elif isinstance(end, dt.date) and end < start:
        errors["end_date"] = "The coverage ends before it starts."
    return errors


def do_add_coverage(user: User, patient: Patient, **fields: object) -> Coverage:
    policy.require(user, policy.Action.CHANGE, patient)
    if errors := _coverage_errors(fields):
        raise ActionRefused(errors)
    with transaction.atomic():
        coverage = Coverage.objects.create(patient=patient, **fields)
        audit.record(user, AuditAction.CREATE, patient=patient, obj=coverage)
    return coverage


def do_add_encounter(user: User, patient: Patient, **fields: object) -> Encounter:
    policy.require(user, policy.Action.CHANGE, patient)
    start, end = fields.get("start"), fields.get("end")
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end < start:
        raise ActionRefused({"end": "The encounter ends before it starts."})
    if fields.get("encounter_class") not in EncounterClass.values:
        raise ActionRefused({"encounter_class": f"The class is one of {', '.join(EncounterClass.values)}."})
    with transaction.atomic():
        encounter = Encounter.objects.create(patient=patient, **fields)
        audit.record(user, AuditAction.CREATE, patient=patient, obj=encounter)
    return encounter


def do_add_contact(user: User, patient: Patient, **fields: object) -> PatientContact:
    policy.require(user, policy.Action.CHANGE, patient)
    if not str(fields.get("name", "")).strip():
        raise ActionRefused({"name": "Enter the contact's name."})
    if fields.get("relationship") not in ContactRelationship.values:
        raise ActionRefused(
            {"relationship": f"The relationship is one of {', '.join(ContactRelationship.values)}."}
        )
    with transaction.atomic():
        contact = PatientContact.objects.create(patient=patient, **fields)
        audit.record(user, AuditAction.CREATE, patient=patient, obj=contact)
    return contact


def do_add_care_team_member(
    user: User,
    patient: Patient,
    *,
    member: User | None = None,
    role: str,
    start_date: dt.date | None = None,
    end_date: dt.date | None = None,
    category: str = CareTeamCategory.OTHER,
    name: str = "",
    organization_name: str = "",
    phone: str = "",
    email: str = "",
    is_lead: bool = False,
) -> CareTeamMember:
    """Someone joins the patient's care team: staff (whose membership opens the chart to them for its
    period, through privacy.policy) or a person outside the system with a name and a way to reach them."""
    policy.require(user, policy.Action.CHANGE, patient)
    errors: dict[str, str] = {}
    if member is not None and (member.organization_id != patient.organization_id or not member.is_active):
        errors["member"] = "Care team members must be active staff of the patient's organisation."
    if member is None and not name.strip():
        errors["name"] = "Choose a member of staff, or give the name of the person outside the system."
    if member is None and not (phone.strip() or email.strip()):
        errors["phone"] = "Give a phone number or e-mail address, so the team can reach them."
    if not role.strip():
        errors["role"] = (
            "Say what they do on the team, e.g. primary care physician or daughter and caregiver."
        )
    if category not in CareTeamCategory.values:
        errors["category"] = "Choose the kind of member."
    start = start_date or clock.today()
    if end_date is not None and end_date < start:
        errors["end_date"] = "The end date comes before the start date."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        if is_lead:
            patient.care_team.filter(is_lead=True).update(is_lead=False)
        membership = CareTeamMember.objects.create(
            patient=patient,
            user=member,
            role=role.strip()[:100],
            category=category,
            name="" if member else name.strip()[:200],
            organization_name=organization_name.strip()[:200],
            phone=phone.strip()[:40],
            email=email.strip(),
            is_lead=is_lead,
            start_date=start,
            end_date=end_date,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=membership)
    return membership


def do_end_care_team_member(
    user: User, membership: CareTeamMember, *, end_date: dt.date | None = None, reason: str = ""
) -> CareTeamMember:
    """Membership ends (and with it, for staff, the access it gave) on `end_date`, today by default."""
    policy.require(user, policy.Action.CHANGE, membership.patient)
    end = end_date or clock.today()
    if end < membership.start_date:
        raise ActionRefused({"end_date": "The end date comes before the member joined."})
    if not reason.strip():
        raise ActionRefused({"reason": "Say why they leave the team."})
    with transaction.atomic():
        membership.end_date = end
        membership.end_reason = reason.strip()[:200]
        membership.is_lead = membership.is_lead and end > clock.today()
        membership.save(update_fields=["end_date", "end_reason", "is_lead", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=membership.patient, obj=membership, detail="ended")
    return membership


def do_set_care_team_lead(user: User, membership: CareTeamMember) -> CareTeamMember:
    """One lead per team: the new lead replaces the old."""
    policy.require(user, policy.Action.CHANGE, membership.patient)
    if not membership.is_current(clock.today()):
        raise ActionRefused("Only a current member can lead the team.")
    with transaction.atomic():
        membership.patient.care_team.filter(is_lead=True).exclude(pk=membership.pk).update(is_lead=False)
        membership.is_lead = True
        membership.save(update_fields=["is_lead", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=membership.patient, obj=membership, detail="lead")
    return membership


def do_add_note(
    user: User, patient: Patient, *, text: str, sensitivity: Sensitivity = Sensitivity.NORMAL
) -> Note:
    policy.require(user, policy.Action.WRITE_NOTE, patient)
    if not text.strip():
        raise ActionRefused({"text": "Write the note."})
    if sensitivity not in Sensitivity.values:
        raise ActionRefused({"sensitivity": "Choose how sensitive the note is."})
    if sensitivity not in policy.record_sensitivities(user, patient):
        # Nobody files a note they could not read back (an administrator a Part 2 note, say).
        raise ActionRefused(
            {"sensitivity": "You may not see notes with this label, so you cannot write one."}
        )
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


# --- updates (the FHIR API's write path; each checks the policy and audits like the adds above) ---------------

CONTACT_FIELDS = frozenset({"name", "relationship", "phone", "is_caregiver", "is_emergency_contact"})
COVERAGE_FIELDS = frozenset({"kind", "payer", "plan_name", "member_id", "start_date", "end_date"})
ENCOUNTER_FIELDS = frozenset(
    {"encounter_class", "facility", "start", "end", "admission_type", "discharge_disposition", "reason"}
)


def _set_fields(row: object, fields: dict[str, object], allowed: frozenset[str]) -> None:
    # The patient a row belongs to never changes through an update: that would skip the policy check on
    # the new patient.
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"Cannot update {', '.join(sorted(unknown))} on {type(row).__name__}.")
    for key, value in fields.items():
        setattr(row, key, value.strip() if isinstance(value, str) else value)


def do_update_contact(user: User, contact: PatientContact, **fields: object) -> PatientContact:
    patient = contact.patient
    policy.require(user, policy.Action.CHANGE, patient)
    errors: dict[str, str] = {}
    if "name" in fields and not str(fields["name"]).strip():
        errors["name"] = "Enter the contact's name."
    if "relationship" in fields and fields["relationship"] not in ContactRelationship.values:
        errors["relationship"] = f"The relationship is one of {', '.join(ContactRelationship.values)}."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        _set_fields(contact, fields, CONTACT_FIELDS)
        contact.save()
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=contact)
    return contact


def do_update_coverage(user: User, coverage: Coverage, **fields: object) -> Coverage:
    patient = coverage.patient
    policy.require(user, policy.Action.CHANGE, patient)
    errors: dict[str, str] = {}
    if "payer" in fields and not str(fields["payer"]).strip():
        errors["payer"] = "Name the payer."
    if "kind" in fields and fields["kind"] not in CoverageKind.values:
        errors["kind"] = f"The kind of coverage is one of {', '.join(CoverageKind.values)}."
    start = fields.get("start_date", coverage.start_date)
    end = fields.get("end_date", coverage.end_date)
    if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
        errors["end_date"] = "The coverage ends before it starts."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        _set_fields(coverage, fields, COVERAGE_FIELDS)
        coverage.save()
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=coverage)
    return coverage


def do_update_condition(
    user: User,
    condition: Condition,
    *,
    icd10_code: str,
    display: str,
    chronic: bool,
    onset_date: dt.date | None,
    clinical_status: ClinicalStatus,
    sensitivity: Sensitivity,
) -> Condition:
    patient = condition.patient
    policy.require(user, policy.Action.CHANGE, patient)
    if not is_icd10_cm(icd10_code):
        raise ActionRefused({"icd10_code": f"{icd10_code!r} is not an ICD-10-CM code (e.g. E11.9, I50.22)."})
    if not display.strip():
        raise ActionRefused({"display": "Describe the condition."})
    if clinical_status not in ClinicalStatus.values:
        raise ActionRefused({"clinical_status": f"The status is one of {', '.join(ClinicalStatus.values)}."})
    if sensitivity not in Sensitivity.values:
        raise ActionRefused({"sensitivity": "Choose how sensitive the condition is."})
    # A label the user may not see would hide the record from the user who just saved it.
    on_emergency = bool(policy.emergency_patient_ids(user, [patient.pk]))
    if sensitivity not in policy.allowed_sensitivities(user, patient, on_emergency=on_emergency):
        raise ActionRefused({"sensitivity": "You may not record conditions with that sensitivity label."})
    with transaction.atomic():
        condition.icd10_code = icd10_code.strip().upper()
        condition.display = display.strip()
        condition.chronic = chronic
        condition.onset_date = onset_date
        condition.clinical_status = clinical_status
        condition.sensitivity = sensitivity
        condition.save()
        audit.record(
            user,
            AuditAction.UPDATE,
            patient=patient,
            obj=condition,
            detail=f"sensitivity {sensitivity or 'normal'}",
        )
    return condition


def do_update_encounter(user: User, encounter: Encounter, **fields: object) -> Encounter:
    patient = encounter.patient
    policy.require(user, policy.Action.CHANGE, patient)
    start, end = fields.get("start", encounter.start), fields.get("end", encounter.end)
    if isinstance(start, dt.datetime) and isinstance(end, dt.datetime) and end < start:
        raise ActionRefused({"end": "The encounter ends before it starts."})
    if "encounter_class" in fields and fields["encounter_class"] not in EncounterClass.values:
        raise ActionRefused({"encounter_class": f"The class is one of {', '.join(EncounterClass.values)}."})
    with transaction.atomic():
        _set_fields(encounter, fields, ENCOUNTER_FIELDS)
        encounter.save()
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=encounter)
    return encounter


def do_link_portal_user(acting_user: User | None, patient: Patient, login: User) -> Patient:
    """Give the patient their own log-in (role patient, same organisation): it sees this record only. The
    portal's invitation flow will call this; until then an operator does, from the command line."""
    if login.role != "patient":
        raise ActionRefused({"login": "Only a log-in with the patient role can be a patient's own."})
    if login.organization_id != patient.organization_id:
        raise ActionRefused({"login": "The log-in must belong to the patient's organisation."})
    if Patient.objects.filter(portal_user=login).exclude(pk=patient.pk).exists():
        raise ActionRefused({"login": "That log-in already belongs to another patient."})
    with transaction.atomic():
        patient.portal_user = login
        patient.save(update_fields=["portal_user"])
        audit.record(
            acting_user,
            AuditAction.UPDATE,
            patient=patient,
            obj=patient,
            detail=f"portal log-in {login.username}",
        )
    return patient
