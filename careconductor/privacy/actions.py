from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction

from careconductor.accounts.choices import Role
from careconductor.core import clock
from careconductor.core.errors import ActionRefused

from . import audit, policy
from .choices import (
    SENSITIVITY_OF_CONSENT,
    AuditAction,
    ConsentMethod,
    ConsentStatus,
    ConsentType,
    EmergencyReason,
    ReviewOutcome,
    Sensitivity,
)
from .models import Consent, Disclosure, EmergencyAccess

if TYPE_CHECKING:
    from careconductor.accounts.models import User
    from careconductor.patients.models import Patient


def do_record_consent(
    user: User,
    patient: Patient,
    *,
    consent_type: ConsentType,
    method: ConsentMethod,
    given_on: dt.date,
    expires_on: dt.date | None = None,
    recipient: str = "",
    recipient_user: User | None = None,
    scope_note: str = "",
    refused: bool = False,
) -> Consent:
    policy.require(user, policy.Action.CHANGE, patient)
    errors: dict[str, str] = {}
    if given_on > clock.today():
        errors["given_on"] = "Consent cannot be dated in the future."
    if expires_on is not None and expires_on < given_on:
        errors["expires_on"] = "The expiry date is before the date consent was given."
    if consent_type in (ConsentType.SHARING, ConsentType.PART2) and not (recipient.strip() or recipient_user):
        errors["recipient"] = "Name the person or organisation the patient allows us to share with."
    if recipient_user is not None and recipient_user.organization_id != patient.organization_id:
        errors["recipient_user"] = "Choose a member of this organisation's staff."
    label = SENSITIVITY_OF_CONSENT.get(consent_type, Sensitivity.NORMAL)
    if label not in policy.record_sensitivities(user, patient):
        errors["consent_type"] = (
            "Only someone who may read this patient's Part 2 records may record that consent."
        )
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        consent = Consent.objects.create(
            patient=patient,
            consent_type=consent_type,
            status=ConsentStatus.REJECTED if refused else ConsentStatus.ACTIVE,
            method=method,
            given_on=given_on,
            expires_on=expires_on,
            recipient=recipient.strip() or (recipient_user.display_name() if recipient_user else ""),
            recipient_user=recipient_user,
            scope_note=scope_note.strip(),
            recorded_by=user,
            sensitivity=SENSITIVITY_OF_CONSENT.get(consent_type, Sensitivity.NORMAL),
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=consent)
    return consent


def do_revoke_consent(user: User, consent: Consent) -> Consent:
    policy.require(user, policy.Action.CHANGE, consent.patient)
    if consent.status != ConsentStatus.ACTIVE:
        raise ActionRefused("Only a consent in force can be revoked.")
    with transaction.atomic():
        consent.status = ConsentStatus.INACTIVE
        consent.revoked_at = clock.now()
        consent.save(update_fields=["status", "revoked_at", "updated_at"])
        audit.record(user, AuditAction.UPDATE, patient=consent.patient, obj=consent, detail="revoked")
    return consent


MIN_EXPLANATION = 15


def do_break_glass(
    user: User, patient: Patient, *, reason: EmergencyReason, explanation: str
) -> EmergencyAccess:
    """Open a patient's record without a relationship, for BREAK_GLASS_MINUTES, with a reason on record."""
    if not policy.may_break_glass(user, patient):
        if policy.can(user, policy.Action.VIEW, patient):
            raise ActionRefused("You already have access to this patient.")
        raise ActionRefused("Your role may not use emergency access.")
    errors: dict[str, str] = {}
    if reason not in EmergencyReason.values:
        errors["reason"] = "Choose the reason for emergency access."
    if len(explanation.strip()) < MIN_EXPLANATION:
        errors["explanation"] = "Explain in a sentence why you need this record now."
    if errors:
        raise ActionRefused(errors)
    now = clock.now()
    with transaction.atomic():
        grant = EmergencyAccess.objects.create(
            user=user,
            patient=patient,
            reason=reason,
            explanation=explanation.strip(),
            started_at=now,
            expires_at=now + dt.timedelta(minutes=settings.BREAK_GLASS_MINUTES),
        )
        # Written after the grant so the event carries the emergency purpose of use.
        audit.record(user, AuditAction.CREATE, patient=patient, obj=grant, detail=f"reason {reason}")
    return grant


def do_review_emergency_access(
    user: User, grant: EmergencyAccess, *, outcome: ReviewOutcome, note: str = ""
) -> EmergencyAccess:
    if user.role != Role.PRIVACY_OFFICER or user.organization_id != grant.patient.organization_id:
        raise ActionRefused("Only the organisation's privacy officer reviews emergency access.")
    if grant.reviewed_at is not None:
        raise ActionRefused("This emergency access has been reviewed already.")
    if outcome == ReviewOutcome.INAPPROPRIATE and not note.strip():
        raise ActionRefused({"note": "Say what follows (e.g. who will talk to the user)."})
    with transaction.atomic():
        grant.reviewed_at = clock.now()
        grant.reviewed_by = user
        grant.review_outcome = outcome
        grant.review_note = note.strip()
        if outcome == ReviewOutcome.INAPPROPRIATE and grant.expires_at > grant.reviewed_at:
            grant.expires_at = grant.reviewed_at  # ends access still running
        grant.save()
        audit.record(
            user, AuditAction.UPDATE, obj=grant, object_type="EmergencyAccess", detail=f"reviewed {outcome}"
        )
    return grant


def do_record_disclosure(
    user: User,
    patient: Patient,
    *,
    disclosed_on: dt.date,
    recipient_name: str,
    recipient_address: str = "",
    description: str,
    purpose: str,
    sensitivity: Sensitivity = Sensitivity.NORMAL,
) -> Disclosure:
    policy.require(user, policy.Action.CHANGE, patient)
    errors: dict[str, str] = {}
    if disclosed_on > clock.today():
        errors["disclosed_on"] = "A disclosure cannot be dated in the future."
    if sensitivity not in policy.record_sensitivities(user, patient):
        errors["description"] = (
            "Only someone who may read this patient's Part 2 records may record that disclosure."
        )
    for field, value, message in (
        ("recipient_name", recipient_name, "Name who received the information."),
        ("description", description, "Say what information was disclosed."),
        ("purpose", purpose, "Say why it was disclosed."),
    ):
        if not value.strip():
            errors[field] = message
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        disclosure = Disclosure.objects.create(
            patient=patient,
            disclosed_on=disclosed_on,
            recipient_name=recipient_name.strip(),
            recipient_address=recipient_address.strip(),
            description=description.strip(),
            purpose=purpose.strip(),
            recorded_by=user,
            sensitivity=sensitivity,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=disclosure)
    return disclosure
