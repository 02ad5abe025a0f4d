"""Each organisation's programme rules (plan approval, closure approval, reassessment intervals): a saved
ProgramSetting, else the installation's defaults from the environment. One query per organisation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .choices import Program
from .models import ProgramSetting

# Instruments whose interval a programme may change, with the range a person may type (days).
REASSESSMENT_SLUGS = ("phq-9", "icm-complexity-grid", "ahc-hrsn")
INTERVAL_RANGE = (7, 730)


@dataclass(frozen=True)
class ProgramRules:
    program: str
    plan_approval: bool
    closure_approval: bool
    reassessment_days: Mapping[str, int] = field(default_factory=dict)
    customised: bool = False


def default_rules(program: str) -> ProgramRules:
    return ProgramRules(
        program,
        plan_approval=program in settings.CARE_PLAN_APPROVAL_PROGRAMS,
        closure_approval=program in settings.CLOSURE_APPROVAL_PROGRAMS,
    )


def _rules(program: str, row: ProgramSetting | None) -> ProgramRules:
    if row is None:
        return default_rules(program)
    return ProgramRules(program, row.plan_approval, row.closure_approval, dict(row.reassessment_days), True)


def rules_by_program(organization_id: int) -> dict[str, ProgramRules]:
    saved = {s.program: s for s in ProgramSetting.objects.filter(organization_id=organization_id)}
    return {program: _rules(program, saved.get(program)) for program in Program.values}


def program_rules(organization_id: int, program: str) -> ProgramRules:
    row = ProgramSetting.objects.filter(organization_id=organization_id, program=program).first()
    return _rules(program, row)


def do_set_program_rules(
    user: User,
    program: str,
    *,
    plan_approval: bool,
    closure_approval: bool,
    reassessment_days: Mapping[str, int],
) -> ProgramSetting:
    org_id = policy.require_admin(user, "Only an administrator may change a programme's rules.")
    errors: dict[str, str] = {}
    if program not in Program.values:
        errors["program"] = "Choose a programme."
    low, high = INTERVAL_RANGE
    for slug, days in reassessment_days.items():
        if slug not in REASSESSMENT_SLUGS:
            errors[slug] = "Not an instrument with an interval."
        elif not low <= days <= high:
            errors[slug] = f"Between {low} and {high} days."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        row, _ = ProgramSetting.objects.update_or_create(
            organization_id=org_id,
            program=program,
            defaults={
                "plan_approval": plan_approval,
                "closure_approval": closure_approval,
                "reassessment_days": dict(reassessment_days),
            },
        )
        audit.record(user, AuditAction.UPDATE, obj=row, object_type="ProgramSetting", detail=program)
    return row
