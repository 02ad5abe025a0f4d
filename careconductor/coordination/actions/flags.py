"""Alerts on a patient (Flag): raised by a rule or a person, acknowledged by staff."""

from __future__ import annotations

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..choices import (
    FlagCategory,
    FlagStatus,
)
from ..models import (
    Flag,
)


def do_raise_flag(
    user: User,
    patient: Patient,
    *,
    text: str,
    category: FlagCategory = FlagCategory.SAFETY,
    rule: str = "",
    focus: str = "",
) -> Flag:
    """An alert on the chart. One active flag per rule and patient: a second cause refreshes nothing."""
    policy.require(user, policy.Action.VIEW, patient)
    with transaction.atomic():
        existing = (
            Flag.objects.filter(patient=patient, rule=rule, status=FlagStatus.ACTIVE).first()
            if rule
            else None
        )
        if existing is not None:
            return existing
        flag = Flag.objects.create(
            patient=patient,
            category=category,
            text=text[:200],
            rule=rule,
            focus=focus,
            raised_at=clock.now(),
            raised_by=user,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=flag, detail=rule)
    return flag


def do_acknowledge_flag(user: User, flag: Flag, *, note: str) -> Flag:
    """A person has seen the alert and says what was done; the flag leaves the chart header."""
    policy.require(user, policy.Action.VIEW, flag.patient)
    if not note.strip():
        raise ActionRefused({"note": "Say what was done about the alert."})
    with transaction.atomic():
        flag = Flag.objects.select_for_update(of=("self",)).select_related("patient").get(pk=flag.pk)
        if flag.status != FlagStatus.ACTIVE:
            raise ActionRefused("This alert has already been acknowledged.")
        flag.status = FlagStatus.INACTIVE
        flag.acknowledged_at = clock.now()
        flag.acknowledged_by = user
        flag.acknowledgement = note.strip()
        flag.save(
            update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement", "updated_at"]
        )
        audit.record(user, AuditAction.UPDATE, patient=flag.patient, obj=flag, detail="acknowledged")
    return flag
