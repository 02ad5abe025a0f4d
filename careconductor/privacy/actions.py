from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db import transaction

from careconductor.core import clock
from careconductor.core.errors import ActionRefused

from . import audit, policy
from .choices import AuditAction, ConsentMethod, ConsentStatus, ConsentType
from .models import Consent

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
    scope_note: str = "",
    refused: bool = False,
) -> Consent:
    policy.require(user, policy.Action.CHANGE, patient)
    errors: dict[str, str] = {}
    if given_on > clock.today():
        errors["given_on"] = "Consent cannot be dated in the future."
    if expires_on is not None and expires_on < given_on:
        errors["expires_on"] = "The expiry date is before the date consent was given."
    if consent_type == ConsentType.SHARING and not recipient.strip():
        errors["recipient"] = "Name the person or organisation the patient allows us to share with."
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
            recipient=recipient.strip(),
            scope_note=scope_note.strip(),
            recorded_by=user,
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
