"""Registries' actions (issue 22): define one, run it (nightly after the stratification, or on demand) and refer its
members into a case management programme's intake in one step.

A run reads every member's latest facts (MemberRisk, written by the stratification) into Polars, keeps those the
rule matches (registry_rules.expression), and records the difference with the registry's current members: who
entered today, who left today, and the day's count for the chart. One audit event per run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl
from django.db import IntegrityError, transaction

from careconductor.accounts.models import Team, User
from careconductor.cases.actions import do_refer_case
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import registry_rules
from .frames import frame_of
from .models import MemberRisk, Registry, RegistryCount, RegistryMember, RegistryReferral
from .stratify_rules import TIER_WORDS

MAX_NAME = 120
MAX_REFERRALS = 200  # per action: intake takes them up one by one, and a request stays one short transaction
CHUNK = 500

FACT_SCHEMA: dict[str, Any] = {
    "patient_id": pl.Int64, "tier": pl.Int64, "admissions_12m": pl.Int64, "ed_visits_12m": pl.Int64,
    "readmitted_30d": pl.Boolean, "chronic_conditions": pl.Int64, "charlson": pl.Int64,
    "ambulatory_visits_12m": pl.Int64, "last_lace": pl.Int64, "conditions": pl.Utf8,
    "active_medications": pl.Int64, "last_hospital": pl.Int64, "social_needs": pl.Int64, "hba1c_gap": pl.Boolean,
}  # fmt: skip


def _rule_or_refusal(text: str) -> registry_rules.Rule:
    try:
        return registry_rules.parse(text)
    except registry_rules.RuleError as error:
        raise ActionRefused({"rule": str(error)}) from None


def do_create_registry(user: User, *, name: str, rule: str, description: str = "") -> Registry:
    """A new registry of the user's organisation, run at once so it opens with its members."""
    policy.population_rows(user, "registries")  # refuses anyone outside the population roles
    organization_id = user.organization_id
    assert organization_id is not None  # the policy refuses users of no organisation
    name = name.strip()
    if not name:
        raise ActionRefused({"name": "Give the registry a name people will recognise."})
    if len(name) > MAX_NAME:
        raise ActionRefused({"name": f"Keep the name to {MAX_NAME} characters (it has {len(name)})."})
    parsed = _rule_or_refusal(rule)
    if policy.population_rows(user, "registries").filter(name__iexact=name).exists():
        raise ActionRefused({"name": f"Your organisation already has a registry called “{name}”."})
    try:
        with transaction.atomic():
            registry = Registry.objects.create(
                organization_id=organization_id,
                name=name,
                rule=registry_rules.text_of(parsed),
                description=description.strip(),
                created_by=user,
                created_at=clock.now(),
            )
            audit.record(
                user, AuditAction.CREATE, object_type="Registry", object_id=str(registry.pk), detail=name
            )
            do_run_registry(user, registry)
    except IntegrityError:
        raise ActionRefused({"name": f"Your organisation already has a registry called “{name}”."}) from None
    return registry


def member_frame(organization_id: int) -> pl.DataFrame:
    """Every stratified member's facts, `conditions` as a list of condition words."""
    frame = frame_of(
        f"SELECT {', '.join(FACT_SCHEMA)} FROM population_memberrisk WHERE organization_id = %s",
        [organization_id],
        FACT_SCHEMA,
    )
    return frame.with_columns(pl.col("conditions").str.json_decode(pl.List(pl.Utf8)))


@dataclass
class RunResult:
    members: int
    entered: int
    left: int


