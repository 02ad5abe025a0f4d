"""Readings typed for a goal's measure (a lab read out, a value the patient gives by phone or the portal)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..choices import (
    ReadingSource,
)
from ..measures import MEASURES
from ..models import (
    Reading,
)


def do_record_reading(
    user: User,
    patient: Patient,
    *,
    measure_key: str,
    value: Decimal,
    taken_at: dt.datetime,
    source: ReadingSource,
    note: str = "",
) -> Reading:
    """A value for a goal's measure that did not arrive by itself (a lab result read out, a reading the patient
    gives by phone). Goals measured by it show the new value at once. A patient's own report (the portal)
    needs only the right to report on the record."""
    right = policy.Action.REPORT if source == ReadingSource.SELF_REPORT else policy.Action.CHANGE
    policy.require(user, right, patient)
    m = MEASURES.get(measure_key)
    errors: dict[str, str] = {}
    if m is None or not m.numeric or m.instrument:
        errors["measure"] = "Choose a measured value (assessment scores come from the assessments)."
    if taken_at > clock.now():
        errors["taken_at"] = "The reading cannot be in the future."
    if not Decimal("-100000") < value < Decimal("1000000"):
        errors["value"] = "That value is out of range."
    if errors:
        raise ActionRefused(errors)
    # No savepoint of its own inside a caller's transaction (a portal report saves two readings and its alert
    # in one): an error here fails the caller's transaction, which is what the caller wants anyway.
    with transaction.atomic(savepoint=False):
        reading = Reading.objects.create(
            patient=patient,
            measure=measure_key,
            value=value,
            taken_at=taken_at,
            source=source,
            recorded_by=user,
            note=note.strip()[:200],
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=reading, detail=measure_key)
    return reading
