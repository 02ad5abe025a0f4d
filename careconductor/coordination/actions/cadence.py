"""The administrator's follow-up settings: the contact cadence per programme and tier, and the days off."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.cases.choices import Program
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..choices import (
    ContactMode,
)
from ..models import (
    CadenceRule,
    Holiday,
)


def _require_admin(user: User) -> int:
    return policy.require_admin(user, "Only an administrator changes the organisation's follow-up settings.")


def do_set_cadence(
    user: User, *, program: str, acuity_tier: int, interval_days: int, mode: str, by_whom: str = ""
) -> CadenceRule:
    """How often a programme's patients at a tier are contacted; replaces the default for that pair."""
    org_id = _require_admin(user)
    errors: dict[str, str] = {}
    if program not in Program.values:
        errors["program"] = "Choose a programme."
    if acuity_tier not in (1, 2, 3, 4):
        errors["acuity_tier"] = "Choose a tier from 1 to 4."
    if not 1 <= interval_days <= 366:
        errors["interval_days"] = "Give a number of days from 1 to 366."
    if mode not in ContactMode.values:
        errors["mode"] = "Choose how the contact is made."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        rule, _ = CadenceRule.objects.update_or_create(
            organization_id=org_id,
            program=program,
            acuity_tier=acuity_tier,
            defaults={"interval_days": interval_days, "mode": mode, "by_whom": by_whom.strip()[:100]},
        )
        audit.record(
            user, AuditAction.UPDATE, obj=rule, detail=f"{program} tier {acuity_tier}: {interval_days} d"
        )
    return rule


def do_reset_cadence(user: User, rule: CadenceRule) -> None:
    _require_admin(user)
    if rule.organization_id != user.organization_id:
        raise ActionRefused("That setting belongs to another organisation.")
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, obj=rule, detail="back to the default")
        rule.delete()


def do_add_holiday(user: User, *, date: dt.date, name: str) -> Holiday:
    """A day the organisation is closed: it does not count as a business day (e.g. for the TCM 2-day call)."""
    org_id = _require_admin(user)
    if not name.strip():
        raise ActionRefused({"name": "Name the day, e.g. Christmas Eve (offices closed)."})
    with transaction.atomic():
        if Holiday.objects.filter(organization_id=org_id, date=date).exists():
            raise ActionRefused({"date": "That day is already a holiday."})
        holiday = Holiday.objects.create(organization_id=org_id, date=date, name=name.strip()[:100])
        audit.record(user, AuditAction.CREATE, obj=holiday, detail=str(date))
    return holiday


def do_remove_holiday(user: User, holiday: Holiday) -> None:
    _require_admin(user)
    if holiday.organization_id != user.organization_id:
        raise ActionRefused("That day belongs to another organisation.")
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, obj=holiday, detail=str(holiday.date))
        holiday.delete()
