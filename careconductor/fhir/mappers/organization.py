"""Organization: the caller's own organisation (id "<pk>") and its teams (id "team-<pk>").

Two models back one resource type. The organisation is the mapper's model, so search, paging and kept
versions work on it as on any type; a team is reached by id only (`get` knows the "team-" prefix), which is
how EpisodeOfCare.managingOrganization and PractitionerRole.organization refer to it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.accounts.models import Organization, Team

from .. import params
from ..auth import Caller
from ..errors import not_found
from ..registry import READ_ONLY, Mapper, numeric_id, register
from .common import compact, concept, ref

ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
TEAM_PREFIX = "team-"


def team_id(key: int) -> str:
    """The resource id of a team, for references from other types."""
    return f"{TEAM_PREFIX}{key}"


def parse_team_id(resource_id: str) -> int | None:
    """The team's pk from "team-<pk>", else None."""
    return numeric_id(resource_id.removeprefix(TEAM_PREFIX)) if resource_id.startswith(TEAM_PREFIX) else None


@register
class OrganizationMapper(Mapper):
    resource_type = "Organization"
    model = Organization
    interactions = READ_ONLY
    patient_field = None
    description = (
        "The caller's own organisation (Organization/<id>) and its teams (Organization/team-<id>, type team, "
        "partOf the organisation). Teams are read by id; they are what EpisodeOfCare.managingOrganization "
        "and PractitionerRole.organization refer to. Search finds the organisation only."
    )
    params = {
        "name": params.string(["name"], "The organisation's name, starts with"),
    }
    sorts = {"name": "name"}

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(Organization.objects.filter(pk=caller.user.org_id))

    def get(self, caller: Caller, resource_id: str) -> Any:
        key = parse_team_id(resource_id)
        if key is None:
            return super().get(caller, resource_id)
        team = (
            Team.objects.select_related("organization")
            .filter(pk=key, organization_id=caller.user.org_id)
            .first()
        )
        if team is None:
            raise not_found(self.resource_type, resource_id)
        return team

    def resource_id(self, row: Any) -> str:
        return team_id(row.pk) if isinstance(row, Team) else str(row.pk)

    def to_fhir(self, row: Organization | Team) -> dict[str, Any]:
        if isinstance(row, Team):
            return compact(
                {
                    "active": True,
                    "type": [concept(ORGANIZATION_TYPE, "team", "Organizational team")],
                    "name": row.name,
                    "partOf": ref("Organization", row.organization_id, row.organization.name),
                }
            )
        return compact({"active": True, "name": row.name})
