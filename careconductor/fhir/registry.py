"""The one registry of FHIR resource types: each type has a Mapper (domain rows ⇄ FHIR JSON) declaring its
interactions and search parameters. The CapabilityStatement, the views and the history recorder all read
this registry, so what the server says it does and what it does cannot drift apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q, QuerySet

from careconductor.privacy import policy

from .auth import Caller
from .errors import not_found

READ = "read"
VREAD = "vread"
SEARCH = "search-type"
HISTORY = "history-instance"
CREATE = "create"
UPDATE = "update"
DELETE = "delete"
READ_ONLY = frozenset({READ, VREAD, SEARCH, HISTORY})
READ_WRITE = READ_ONLY | {CREATE, UPDATE}


@dataclass(frozen=True)
class SearchParam:
    """A search parameter: its FHIR type and how one value becomes a filter.

    `build(modifier, value, caller)` returns a Q over the mapper's model; search.py splits comma-separated
    values (OR) and repeated parameters (AND) and parses date prefixes before calling it."""

    type: str  # token | string | date | reference | number | uri
    description: str
    build: Callable[[str, str, Caller], Q]
    target: str = ""  # for references: the resource type referred to
    path: str = ""  # for references: the model field holding the referred row's id (for _include)
    modifiers: frozenset[str] = field(default_factory=frozenset)


class Mapper:
    """Subclass per resource type and decorate with @register. Override what the type needs."""

    resource_type: ClassVar[str]
    model: ClassVar[type[models.Model]]
    interactions: ClassVar[frozenset[str]] = READ_ONLY
    params: ClassVar[dict[str, SearchParam]] = {}
    # `_sort` keys: search parameter name → model field(s). `_id` and `_lastUpdated` are added for all.
    sorts: ClassVar[dict[str, str]] = {}
    # Lookup from the model to the Patient row; None for resources that are not patient data.
    patient_field: ClassVar[str | None] = "patient"
    # Part of the patient's record: Patient/$everything and patient-level exports hold it. Not so the audit trail,
    # which is about the record, and read by other rules (the privacy officer).
    in_record: ClassVar[bool] = True
    # The model has a `sensitivity` label (42 CFR Part 2, psychotherapy) that the policy filters on.
    sensitive: ClassVar[bool] = False
    # Rows of other models whose change makes a new version of this resource: model → resource id of row.
    tracked: ClassVar[dict[type[models.Model], Callable[[Any], str | None]]] = {}
    # What each action's error key means in FHIR, for OperationOutcome.issue.expression.
    error_paths: ClassVar[dict[str, str]] = {}
    description: ClassVar[str] = ""

    # --- reading ---------------------------------------------------------------------------------------------
    def visible(self, caller: Caller) -> QuerySet[Any]:
        """Every row the caller may see; the one place a type's access rule is applied."""
        qs = self.rows()
        if self.patient_field is not None:
            qs = qs.filter(policy.patient_q(caller.user, self.patient_field))
            if self.sensitive:
                qs = qs.filter(policy.sensitivity_q(caller.user, self.patient_field))
        return self.with_related(qs)

    def rows(self) -> QuerySet[Any]:
        """Every row the type is served from, before any access rule: all of the model's, or those a part serves
        (a Provenance part serves the imported rows of its model)."""
        return self.model._default_manager.all()

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """select_related / prefetch_related for to_fhir, so a page of results costs a fixed number of queries."""
        return qs

    def get(self, caller: Caller, resource_id: str) -> Any:
        key = self.pk_from_id(resource_id)
        found = self.visible(caller).filter(pk=key).first() if key is not None else None
        if found is None:
            raise not_found(self.resource_type, resource_id)
        return found

    def pk_from_id(self, resource_id: str) -> Any:
        return numeric_id(resource_id)

    def resource_id(self, row: Any) -> str:
        return str(row.pk)

    def version_id(self, row: Any) -> str:
        return str(getattr(row, "version", 1))

    def last_updated(self, row: Any) -> dt.datetime:
        return row.updated_at

    def patient_id(self, row: Any) -> int | None:
        if self.patient_field is None:
            return None
        return getattr(row, f"{self.patient_field}_id", None)

    def to_fhir(self, row: Any) -> dict[str, Any]:
        raise NotImplementedError

    def read_entries(self, row: Any) -> list[tuple[int | None, str, str]]:
        """What serving the row reads, for the audit trail: (patient id, type, id); the patient's own row by default,
        one per member for a resource that names many (Group)."""
        return [(self.patient_id(row), self.resource_type, self.resource_id(row))]

    def parts(self) -> tuple[Mapper, ...]:
        """The mappers of the models the type is served from: itself, or one per model (see UnionMapper)."""
        return (self,)

    def part_of(self, row: Any) -> Mapper:
        return self

    def render(self, row: Any) -> dict[str, Any]:
        """The resource with id and meta, as the API serves it."""
        body = self.to_fhir(row)
        meta = {"versionId": self.version_id(row), "lastUpdated": instant(self.last_updated(row))}
        return {"resourceType": self.resource_type, "id": self.resource_id(row), "meta": meta, **body}

    # --- writing (override with calls to the domain's do_* actions) --------------------------------------------
    def check_create(
        self, caller: Caller, resource: dict[str, Any], *, not_duplicate_of: frozenset[str]
    ) -> None:
        """Refuse a create before it is made (a FhirError), e.g. a Patient who is probably registered already;
        `not_duplicate_of` holds the references the client says it checked and are someone else."""
        return None

    def create(self, caller: Caller, resource: dict[str, Any]) -> Any:
        raise NotImplementedError

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Any:
        raise NotImplementedError

    def delete(self, caller: Caller, row: Any) -> None:
        """Only for what is not a record (a Subscription): records are kept and change status instead."""
        raise NotImplementedError


