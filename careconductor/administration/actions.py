"""An administrator sets up the organisation on screens: its name and phones, its teams (supervisor, the
programmes they receive, members). Staff are in staff.py. Every change is audited; only an administrator of
the organisation may make it (policy.require_admin)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Organization, StaffProfile, Team, User
from careconductor.cases.choices import Program
from careconductor.core import zones
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

ADMIN_ONLY = "Only an administrator of this organisation may change its set-up."
LEADING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


@dataclass(frozen=True)
class OrganizationDetails:
    name: str
    phone: str = ""
    after_hours_phone: str = ""
    time_zone: str = ""  # empty: the installation's
    address: str = ""


def do_update_organization(user: User, details: OrganizationDetails) -> Organization:
    org_id = policy.require_admin(user, ADMIN_ONLY)
    name = details.name.strip()
    if not name:
        raise ActionRefused({"name": "Give the organisation's name."})
    if Organization.objects.filter(name__iexact=name).exclude(pk=org_id).exists():
        raise ActionRefused({"name": "Another organisation on this installation has that name."})
    if details.time_zone and not zones.is_zone(details.time_zone):
        raise ActionRefused({"time_zone": "Choose a time zone from the list."})
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org_id)
        org.name, org.phone, org.after_hours_phone, org.time_zone = (
            name,
            details.phone.strip(),
            details.after_hours_phone.strip(),
            details.time_zone,
        )
        org.address = ", ".join(line.strip() for line in details.address.splitlines() if line.strip())[:300]
        org.save(update_fields=["name", "phone", "after_hours_phone", "time_zone", "address", "updated_at"])
        audit.record(user, AuditAction.UPDATE, obj=org, object_type="Organization", detail="details")
    return org


@dataclass(frozen=True)
class TeamDetails:
    name: str
    supervisor: User | None
    programs: Sequence[str] = ()


def _team_errors(org_id: int, details: TeamDetails, team: Team | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = details.name.strip()
    if not name:
        errors["name"] = "Give the team a name."
    elif Team.objects.filter(organization_id=org_id, name__iexact=name).exclude(pk=team.pk if team else 0):
        errors["name"] = "Another team has that name."
    supervisor = details.supervisor
    if supervisor is not None and (
        supervisor.organization_id != org_id
        or not supervisor.is_active
        or supervisor.role not in LEADING_ROLES
    ):
        errors["supervisor"] = "The supervisor is an active supervisor or administrator of this organisation."
    unknown = set(details.programs) - set(Program.values)
    if unknown:
        errors["programs"] = f"Not a programme: {', '.join(sorted(unknown))}."
    return errors


def do_save_team(user: User, details: TeamDetails, team: Team | None = None) -> Team:
    """Create a team, or change one (`team`): its name, supervisor and the programmes whose referrals it
    receives."""
    org_id = policy.require_admin(user, ADMIN_ONLY)
    if team is not None and team.organization_id != org_id:
        raise ActionRefused(ADMIN_ONLY)
    if errors := _team_errors(org_id, details, team):
        raise ActionRefused(errors)
    try:
        with transaction.atomic():
            team = team or Team(organization_id=org_id)
            team.name = details.name.strip()
            team.supervisor = details.supervisor
            team.programs = sorted(set(details.programs))
            is_new = team.pk is None
            team.save()
            audit.record(
                user, AuditAction.CREATE if is_new else AuditAction.UPDATE, obj=team, object_type="Team"
            )
            if team.supervisor is not None:
                _join_if_teamless(user, team.supervisor, team)
    except IntegrityError as exc:  # the same name saved at the same moment by someone else
        raise ActionRefused({"name": "Another team has that name."}) from exc
    return team


def _join_if_teamless(user: User, supervisor: User, team: Team) -> None:
    """A supervisor on no team joins the team they supervise, so its page, queue and referrals reach them; one
    who is already on a team (supervising several) stays where they are."""
    profile, _made = StaffProfile.objects.get_or_create(user=supervisor, defaults={"discipline": ""})
    if profile.team_id is None:
        profile.team = team
        profile.save(update_fields=["team", "updated_at"])
        audit.record(user, AuditAction.UPDATE, obj=supervisor, object_type="User", detail=f"team {team}")


def do_set_team(user: User, member: User, team: Team | None) -> StaffProfile:
    """Put a staff member on a team (None: on none). Their cases stay theirs; new referrals follow the team."""
    org_id = policy.require_admin(user, ADMIN_ONLY)
    if member.organization_id != org_id or (team is not None and team.organization_id != org_id):
        raise ActionRefused(ADMIN_ONLY)
    with transaction.atomic():
        # A person made by `careconductor createuser` has no profile until someone gives them one.
        profile = StaffProfile.objects.select_for_update().get_or_create(
            user=member, defaults={"discipline": ""}
        )[0]
        profile.team = team
        profile.save(update_fields=["team", "updated_at"])
        audit.record(
            user, AuditAction.UPDATE, obj=member, object_type="User", detail=f"team {team or 'none'}"
        )
    return profile