def do_run_registry(user: User | None, registry: Registry, frame: pl.DataFrame | None = None) -> RunResult:
    """Run the registry's rule over the organisation's members now (a person's on-demand run, or the night job's
    with user None and the frame it read once for all the organisation's registries)."""
    if user is not None:
        policy.population_rows(user, "registries").get(pk=registry.pk)
    rule = _rule_or_refusal(registry.rule)
    if frame is None:
        frame = member_frame(registry.organization_id)
    matched = set(frame.filter(registry_rules.expression(rule))["patient_id"].to_list())
    today, now = clock.today(), clock.now()
    with transaction.atomic():
        current: dict[int, list[int]] = {}
        for pid, pk in (
            RegistryMember.objects.filter(registry=registry, left_on=None)
            .order_by("pk")
            .values_list("patient_id", "pk")
        ):
            current.setdefault(pid, []).append(pk)
        entering = sorted(matched - current.keys())
        # Those who no longer match leave; a second open stay (two records merged into one) ends too.
        leaving = sorted(
            pk for pid, pks in current.items() for pk in (pks if pid not in matched else pks[1:])
        )
        RegistryMember.objects.bulk_create(
            [RegistryMember(registry=registry, patient_id=pid, entered_on=today) for pid in entering],
            batch_size=CHUNK,
        )
        for start in range(0, len(leaving), CHUNK):
            RegistryMember.objects.filter(pk__in=leaving[start : start + CHUNK]).update(left_on=today)
        count, made = RegistryCount.objects.get_or_create(
            registry=registry, on=today, defaults={"members": len(matched)}
        )
        count.members = len(matched)
        count.entered = (0 if made else count.entered) + len(entering)
        count.left = (0 if made else count.left) + len(leaving)
        count.save()
        registry.last_run_at = now
        registry.save(update_fields=["last_run_at"])
        audit.record(
            user,
            AuditAction.UPDATE,
            object_type="Registry",
            object_id=str(registry.pk),
            detail=f"run: {len(matched)} members, {len(entering)} entered, {len(leaving)} left",
        )
    return RunResult(len(matched), len(entering), len(leaving))


def do_run_registries(organization_id: int) -> int:
    """The night job's: every registry of the organisation, after its stratification, on one read of the facts."""
    registries = list(Registry.objects.filter(organization_id=organization_id).order_by("pk"))
    if not registries:
        return 0
    frame = member_frame(organization_id)
    for registry in registries:
        try:
            do_run_registry(None, registry, frame)
        except ActionRefused:
            continue  # a rule that no longer reads (a condition word withdrawn): its page says so
    return len(registries)


@dataclass
class Referred:
    cases: list[Case] = field(default_factory=list)
    skipped: list[tuple[Patient, str]] = field(default_factory=list)


def registry_reason(registry: Registry, risk: MemberRisk | None) -> str:
    found = f"Found by the registry “{registry.name}” ({registry.rule})."
    if risk is None:
        return found
    reasons = "; ".join(risk.reasons) if risk.reasons else "no risk factor in the data"
    return f"{found} Risk tier {risk.tier} ({TIER_WORDS[risk.tier].lower()}): {reasons}."


def do_refer_from_registry(
    user: User,
    registry: Registry,
    patient_ids: list[int],
    *,
    program: Program,
    team: Team | None = None,
) -> Referred:
    """Refer the chosen current members of the registry into a programme's intake, each as a case referred by
    the risk stratification list, with the registry and the member's tier and reasons as the reason. Members who
    already have an open case in the programme are skipped and named. All or nothing."""
    rows = policy.population_rows(user, "registries")
    if not rows.filter(pk=registry.pk).exists():
        raise ActionRefused("This registry is not one of your organisation's.")
    chosen = sorted(set(patient_ids))
    if not chosen:
        raise ActionRefused({"members": "Choose the members to refer."})
    if len(chosen) > MAX_REFERRALS:
        raise ActionRefused(
            {"members": f"Refer at most {MAX_REFERRALS} members at a time (you chose {len(chosen):,})."}
        )
    if program not in Program.values:
        raise ActionRefused({"program": "Choose a programme."})
    stays = policy.population_rows(user, "stays").filter(
        registry=registry, left_on=None, patient_id__in=chosen
    )
    members = {p.pk: p for p in Patient.objects.filter(pk__in=stays.values("patient_id"))}
    if len(members) != len(chosen):
        raise ActionRefused(
            {"members": "Some of the chosen people are not in this registry now: run it again."}
        )
    risks = {r.patient_id: r for r in policy.population_rows(user, "members").filter(patient_id__in=chosen)}
    open_cases = set(
        Case.objects.open()
        .filter(patient_id__in=chosen, program=program)
        .values_list("patient_id", flat=True)
    )
    result, now = Referred(), clock.now()
    with transaction.atomic():
        for pid in chosen:
            patient = members[pid]
            if pid in open_cases:
                result.skipped.append((patient, f"already has an open case in {Program(program).label}"))
                continue
            case = do_refer_case(
                user,
                patient,
                program=Program(program),
                referral_source=ReferralSource.RISK_LIST,
                referral_reason=registry_reason(registry, risks.get(pid)),
                team=team,
            )
            RegistryReferral.objects.create(registry=registry, case=case, referred_by=user, referred_at=now)
            result.cases.append(case)
    return result
