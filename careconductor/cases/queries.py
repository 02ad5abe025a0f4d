"""Permission-checked reads of cases, the assignment suggestion and caseloads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import StaffProfile, Team, User
from careconductor.core.errors import NotVisible
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .models import Case, CaseQuerySet


def visible_cases(user: User) -> CaseQuerySet:
    return Case.objects.filter(patient__in=policy.visible_patients(user))


def access_case(user: User, case_id: int) -> Case:
    case = (
        visible_cases(user)
        .select_related("patient", "primary_case_manager", "team", "team__supervisor")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotVisible
    audit.record(user, AuditAction.READ, patient=case.patient, obj=case)
    return case


def case_list(
    user: User, *, status: str = "", program: str = "", case_manager_id: int | None = None
) -> CaseQuerySet:
    qs = visible_cases(user).select_related("patient", "primary_case_manager")
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if program:
        qs = qs.filter(program=program)
    if case_manager_id == 0:
        qs = qs.filter(primary_case_manager__isnull=True)
    elif case_manager_id:
        qs = qs.filter(primary_case_manager_id=case_manager_id)
    return qs.order_by("-referred_at", "-pk")


def caseload_loads(capacities: Mapping[int, int]) -> dict[int, rules.Load]:
    """The load of each person (user id -> capacity) by the one rule, rules.caseload_load: their open cases
    counted per acuity tier in one aggregate query. Everyone asked for gets a row, carrying nothing or not."""
    by_tier: dict[int, dict[int, int]] = defaultdict(dict)
    rows = (
        Case.objects.open()
        .filter(primary_case_manager_id__in=list(capacities))
        .values_list("primary_case_manager_id", "acuity_tier")
        .annotate(n=Count("id"))
        .order_by()
    )
    for person, tier, n in rows:
        by_tier[person][tier] = n
    return {person: rules.caseload_load(by_tier[person], cap) for person, cap in capacities.items()}


def points_used_by(user_ids: list[int]) -> dict[int, int]:
    """Acuity points each person carries (those carrying nothing are left out)."""
    loads = caseload_loads(dict.fromkeys(user_ids, 0))
    return {uid: load.points for uid, load in loads.items() if load.open_cases}


def _profiles(organization_id: int, team: Team | None = None) -> QuerySet[StaffProfile]:
    qs = StaffProfile.objects.filter(
        user__organization_id=organization_id,
        user__is_active=True,
        user__role__in=[Role.CASE_MANAGER, Role.SUPERVISOR],
        caseload_capacity__gt=0,
    ).select_related("user", "team")
    if team is not None:
        qs = qs.filter(team=team)
    return qs


def assignment_candidates(case: Case) -> list[rules.RankedCandidate]:
    profiles = list(_profiles(case.organization_id))
    used = points_used_by([p.user_id for p in profiles])
    # The case's own points do not count against its current manager.
    if case.primary_case_manager_id in used and case.is_open:
        used[case.primary_case_manager_id] -= case.acuity_points
    candidates = [
        rules.Candidate(
            staff_id=p.user_id,
            name=p.user.display_name(),
            experience=ExperienceLevel(p.experience_level),
            languages=p.languages,
            capacity=p.caseload_capacity,
            points_used=used.get(p.user_id, 0),
        )
        for p in profiles
    ]
    return rules.rank_candidates(case.acuity_tier, case.patient.preferred_language, candidates)


@dataclass(frozen=True)
class CaseloadRow:
    profile: StaffProfile
    load: rules.Load


def caseloads(user: User) -> list[CaseloadRow]:
    """Points used against capacity per staff member: a supervisor's teams, or everyone for an admin."""
    assert user.organization_id is not None
    profiles = _profiles(user.organization_id)
    if user.role != Role.ADMIN:
        profiles = profiles.filter(team__supervisor=user)
    profile_list = list(profiles.order_by("team__name", "user__last_name", "user__first_name"))
    loads = caseload_loads({p.user_id: p.caseload_capacity for p in profile_list})
    return [CaseloadRow(p, loads[p.user_id]) for p in profile_list]