class UnionMapper(Mapper):
    """A resource type served from several models, each through a mapper of its own (a part) that is not
    registered: Observation from assessment scores, readings and check-ins. Each part serves its own ids
    (a prefix such as `reading-` keeps them apart), declares every search parameter of the union (one that
    cannot match its rows matches nothing) and the same `_sort` keys; search pages over the union of the
    parts' queries in SQL (search.py), so a page costs the same number of queries however many rows match.
    `params` and `sorts` here are what the type declares (the CapabilityStatement, the checks of names)."""

    members: ClassVar[tuple[type[Mapper], ...]]

    def __init__(self) -> None:
        self._parts = tuple(member() for member in self.members)
        self._by_model = {part.model: part for part in self._parts}

    def parts(self) -> tuple[Mapper, ...]:
        return self._parts

    def part_of(self, row: Any) -> Mapper:
        return self._by_model[type(row)]

    def visible(self, caller: Caller) -> QuerySet[Any]:
        raise TypeError(f"{self.resource_type} is served from several models: use parts().")

    def get(self, caller: Caller, resource_id: str) -> Any:
        for part in self._parts:
            if part.pk_from_id(resource_id) is not None:
                return part.get(caller, resource_id)
        raise not_found(self.resource_type, resource_id)

    def pk_from_id(self, resource_id: str) -> Any:
        return next((k for p in self._parts if (k := p.pk_from_id(resource_id)) is not None), None)

    def resource_id(self, row: Any) -> str:
        return self.part_of(row).resource_id(row)

    def version_id(self, row: Any) -> str:
        return self.part_of(row).version_id(row)

    def last_updated(self, row: Any) -> dt.datetime:
        return self.part_of(row).last_updated(row)

    def patient_id(self, row: Any) -> int | None:
        return self.part_of(row).patient_id(row)

    def to_fhir(self, row: Any) -> dict[str, Any]:
        return self.part_of(row).to_fhir(row)

    def render(self, row: Any) -> dict[str, Any]:
        return self.part_of(row).render(row)


def declared(
    type_: str, description: str, *, like: SearchParam | None = None, modifiers: frozenset[str] = frozenset()
) -> SearchParam:
    """A UnionMapper's parameter as the type declares it; its parts build the filters (`like`: a part's
    reference parameter whose target and path it shares)."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        raise TypeError("A UnionMapper's parameters are built by its parts.")

    if like is not None:
        return SearchParam(
            like.type, description, build, target=like.target, path=like.path, modifiers=like.modifiers
        )
    return SearchParam(type_, description, build, modifiers=modifiers)


def prefixed_id(prefix: str) -> Callable[[str], int | None]:
    """pk_from_id for a part whose ids are `<prefix><pk>`, e.g. reading-12."""

    def pk_from_id(resource_id: str) -> int | None:
        return numeric_id(resource_id[len(prefix) :]) if resource_id.startswith(prefix) else None

    return pk_from_id


def prefixed_id_param(prefix: str) -> SearchParam:
    """`_id` for a part whose ids are `<prefix><pk>` (the common `_id` reads plain numbers)."""
    key_of = prefixed_id(prefix)

    def build(modifier: str, value: str, caller: Caller) -> Q:
        key = key_of(value)
        return Q(pk=key) if key is not None else Q(pk__in=[])

    return SearchParam("token", "The resource's logical id", build)


REGISTRY: dict[str, Mapper] = {}


def register(cls: type[Mapper]) -> type[Mapper]:
    REGISTRY[cls.resource_type] = cls()
    return cls


def mapper_for(resource_type: str) -> Mapper | None:
    return REGISTRY.get(resource_type)


def all_mappers() -> Iterable[Mapper]:
    return (REGISTRY[name] for name in sorted(REGISTRY))


def numeric_id(text: str) -> int | None:
    """The row id a resource id names. Ids are exact strings: "007" is not record 7, and "٣" is not 3."""
    plain = text.isascii() and text.isdigit() and not text.startswith("0") and len(text) < 19
    return int(text) if plain else None


def instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
