"""Permission-checked reads of cases, the assignment suggestion and caseloads."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case as SqlCase
from django.db.models import Count, IntegerField, QuerySet, Sum, Value, When

from careconductor.accounts.choices import ExperienceLevel, Role
from careconductor.accounts.models import StaffProfile, Team, User
from careconductor.core.errors import NotVisible
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .models import Case, CaseQuerySet


def points_expression() -> SqlCase:
    """The acuity-points table as SQL, so caseload sums happen in the database."""
    return SqlCase(
        *[When(acuity_tier=tier, then=Value(points)) for tier, points in rules.ACUITY_POINTS.items()],
        default=Value(0),
        output_field=IntegerField(),
    )


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


def open_caseload(user_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(open cases, acuity points) per case manager, in one pass over their open cases."""
    rows = (
        Case.objects.open()
        .filter(primary_case_manager_id__in=user_ids)
        .values("primary_case_manager_id")
        .annotate(cases=Count("id"), points=Sum(points_expression()))
    )
    return {r["primary_case_manager_id"]: (r["cases"], r["points"] or 0) for r in rows}


def points_used_by(user_ids: list[int]) -> dict[int, int]:
    return {uid: points for uid, (_, points) in open_caseload(user_ids).items()}


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
    open_cases: int
    points_used: int

    @property
    def percent(self) -> int:
        cap = self.profile.caseload_capacity
        return round(100 * self.points_used / cap) if cap else 0

    # For the <meter>: green below 85 % of capacity, amber up to capacity, red past it.
    @property
    def meter_max(self) -> int:
        return max(self.profile.caseload_capacity, self.points_used)

    @property
    def low_mark(self) -> int:
        return round(0.85 * self.profile.caseload_capacity)


def caseloads(user: User) -> list[CaseloadRow]:
    """Points used against capacity per staff member: a supervisor's teams, or everyone for an admin."""
    assert user.organization_id is not None
    profiles = _profiles(user.organization_id)
    if user.role != Role.ADMIN:
        profiles = profiles.filter(team__supervisor=user)
    profile_list = list(profiles.order_by("team__name", "user__last_name", "user__first_name"))
    load = open_caseload([p.user_id for p in profile_list])
    return [CaseloadRow(p, *load.get(p.user_id, (0, 0))) for p in profile_list]
