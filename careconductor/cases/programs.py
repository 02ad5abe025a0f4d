"""Each organisation's programme rules (plan approval, closure approval, reassessment intervals, which hospital
discharges of patients without a case it takes as referrals): a saved ProgramSetting, else the installation's
defaults from the environment. One query per organisation."""

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
# A discharge (transitions.work) of a patient without an open case is referred into the first programme, in this
# order, whose LACE threshold it meets. By default only transitional care takes them, at LACE >= 10 (high risk:
# clinical.md §4.1).
DISCHARGE_REFERRAL_ORDER = (Program.TCM, Program.COMPLEX, Program.CCM, Program.BEHAVIOURAL)
DEFAULT_DISCHARGE_REFERRAL_LACE = {Program.TCM: 10}
LACE_RANGE = (0, 19)


@dataclass(frozen=True)
class ProgramRules:
    program: str
    plan_approval: bool
    closure_approval: bool
    reassessment_days: Mapping[str, int] = field(default_factory=dict)
    customised: bool = False
    discharge_referral_lace: int | None = None  # None: the programme takes no discharge referrals


def default_rules(program: str) -> ProgramRules:
    return ProgramRules(
        program,
        plan_approval=program in settings.CARE_PLAN_APPROVAL_PROGRAMS,
        closure_approval=program in settings.CLOSURE_APPROVAL_PROGRAMS,
        discharge_referral_lace=DEFAULT_DISCHARGE_REFERRAL_LACE.get(Program(program)),
    )


def _rules(program: str, row: ProgramSetting | None) -> ProgramRules:
    if row is None:
        return default_rules(program)
    return ProgramRules(
        program,
        row.plan_approval,
        row.closure_approval,
        dict(row.reassessment_days),
        True,
        row.discharge_referral_lace,
    )


def discharge_referral_program(organization_id: int, lace: int | None) -> Program | None:
    """The programme a discharge with this LACE is referred into, when the patient has no open case: the first
    (DISCHARGE_REFERRAL_ORDER) whose threshold it meets; None when none takes it (or LACE is not known)."""
    if lace is None:
        return None
    rules = rules_by_program(organization_id)
    for program in DISCHARGE_REFERRAL_ORDER:
        threshold = rules[program].discharge_referral_lace
        if threshold is not None and lace >= threshold:
            return program
    return None


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
    discharge_referral_lace: int | None = None,
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
    if discharge_referral_lace is not None and not LACE_RANGE[0] <= discharge_referral_lace <= LACE_RANGE[1]:
        errors["discharge_referral_lace"] = f"LACE is between {LACE_RANGE[0]} and {LACE_RANGE[1]}."
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
                "discharge_referral_lace": discharge_referral_lace,
            },
        )
        audit.record(user, AuditAction.UPDATE, obj=row, object_type="ProgramSetting", detail=program)
    return row
