"""Staff on screens: an administrator invites a person by e-mail (a one-time link to choose a password),
sets their role, discipline, experience, capacity and languages, moves them between teams, and deactivates
them with their open cases and tasks handed to a colleague in the same transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from careconductor.accounts.choices import STAFF_ROLES, Discipline, ExperienceLevel, Role
from careconductor.accounts.models import ApiToken, StaffProfile, Team, User
from careconductor.cases.models import Case
from careconductor.cases.reassign import do_reassign_cases
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.coordination.actions import do_reassign_task
from careconductor.coordination.models import Task
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.languages import LANGUAGES
from careconductor.patients.models import CareTeamMember
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .actions import ADMIN_ONLY, LEADING_ROLES

USERNAME = re.compile(r"^[\w.@+-]{2,150}$")


@dataclass(frozen=True)
class StaffDetails:
    first_name: str
    last_name: str
    email: str
    role: str
    discipline: str
    credentials: str = ""
    experience_level: str = ExperienceLevel.COMPETENT
    caseload_capacity: int = 0
    languages: list[str] = field(default_factory=list)
    work_phone: str = ""
    team: Team | None = None


def _details_errors(org_id: int, details: StaffDetails) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not details.first_name.strip() or not details.last_name.strip():
        errors["first_name"] = "Give the person's first and last name."
    if details.role not in {str(r) for r in STAFF_ROLES}:
        errors["role"] = "Choose a staff role."
    if details.discipline not in Discipline.values:
        errors["discipline"] = "Choose a discipline."
    if details.experience_level not in ExperienceLevel.values:
        errors["experience_level"] = "Choose an experience level."
    if not 0 <= details.caseload_capacity <= 500:
        errors["caseload_capacity"] = "Capacity is 0 to 500 acuity points."
    if unknown := set(details.languages) - set(LANGUAGES):
        errors["languages"] = f"Not a language we know: {', '.join(sorted(unknown))}."
    if details.team is not None and details.team.organization_id != org_id:
        errors["team"] = "Choose one of this organisation's teams."
    return errors


def _write_profile(profile: StaffProfile, details: StaffDetails) -> None:
    profile.discipline = details.discipline
    profile.credentials = details.credentials.strip()
    profile.experience_level = details.experience_level
    profile.caseload_capacity = details.caseload_capacity
    profile.languages = sorted(set(details.languages))
    profile.work_phone = details.work_phone.strip()
    profile.team = details.team
    profile.save()


def invitation_path(user: User) -> str:
    """The one-time link to choose a password: Django's password-reset token, which stops working once a
    password is set (it hashes the password) or after STAFF_INVITATION_DAYS (PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("administration:welcome", args=[uid, default_token_generator.make_token(user)])


def _send_invitation(user: User) -> str:
    path = invitation_path(user)
    days = settings.STAFF_INVITATION_DAYS
    link = f"{settings.SITE_URL}{path}"
    org = user.organization
    transaction.on_commit(
        lambda: send_mail(
            f"Your CareConductor account at {org}",
            f"Hello {user.first_name},\n\nYou have a CareConductor account at {org}; your user name is "
            f"{user.username}. Open this link to choose your password (it works once, for {days} "
            f"day{'s' if days != 1 else ''}):\n\n{link}\n",
            None,
            [user.email],
            fail_silently=True,
        )
    )
    return path


def do_invite_staff(admin: User, username: str, details: StaffDetails) -> tuple[User, str]:
    """Create a staff member's log-in (no password yet) and profile, and e-mail them the one-time link.
    Returns the user and the link's path, which the administrator may also hand over in person."""
    org_id = policy.require_admin(admin, ADMIN_ONLY)
    errors = _details_errors(org_id, details)
    username = username.strip()
    if not USERNAME.match(username):
        errors["username"] = "2 to 150 letters, digits and . @ + - _ only."
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = f"The user name {username!r} is taken."
    if not details.email.strip():
        errors["email"] = "The invitation goes to this address."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=None,  # unusable until they follow the link
            email=details.email.strip(),
            first_name=details.first_name.strip(),
            last_name=details.last_name.strip(),
            role=details.role,
            organization_id=org_id,
        )
        _write_profile(StaffProfile(user=user), details)
        audit.record(
            admin, AuditAction.CREATE, obj=user, object_type="User", detail=f"invited as {user.role}"
        )
        path = _send_invitation(user)
    return user, path


def do_resend_invitation(admin: User, member: User) -> str:
    org_id = policy.require_admin(admin, ADMIN_ONLY)
    if member.organization_id != org_id:
        raise ActionRefused(ADMIN_ONLY)
    if member.has_usable_password() or not member.is_active:
        raise ActionRefused("They have chosen a password already, or their account is deactivated.")
    with transaction.atomic():
        audit.record(
            admin, AuditAction.UPDATE, obj=member, object_type="User", detail="invitation sent again"
        )
        return _send_invitation(member)


