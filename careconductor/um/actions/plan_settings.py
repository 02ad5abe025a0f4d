"""The organisation's UM rules, set by its administrator (docs/prior-authorisation.md, "Settings"). A change
applies to requests taken in from then on: each request keeps the plan type and pend rule it came in under, so
its due time never moves because a setting did."""

from __future__ import annotations

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import rules
from ..models import UmSettings

NOT_ADMIN = "Only the organisation's administrator sets the UM rules."
APPEAL_DAYS_RANGE = (1, 365)


def do_set_um_settings(user: User, *, plan_type: str, pend_rule: str, appeal_days: int) -> UmSettings:
    organization_id = policy.require_admin(user, NOT_ADMIN)
    problems: dict[str, str] = {}
    if plan_type not in {p.value for p in rules.PlanType}:
        problems["plan_type"] = "Choose the plan type."
    if pend_rule not in {p.value for p in rules.PendRule}:
        problems["pend_rule"] = "Choose what the clock does while a request is pended."
    low, high = APPEAL_DAYS_RANGE
    if not low <= appeal_days <= high:
        problems["appeal_days"] = f"Give {low} to {high} days."
    if problems:
        raise ActionRefused(problems)
    with transaction.atomic():
        found, _created = UmSettings.objects.select_for_update().get_or_create(
            organization_id=organization_id
        )
        found.plan_type, found.pend_rule, found.appeal_days = plan_type, pend_rule, appeal_days
        found.save()
        audit.record(user, AuditAction.UPDATE, obj=found, detail="UM settings")
    return found
