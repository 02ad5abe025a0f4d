"""The access policy for population health (issue 22), part of the one policy (privacy.policy re-exports it): the
population's rows (members' tiers, registries, campaigns) for the population roles; a campaign's members for the
team that answers for it; the rows behind a programme's outcomes, for counting. Nothing here opens a chart: that
still needs a relationship (policy.visible_patients)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet

from careconductor.accounts.choices import Role

from . import sources

if TYPE_CHECKING:
    from careconductor.accounts.models import User

# Who works with the population as a whole: the analyst's role, and the administrators (who see the whole
# organisation anyway). A supervisor sees the members their teams' cases bring, not the population's names.
POPULATION_ROLES = frozenset({Role.POPULATION_HEALTH, Role.ADMIN})
POPULATION_KINDS = {
    "members": "organization_id",
    "registries": "organization_id",
    "stays": "registry__organization_id",
    "runs": "organization_id",
}


def _organisation_rows(
    user: User, kind: str, roles: frozenset[Role], lookups: dict[str, str], refusal: str
) -> QuerySet[Any]:
    """The population source's rows of a kind, of the user's organisation, for the roles given; PermissionError
    for anyone else."""
    source = sources.registered.population
    if (
        source is None
        or not user.is_authenticated
        or not user.is_active
        or user.organization_id is None
        or user.role not in roles
    ):
        raise PermissionError(refusal)
    return source(kind).filter(**{lookups[kind]: user.organization_id})


def population_rows(user: User, kind: str) -> QuerySet[Any]:
    """Population health's rows of the user's organisation: "members" (each member's risk tier, reasons and facts),
    "registries", "stays" (who is in a registry since when) or "runs" (the stratification runs). Only for
    POPULATION_ROLES: they show a member's name, tier and the reasons, never a chart (opening one still needs a
    relationship: visible_patients). The sensitivity rules hold by construction: tiers, reasons and condition words
    are computed without any labelled record (population.stratify), so nothing here says what a label hides."""
    return _organisation_rows(
        user, kind, POPULATION_ROLES, POPULATION_KINDS,
        "Only population health analysts and administrators see registries.",
    )  # fmt: skip


# Who reads a programme's outcomes: supervisors and leads, and the population roles.
OUTCOME_ROLES = POPULATION_ROLES | {Role.SUPERVISOR}
OUTCOME_KINDS = {
    "cases": "organization_id",
    "contacts": "organization_id",
    "scores": "patient__organization_id",
    "goals": "patient__organization_id",
    "time": "organization_id",
    "stays": "registry__organization_id",
    "referrals": "registry__organization_id",
    "encounters": "patient__organization_id",
}


def outcome_counted_rows(user: User, kind: str) -> QuerySet[Any]:
    """The organisation's rows behind a programme's outcomes (cases, contacts, PHQ-9 scores, goals, time entries,
    registry stays and referrals), for COUNTING only: a count or a median tells nothing about anyone. Labelled
    contacts are left out (a count must not tell what a label hides). A page that names the patients behind a
    number shows only those the viewer may see (visible_patients)."""
    rows = _organisation_rows(
        user, kind, OUTCOME_ROLES, OUTCOME_KINDS,
        "Only supervisors, population health analysts and administrators read outcomes.",
    )  # fmt: skip
    return rows.filter(sensitivity="") if kind == "contacts" else rows


def campaign_rows(user: User, kind: str) -> QuerySet[Any]:
    """An outreach campaign's rows: "campaigns"; "campaign_members" (who was invited and what they answered: a
    member's name, phone and language, enough to call them and no more); "campaign_risks" (the tier and reasons
    of those members: why they are called). For the population roles, the organisation's; for anyone else, those
    of the campaigns their own team works (a member's team, a supervisor's teams). PermissionError for a user of
    no organisation."""
    source = sources.registered.population
    if source is None or not user.is_authenticated or not user.is_active or user.organization_id is None:
        raise PermissionError("Only staff of the organisation see its campaigns.")
    if kind == "campaign_risks":
        called = campaign_rows(user, "campaign_members").values("patient_id")
        return source("members").filter(organization_id=user.organization_id, patient_id__in=called)
    prefix = {"campaigns": "", "campaign_members": "campaign__"}[kind]
    rows = source(kind).filter(**{f"{prefix}organization_id": user.organization_id})
    if user.role in POPULATION_ROLES:
        return rows
    # The teams the user works in or supervises, as a subquery (the team model reached through the campaign's own
    # field: this module names no app's models).
    team = source("campaigns").model._meta.get_field("team").related_model
    teams = team.objects.filter(Q(supervisor=user) | Q(members__user=user)).values("pk")
    return rows.filter(**{f"{prefix}team_id__in": teams})
