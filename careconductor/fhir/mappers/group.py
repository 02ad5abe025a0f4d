"""Group: a population health registry (issue 22): its current members, each with the day they entered, for the
population roles (privacy.policy.population_rows); `Group/<id>/$export` exports their records (bulk.py) within what
the token's user may read. Read and search only; no kept versions (a registry changes with every nightly run)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet

from careconductor.population.models import Registry, RegistryMember
from careconductor.privacy import policy

from .. import params
from ..auth import Caller
from ..registry import READ, SEARCH, Mapper, register
from .common import compact, day, ref

RULE_EXTENSION = "https://careconductor.example.org/fhir/StructureDefinition/registry-rule"


@register
class GroupMapper(Mapper):
    resource_type = "Group"
    model = Registry
    interactions = frozenset({READ, SEARCH})
    patient_field = None
    description = (
        "A population health registry: type person, actual, its name, its rule (an extension and code.text), "
        "quantity and the current members with the day each entered (member.period.start). For population "
        "health analysts and administrators; Group/<id>/$export exports the members' records."
    )
    params = {"name": params.string(["name"], "The registry's name, starts with")}
    sorts = {"name": "name"}

    def visible(self, caller: Caller) -> QuerySet[Any]:
        try:
            rows = policy.population_rows(caller.user, "registries")
        except PermissionError:
            return Registry.objects.none()
        return self.with_related(rows)

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        current = RegistryMember.objects.filter(left_on=None).order_by("patient_id")
        return qs.prefetch_related(Prefetch("stays", queryset=current, to_attr="current"))

    def version_id(self, row: Any) -> str:
        return "1"

    def last_updated(self, row: Any) -> dt.datetime:
        return row.updated_at

    def read_entries(self, row: Any) -> list[tuple[int | None, str, str]]:
        """A registry names its members: a read of it is a read of each (one audit event per member)."""
        return [(stay.patient_id, "Group", str(row.pk)) for stay in self._current(row)]

    def _current(self, row: Any) -> list[RegistryMember]:
        found = getattr(row, "current", None)
        return found if found is not None else list(row.stays.filter(left_on=None).order_by("patient_id"))

    def to_fhir(self, row: Any) -> dict[str, Any]:
        members = self._current(row)
        return compact(
            {
                "extension": [{"url": RULE_EXTENSION, "valueString": row.rule}],
                "type": "person",
                "actual": True,
                "code": {"text": row.rule},
                "name": row.name,
                "quantity": len(members),
                "member": [
                    {"entity": ref("Patient", stay.patient_id), "period": {"start": day(stay.entered_on)}}
                    for stay in members
                ],
            }
        )
