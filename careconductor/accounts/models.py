from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models

from careconductor.core.models import TimestampedModel

from .choices import STAFF_ROLES, Discipline, ExperienceLevel, Role


def _all_staff_roles() -> list[str]:
    return sorted(str(r) for r in STAFF_ROLES)


class Organization(TimestampedModel):
    """A tenant: a health system, clinic, plan or community organisation. Access never crosses it."""

    name = models.CharField(max_length=200, unique=True)
    # Printed on patients' plans: the number that always answers, and the one for nights and weekends.
    phone = models.CharField(max_length=40, blank=True)
    after_hours_phone = models.CharField(max_length=40, blank=True)
    # Printed on letters' letterhead: where patients and partners write back.
    address = models.CharField(max_length=300, blank=True)
    mfa_required_roles = models.JSONField(
        default=_all_staff_roles, blank=True, help_text="Roles that must use a second factor to log in"
    )
    # An IANA zone ("America/Chicago"): its staff's pages, days and due times are in it. Empty: the
    # installation's (CARECONDUCTOR_TIME_ZONE).
    time_zone = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.CASE_MANAGER)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    # An account a system acts as (a hospital's ADT feed): its changes are audited under it, but it is never a
    # person to pick, assign, hand work to or count as staff. It cannot log in (no usable password).
    is_system = models.BooleanField(default=False)

    @property
    def is_staff_member(self) -> bool:
        return self.role not in (Role.PATIENT, Role.PARTNER)

    @property
    def mfa_required(self) -> bool:
        if self.role == Role.PARTNER:  # sees patients' names and needs from outside the organisation
            return True
        return self.organization is not None and self.role in self.organization.mfa_required_roles

    @property
    def org_id(self) -> int:
        """The user's organisation id. Every staff path runs only for users inside an organisation."""
        if self.organization_id is None:
            raise PermissionError(f"{self.username} belongs to no organisation")
        return self.organization_id

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Team(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)
    supervisor = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="supervised_teams"
    )
    # The programmes (cases.choices.Program values) whose new referrals this team receives; a referral goes
    # to the registering person's own team first, then to a team that receives its programme.
    programs = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_unique_in_org")
        ]

    def __str__(self) -> str:
        return self.name


class StaffProfile(TimestampedModel):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="members")
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    credentials = models.CharField(max_length=100, blank=True, help_text="e.g. RN, CCM, LCSW")
    work_phone = models.CharField(max_length=40, blank=True, help_text="Given to patients on their plan")
    experience_level = models.CharField(
        max_length=16, choices=ExperienceLevel.choices, default=ExperienceLevel.COMPETENT
    )
    caseload_capacity = models.PositiveIntegerField(
        default=0, help_text="How many acuity points of cases this person can carry."
    )
    languages = models.JSONField(default=list, blank=True, help_text="ISO 639-1 codes spoken")

    def __str__(self) -> str:
        return f"{self.user.display_name()} ({self.get_discipline_display()})"


class ApiToken(TimestampedModel):
    """A bearer token for the API. Only the SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(
        max_length=12, db_index=True, help_text="First characters, to tell tokens apart"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… for {self.user.username}"

    @property
    def credential(self) -> str:
        """How audit events recorded under this token name it (audit.using_credential)."""
        return f"token {self.prefix}"