def do_update_staff(admin: User, member: User, details: StaffDetails) -> User:
    org_id = policy.require_admin(admin, ADMIN_ONLY)
    if member.organization_id != org_id or member.role == Role.PATIENT:
        raise ActionRefused(ADMIN_ONLY)
    errors = _details_errors(org_id, details)
    if details.role not in LEADING_ROLES and member.supervised_teams.exists():
        errors["role"] = "They supervise a team: give the team another supervisor first."
    if member.pk == admin.pk and details.role != Role.ADMIN:
        errors["role"] = "You cannot take the administrator role from yourself."
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        member.first_name, member.last_name = details.first_name.strip(), details.last_name.strip()
        member.email, member.role = details.email.strip(), details.role
        member.save(update_fields=["first_name", "last_name", "email", "role"])
        _write_profile(
            StaffProfile.objects.get_or_create(user=member, defaults={"discipline": ""})[0], details
        )
        audit.record(
            admin, AuditAction.UPDATE, obj=member, object_type="User", detail=f"profile, {member.role}"
        )
    return member


@dataclass(frozen=True)
class OpenWork:
    cases: list[Case]
    tasks: list[Task]

    def __bool__(self) -> bool:
        return bool(self.cases or self.tasks)


def open_work(member: User) -> OpenWork:
    return OpenWork(
        list(
            Case.objects.filter(primary_case_manager=member, status__in=OPEN_STATUSES).select_related(
                "patient"
            )
        ),
        list(Task.objects.filter(owner=member, status__in=Task.OPEN_STATUSES).select_related("patient")),
    )


def do_deactivate_staff(admin: User, member: User, *, hand_over_to: User | None, reason: str) -> OpenWork:
    """End a person's access: their open cases and tasks go to `hand_over_to` (through the same actions a
    supervisor uses, so each move is recorded and the new owner told), their care-team places end today,
    their API tokens are revoked, and they can no longer log in. All or nothing."""
    org_id = policy.require_admin(admin, ADMIN_ONLY)
    if member.organization_id != org_id or member.role == Role.PATIENT:
        raise ActionRefused(ADMIN_ONLY)
    errors: dict[str, str] = {}
    if member.pk == admin.pk:
        errors[""] = "You cannot deactivate yourself; ask another administrator."
    if not member.is_active:
        errors[""] = "They are deactivated already."
    if teams := list(member.supervised_teams.values_list("name", flat=True)):
        errors[""] = f"They supervise {', '.join(teams)}: give the team another supervisor first."
    if not reason.strip():
        errors["reason"] = "Say why (leaving, long leave, role change)."
    work = open_work(member)
    if work and hand_over_to is None:
        errors["hand_over_to"] = "They have open work: choose who takes it over."
    if hand_over_to is not None and (
        hand_over_to.pk == member.pk or hand_over_to.organization_id != org_id or not hand_over_to.is_active
    ):
        errors["hand_over_to"] = "Choose an active colleague in this organisation."
    if errors:
        raise ActionRefused(errors)
    why = f"{member.display_name()} deactivated: {reason.strip()}"
    with transaction.atomic():
        assert hand_over_to is not None or not work
        if work.cases:
            # The same hand-over as a supervisor's bulk reassignment: the cases with their tasks, one notice.
            try:
                do_reassign_cases(admin, work.cases, hand_over_to, reason=why, override_reason=why)  # type: ignore[arg-type]
            except ActionRefused as exc:
                raise ActionRefused({"hand_over_to": str(exc)}) from exc
        # Tasks on no case of theirs (another manager's patient, a queue task they claimed) move one by one.
        for task in Task.objects.filter(owner=member, status__in=Task.OPEN_STATUSES).select_related(
            "patient"
        ):
            do_reassign_task(admin, task, owner=hand_over_to, reason=why)
        today = clock.today()
        CareTeamMember.objects.filter(user=member, end_date__isnull=True).update(
            end_date=today, end_reason=why[:200]
        )
        ApiToken.objects.filter(user=member, revoked_at__isnull=True).update(revoked_at=clock.now())
        member.is_active = False
        member.save(update_fields=["is_active"])
        audit.record(
            admin, AuditAction.UPDATE, obj=member, object_type="User", detail=f"deactivated: {why}"[:200]
        )
    return work


def do_reactivate_staff(admin: User, member: User) -> User:
    org_id = policy.require_admin(admin, ADMIN_ONLY)
    if member.organization_id != org_id or member.role == Role.PATIENT:
        raise ActionRefused(ADMIN_ONLY)
    with transaction.atomic():
        member.is_active = True
        member.save(update_fields=["is_active"])
        audit.record(admin, AuditAction.UPDATE, obj=member, object_type="User", detail="reactivated")
    return member
