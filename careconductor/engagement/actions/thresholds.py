"""Alert limits: a patient's own (set by their case staff) and the organisation's for each programme (set by
an administrator). A patient's own limit comes first, then the programme's, then the defaults."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import rules
from ..choices import ThresholdMeasure
from ..models import Threshold


def do_set_threshold(
    user: User,
    patient: Patient,
    *,
    measure: str,
    low: Decimal | None,
    high: Decimal | None,
    reason: str = "",
) -> Threshold:
    """This patient's own alert limit for a measure (replaces the programme's or the default)."""
    policy.require(user, policy.Action.CHANGE, patient)
    if measure not in ThresholdMeasure.values:
        raise ActionRefused({"measure": _("Choose a measure.")})
    errors = rules.check_limit_values(measure, low, high)
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        threshold, created = Threshold.objects.update_or_create(
            patient=patient,
            measure=measure,
            defaults={
                "organization_id": patient.organization_id,
                "low": low,
                "high": high,
                "set_by": user,
                "reason": reason.strip()[:200],
            },
        )
        audit.record(
            user,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            patient=patient,
            obj=threshold,
            detail=measure,
        )
    return threshold


def do_clear_threshold(user: User, threshold: Threshold) -> None:
    """Back to the programme's or the default limit."""
    if threshold.patient is None:
        raise NotVisible
    policy.require(user, policy.Action.CHANGE, threshold.patient)
    with transaction.atomic():
        audit.record(
            user, AuditAction.DELETE, patient=threshold.patient, obj=threshold, detail=threshold.measure
        )
        threshold.delete()


def _require_admin(user: User) -> int:
    return policy.require_admin(user, "Only an administrator sets the organisation's alert limits.")


def do_set_programme_threshold(
    user: User, *, program: str, measure: str, low: Decimal | None, high: Decimal | None, reason: str = ""
) -> Threshold:
    """The organisation's default limit for a measure in one programme (blank: every programme). A patient's
    own limit still comes first."""
    from careconductor.cases.choices import Program

    org_id = _require_admin(user)
    errors = rules.check_limit_values(measure, low, high)
    if program and program not in Program.values:
        errors["program"] = "Choose a programme."
    if measure not in ThresholdMeasure.values:
        errors["measure"] = "Choose a measure."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        threshold, created = Threshold.objects.update_or_create(
            organization_id=org_id,
            patient=None,
            program=program,
            measure=measure,
            defaults={"low": low, "high": high, "set_by": user, "reason": reason.strip()[:200]},
        )
        audit.record(
            user,
            AuditAction.CREATE if created else AuditAction.UPDATE,
            obj=threshold,
            detail=f"{program or 'all'} {measure}",
        )
    return threshold


def do_clear_programme_threshold(user: User, threshold: Threshold) -> None:
    org_id = _require_admin(user)
    if threshold.patient_id is not None or threshold.organization_id != org_id:
        raise NotVisible
    with transaction.atomic():
        audit.record(
            user,
            AuditAction.DELETE,
            obj=threshold,
            detail=f"{threshold.program or 'all'} {threshold.measure}",
        )
        threshold.delete()
