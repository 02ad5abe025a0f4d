"""Practitioner (a member of staff) and PractitionerRole (their discipline, team and caseload) from the
accounts app. Both are read-only: staff are managed on the admin screens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from careconductor.accounts.choices import Discipline, ExperienceLevel, Role
from careconductor.accounts.models import StaffProfile, User
from careconductor.core.ids import whole_number
from careconductor.privacy import policy

from .. import params
from ..auth import Caller
from ..errors import not_found
from ..registry import READ_ONLY, Mapper, SearchParam, numeric_id, register
from .common import EXT, USERNAME_SYSTEM, coding, compact, concept, ref
from .organization import parse_team_id, team_id

BCP47 = "urn:ietf:bcp:47"
# Our own disciplines rather than the NUCC provider taxonomy: NUCC codes are finer-grained specialties, and
# several of our disciplines (physician, therapist, administration, privacy) have no single NUCC code, so a
# mapping would claim more than we know.
DISCIPLINE_SYSTEM = "urn:careconductor:discipline"
EXPERIENCE_SYSTEM = "urn:careconductor:experience-level"
CASELOAD_CAPACITY = EXT + "caseload-capacity"
EXPERIENCE_LEVEL = EXT + "experience-level"
# meta.lastUpdated of a Practitioner: User has no change time of its own, so the profile's, else joining.
LAST_CHANGE = "fhir_last_updated"


def _profile(user: User) -> StaffProfile | None:
    try:
        return user.profile
    except StaffProfile.DoesNotExist:
        return None


def _username(modifier: str, value: str, caller: Caller) -> Q:
    system, bar, code = value.rpartition("|") if "|" in value else ("", "", value)
    if bar and system and system != USERNAME_SYSTEM:
        return Q(pk__in=[])
    return Q(username=code)


def _boolean(field: str, description: str) -> SearchParam:
    return params.token(field, description, codes={"true": True, "false": False})


def _id(field: str) -> SearchParam:
    return params.token(
        field,
        "The resource's logical id",
        transform=lambda v: n if (n := whole_number(v)) is not None else -1,
    )


@register
class PractitionerMapper(Mapper):
    resource_type = "Practitioner"
    model = User
    interactions = READ_ONLY
    patient_field = None
    description = (
        "Staff of the caller's organisation, active or not (patients' portal log-ins are not practitioners). "
        f"identifier {USERNAME_SYSTEM}|<username>; qualification from the staff profile's credentials."
    )
    params = {
        "identifier": SearchParam("token", f"The username: [{USERNAME_SYSTEM}|]username", _username),
        "name": params.string(["first_name", "last_name"], "Any part of the name, starts with"),
        "family": params.string(["last_name"], "Family name, starts with"),
        "given": params.string(["first_name"], "Given name, starts with"),
        "active": _boolean("is_active", "Whether the account is active (true/false)"),
        "_lastUpdated": params.date(LAST_CHANGE, "When the staff profile last changed"),
    }
    sorts = {"family": "last_name,first_name", "given": "first_name", "_lastUpdated": LAST_CHANGE}
    tracked = {StaffProfile: lambda p: str(p.user_id)}

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(
            User.objects.filter(organization_id=caller.user.org_id, **_for_patients(caller, ""))
        )

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        # Staff only here too, not just in `visible`: versions.keep loads rows through with_related, and a
        # patient's portal account saved must not be kept as a Practitioner.
        return (
            qs.exclude(role=Role.PATIENT)
            .select_related("profile")
            .annotate(**{LAST_CHANGE: Coalesce(F("profile__updated_at"), F("date_joined"))})
        )

    def version_id(self, row: User) -> str:
        profile = _profile(row)
        return str(profile.version) if profile else "1"

    def last_updated(self, row: User) -> dt.datetime:
        profile = _profile(row)
        return profile.updated_at if profile else row.date_joined

    def to_fhir(self, row: User) -> dict[str, Any]:
        profile = _profile(row)
        name = compact(
            {"use": "official", "family": row.last_name, "given": [row.first_name] if row.first_name else []}
        )
        credentials = [c.strip() for c in (profile.credentials if profile else "").split(",") if c.strip()]
        return compact(
            {
                "identifier": [{"system": USERNAME_SYSTEM, "value": row.username}],
                "active": row.is_active,
                "name": [name] if len(name) > 1 else [{"text": row.username}],
                "telecom": [{"system": "email", "value": row.email, "use": "work"}] if row.email else [],
                "qualification": [{"code": {"text": c}} for c in credentials],
                "communication": [
                    {"coding": [{"system": BCP47, "code": code}]}
                    for code in (profile.languages if profile else [])
                ],
            }
        )


@register
class PractitionerRoleMapper(Mapper):
    """One role per member of staff with a profile. The id is the user's id (PractitionerRole/5 is the role of
    Practitioner/5), not the profile's, so `get`, `pk_from_id` and `_id` translate."""

    resource_type = "PractitionerRole"
    model = StaffProfile
    interactions = READ_ONLY
    patient_field = None
    description = (
        "The role of each member of staff: discipline (code, urn:careconductor:discipline), team "
        "(organization: Organization/team-<id>, or the organisation when in no team), credentials "
        "(specialty), caseload capacity and experience level (extensions). The id is the Practitioner's id."
    )
    params = {
        "practitioner": params.reference("user_id", "Practitioner", "The member of staff"),
        "organization": SearchParam(
            "reference",
            "The team (Organization/team-<id>) or, for staff in no team, the organisation (Organization/<id>)",
            lambda modifier, value, caller: _organization_q(modifier, value),
            target="Organization",
            modifiers=frozenset({"Organization"}),
        ),
        "role": params.token(
            "discipline",
            "The discipline",
            system=DISCIPLINE_SYSTEM,
            codes={d.value: d.value for d in Discipline},
        ),
        "active": _boolean("user__is_active", "Whether the member of staff's account is active"),
        "_id": _id("user_id"),
    }
    sorts = {"_id": "user_id", "role": "discipline"}

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(
            StaffProfile.objects.filter(
                user__organization_id=caller.user.org_id, **_for_patients(caller, "user__")
            )
        )

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.exclude(user__role=Role.PATIENT).select_related("user", "team")

    def get(self, caller: Caller, resource_id: str) -> Any:
        key = numeric_id(resource_id)
        found = self.visible(caller).filter(user_id=key).first() if key is not None else None
        if found is None:
            raise not_found(self.resource_type, resource_id)
        return found

    def pk_from_id(self, resource_id: str) -> Any:
        # The profile's pk for the user's id (versions.keep looks rows up by pk).
        key = numeric_id(resource_id)
        if key is None:
            return None
        return StaffProfile.objects.filter(user_id=key).values_list("pk", flat=True).first()

    def resource_id(self, row: StaffProfile) -> str:
        return str(row.user_id)

    def to_fhir(self, row: StaffProfile) -> dict[str, Any]:
        user = row.user
        organization = (
            ref("Organization", team_id(row.team.pk), row.team.name)
            if row.team is not None
            else ref("Organization", user.organization_id)
        )
        # A profile made by `createuser` has no discipline until the administrator gives it one.
        discipline = Discipline(row.discipline) if row.discipline else None
        experience = ExperienceLevel(row.experience_level)
        return compact(
            {
                "extension": [
                    {"url": CASELOAD_CAPACITY, "valueInteger": row.caseload_capacity},
                    {
                        "url": EXPERIENCE_LEVEL,
                        "valueCoding": coding(EXPERIENCE_SYSTEM, experience.value, experience.label),
                    },
                ],
                "active": user.is_active,
                "practitioner": ref("Practitioner", user.pk, user.display_name()),
                "organization": organization,
                "code": [concept(DISCIPLINE_SYSTEM, discipline.value, discipline.label)]
                if discipline
                else [],
                "specialty": [{"text": row.credentials}] if row.credentials else [],
            }
        )


def _organization_q(modifier: str, value: str) -> Q:
    """Matches the reference as rendered: a team, or (for staff in no team) the organisation."""
    if modifier and modifier != "Organization":
        return Q(pk__in=[])
    parts = value.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] != "Organization":
        return Q(pk__in=[])
    key = parts[-1]
    team = parse_team_id(key)
    if team is not None:
        return Q(team_id=team)
    if (organization := whole_number(key)) is not None:
        return Q(team__isnull=True, user__organization_id=organization)
    return Q(pk__in=[])


def _for_patients(caller: Caller, prefix: str) -> dict[str, Any]:
    """A patient's own token sees the staff who look after them (their care team and case managers), not
    the organisation's staff directory (minimum necessary)."""
    if caller.user.role != Role.PATIENT:
        return {}
    from careconductor.cases.models import Case
    from careconductor.patients.models import CareTeamMember

    own = policy.visible_patients(caller.user).values("pk")
    members = CareTeamMember.objects.filter(patient__in=own).values("user_id")
    managers = Case.objects.filter(patient__in=own, primary_case_manager__isnull=False).values(
        "primary_case_manager_id"
    )
    return {f"{prefix}pk__in": members.union(managers)}
