"""What the administrator's pages read: the first-run checklist, the teams and the staff of one organisation.
No patient data here, so no access_* query is needed; every function takes the administrator's organisation."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, Team, User

CASE_CARRYING = (Role.CASE_MANAGER, Role.SUPERVISOR)


@dataclass(frozen=True)
class Step:
    title: str
    done: bool
    url_name: str
    hint: str
    blocks_work: bool = True  # without it, no patient can be registered and referred


def checklist(org: Organization) -> list[Step]:
    """The first morning: the organisation's details, a team with a supervisor, and someone to carry cases."""
    teams = Team.objects.filter(organization=org)
    staff = User.objects.filter(organization=org, is_active=True, is_system=False)
    return [
        Step(
            "Name the organisation and its phone numbers",
            bool(org.phone),
            "administration:organization",
            "Patients see the phone numbers on their plan.",
            blocks_work=False,
        ),
        Step(
            "Create a team with a supervisor",
            teams.filter(supervisor__isnull=False).exists(),
            "administration:teams",
            "Referrals go to a team; its supervisor assigns them.",
        ),
        Step(
            "Invite a case manager",
            staff.filter(role=Role.CASE_MANAGER, profile__caseload_capacity__gt=0).exists(),
            "administration:staff",
            "Someone with capacity to carry cases, on a team.",
        ),
    ]


def setup_incomplete(user: User) -> bool:
    """Whether an administrator's day should start on the checklist rather than the worklist."""
    if user.role != Role.ADMIN or user.organization is None:
        return False
    return not all(step.done for step in checklist(user.organization) if step.blocks_work)


def teams_of(org_id: int) -> QuerySet[Team]:
    return (
        Team.objects.filter(organization_id=org_id)
        .select_related("supervisor")
        .prefetch_related("members__user")
        .annotate(open_cases=Count("cases", filter=Q(cases__closed_at__isnull=True)))
        .order_by("name")
    )


def staff_of(org_id: int, *, active: bool = True) -> QuerySet[User]:
    return (
        User.objects.filter(organization_id=org_id, is_active=active, is_system=False)
        .exclude(role=Role.PATIENT)
        .select_related("profile__team")
        .order_by("last_name", "first_name", "username")
    )
