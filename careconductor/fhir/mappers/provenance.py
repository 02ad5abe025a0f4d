"""Provenance of what came in from elsewhere, read-only, built from what the database keeps already (no storage of
its own):

- rows of a population import (population/importing.py: FHIR Bulk NDJSON, claims and eligibility CSV, patient
  bundles): conditions, coverage, encounters and measured values (readings) keep their key in the source
  (`source_key`, "<source>|<id there>"). The source is the `author` and the record in it the entity of role
  `source`; the administrator who imported them is the `enterer`: for a reading, the user it is recorded by; for the
  others, who started the import run of that source that was under way when the row was written (an import run from
  the command line has none, and the Provenance names the source alone).
- encounters from a hospital's ADT feed (transitions): the stay as the hospital numbers it (HospitalVisit), with each
  HL7 v2 message received about it as a `source` entity, the hospital as `author` and its feed as `transmitter`
  (v3 ParticipationType TRANS: it sent them).

Members themselves (Patient) keep their key as a PatientIdentifier of the system urn:careconductor:import:<source>.

Ids: patient-N (N the identifier's row), condition-N, coverage-N, encounter-N, reading-N (N the target's row) and adt-visit-N. A Provenance is visible
exactly when its target is: each part reads through the target type's own `visible` (privacy.policy)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Left, StrIndex, Substr

from careconductor.careplans.models import Reading
from careconductor.patients.models import Condition, Coverage, Encounter, PatientIdentifier
from careconductor.population.importing import SOURCE_SYSTEM
from careconductor.population.models import ImportRun
from careconductor.transitions.models import AdtMessage, HospitalVisit

from .. import params
from ..auth import Caller
from ..registry import (
    READ,
    SEARCH,
    Mapper,
    SearchParam,
    UnionMapper,
    declared,
    instant,
    mapper_for,
    prefixed_id,
    prefixed_id_param,
    register,
)
from .common import coding, compact, ref
from .reading import DIASTOLIC, SYSTOLIC
from .reading import _partners as partners

PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
AUTHOR = {"coding": [coding(PARTICIPANT, "author", "Author")]}
ENTERER = {"coding": [coding(PARTICIPANT, "enterer", "Enterer")]}
TRANSMITTER = {"coding": [coding(V3_PARTICIPATION, "TRANS", "Transmitter")]}
CREATE = {"coding": [coding(DATA_OPERATION, "CREATE", "create")]}
READ_SEARCH = frozenset({READ, SEARCH})
FACILITY_SYSTEM = "urn:careconductor:hl7v2:facility"
MESSAGE_SYSTEM = "urn:careconductor:hl7v2:message:"  # + the sending facility: MSH-10 is unique per sender
TARGET_TYPES = frozenset({"Patient", "Condition", "Coverage", "Encounter", "Observation"})


def _target(resource_type: str, prefix: str, field: str = "pk") -> SearchParam:
    """`target`: Type/id (or id) of the resource the Provenance is about, for a part whose targets are that type."""
    key_of = prefixed_id(prefix)

    def build(modifier: str, value: str, caller: Caller) -> Q:
        parts = value.rstrip("/").split("/")
        kind = parts[-2] if len(parts) >= 2 else resource_type
        key = key_of(parts[-1])
        if kind != resource_type or (modifier and modifier != resource_type) or key is None:
            return Q(pk__in=[])
        return Q(**{field: key})

    return SearchParam("reference", "The resource it is about: Type/id", build, modifiers=TARGET_TYPES)


def _target_visible(rows: QuerySet[Any], field: str, resource_type: str, caller: Caller) -> QuerySet[Any]:
    """The rows whose target (`field`, a row of `resource_type`) the caller may see: through that type's own
    `visible`, so a Provenance is visible exactly when its target is."""
    target = mapper_for(resource_type)
    assert target is not None
    return rows.filter(**{f"{field}__in": target.visible(caller).values("pk")})


def _importer(organization: str, written_at: str) -> Subquery:
    """Who imported a row: the one who started the import run of the row's source (`source_name`) that was under way
    when the row was written."""
    run = ImportRun.objects.filter(
        organization_id=OuterRef(organization),
        source=OuterRef("source_name"),
        started_at__lte=OuterRef(written_at),
        dry_run=False,
    ).filter(Q(finished_at__isnull=True) | Q(finished_at__gte=OuterRef(written_at)))
    return Subquery(run.order_by("-started_at").values("started_by_id")[:1])


def _part_params(prefix: str, target: SearchParam) -> dict[str, SearchParam]:
    return {
        "_id": prefixed_id_param(prefix),
        "patient": params.reference("patient_id", "Patient", "The patient whose record it is about"),
        "target": target,
        # When the import wrote the row (`recorded`), not when the row last changed: a Provenance of an import
        # does not change when its target does.
        "_lastUpdated": params.date("created_at", "When the import wrote the row"),
    }


class ImportedRows(Mapper):
    """A part: the rows of one model that a population import brought in."""

    resource_type = "Provenance"
    interactions = READ_SEARCH
    patient_field = "patient"
    target_type: ClassVar[str]
    prefix: ClassVar[str]  # of the Provenance id
    target_prefix: ClassVar[str] = ""  # of the target's id (a reading is Observation/reading-N)
    sorts = {"_lastUpdated": "created_at"}

    def rows(self) -> QuerySet[Any]:
        return self.model._default_manager.exclude(source_key="")

    def visible(self, caller: Caller) -> QuerySet[Any]:
        target = mapper_for(self.target_type)
        assert target is not None
        part = next(p for p in target.parts() if p.model is self.model)
        return self.with_related(self.rows().filter(pk__in=part.visible(caller).values("pk")))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        named = qs.annotate(source_name=Left("source_key", StrIndex("source_key", Value("|")) - 1))
        return named.annotate(importer_id=_importer("patient__organization_id", "created_at"))

    def pk_from_id(self, resource_id: str) -> Any:
        return prefixed_id(self.prefix)(resource_id)

    def resource_id(self, row: Any) -> str:
        return f"{self.prefix}{row.pk}"

    def version_id(self, row: Any) -> str:
        return "1"

    def last_updated(self, row: Any) -> dt.datetime:
        return row.created_at

    def importer(self, row: Any) -> int | None:
        return getattr(row, "importer_id", None)

    def origin(self, row: Any) -> tuple[str, str]:
        """The source's name and the row's id there."""
        source, _, key = row.source_key.partition("|")
        return source, key

    def target_key(self, row: Any) -> int:
        return int(row.pk)

    def to_fhir(self, row: Any) -> dict[str, Any]:
        source, key = self.origin(row)
        agents = [{"type": AUTHOR, "who": {"display": source}}]
        if (importer := self.importer(row)) is not None:
            agents.append({"type": ENTERER, "who": ref("Practitioner", importer)})
        return {
            "target": [ref(self.target_type, f"{self.target_prefix}{self.target_key(row)}")],
            "recorded": instant(self.last_updated(row)),
            "activity": CREATE,
            "agent": agents,
            "entity": [
                {
                    "role": "source",
                    "what": {
                        "identifier": {"system": SOURCE_SYSTEM + source, "value": key},
                        "display": f"{source}: {key}",
                    },
                }
            ],
        }


class ImportedPatient(ImportedRows):
    """A part: a member a population import registered, known by their key in the source (a PatientIdentifier of
    the system urn:careconductor:import:<source>, written with the Patient)."""

    model = PatientIdentifier
    target_type, prefix = "Patient", "patient-"
    # An identifier row keeps no time of its own: the member's registration is when it was written.
    params = {
        **_part_params(prefix, _target(target_type, "", field="patient_id")),
        "_lastUpdated": params.date("patient__created_at", "When the member was registered"),
    }
    sorts = {"_lastUpdated": "patient__created_at"}

    def rows(self) -> QuerySet[Any]:
        return PatientIdentifier.objects.filter(system__startswith=SOURCE_SYSTEM)

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(_target_visible(self.rows(), "patient", "Patient", caller))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        named = qs.select_related("patient").annotate(source_name=Substr("system", len(SOURCE_SYSTEM) + 1))
        return named.annotate(importer_id=_importer("organization_id", "patient__created_at"))

    def last_updated(self, row: PatientIdentifier) -> dt.datetime:
        return row.patient.created_at

    def origin(self, row: PatientIdentifier) -> tuple[str, str]:
        return row.system.removeprefix(SOURCE_SYSTEM), row.value

    def target_key(self, row: PatientIdentifier) -> int:
        return int(row.patient_id)


class ImportedCondition(ImportedRows):
    model = Condition
    target_type, prefix = "Condition", "condition-"
    params = _part_params(prefix, _target(target_type, ""))


class ImportedCoverage(ImportedRows):
    model = Coverage
    target_type, prefix = "Coverage", "coverage-"
    params = _part_params(prefix, _target(target_type, ""))


class ImportedEncounter(ImportedRows):
    model = Encounter
    target_type, prefix = "Encounter", "encounter-"
    params = _part_params(prefix, _target(target_type, ""))


class ImportedReading(ImportedRows):
    model = Reading
    target_type, prefix, target_prefix = "Observation", "reading-", "reading-"
    params = _part_params(prefix, _target(target_type, target_prefix))

    def rows(self) -> QuerySet[Any]:
        # A diastolic value folded into its systolic reading's panel is no Observation of its own.
        return super().rows().exclude(Exists(partners(SYSTOLIC)), measure=DIASTOLIC)

    def importer(self, row: Any) -> int | None:
        return int(row.recorded_by_id)  # the importing administrator records the readings


class AdtVisit(Mapper):
    """A part: a hospital stay recorded from an ADT feed, with the messages received about it."""

    resource_type = "Provenance"
    model = HospitalVisit
    interactions = READ_SEARCH
    patient_field = "patient"
    prefix = "adt-visit-"
    params = {
        "_id": prefixed_id_param(prefix),
        "patient": params.reference("patient_id", "Patient", "The patient whose record it is about"),
        "target": _target("Encounter", "", field="encounter_id"),
    }

    def rows(self) -> QuerySet[Any]:
        return HospitalVisit.objects.filter(encounter__isnull=False)

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return self.with_related(_target_visible(self.rows(), "encounter", "Encounter", caller))

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        messages = AdtMessage.objects.order_by("received_at", "pk").only(
            "visit_id", "control_id", "trigger", "received_at", "sending_facility"
        )
        return qs.select_related("feed").prefetch_related(Prefetch("messages", queryset=messages))

    def pk_from_id(self, resource_id: str) -> Any:
        return prefixed_id(self.prefix)(resource_id)

    def resource_id(self, row: HospitalVisit) -> str:
        return f"{self.prefix}{row.pk}"

    def version_id(self, row: HospitalVisit) -> str:
        return "1"

    def last_updated(self, row: HospitalVisit) -> dt.datetime:
        return row.updated_at

    def to_fhir(self, row: HospitalVisit) -> dict[str, Any]:
        feed = row.feed
        hospital = {
            "identifier": {"system": FACILITY_SYSTEM, "value": feed.sending_facility},
            "display": feed.name,
        }
        return compact(
            {
                "target": [ref("Encounter", row.encounter_id)],
                "recorded": instant(row.updated_at),
                "activity": CREATE,
                "agent": [
                    {"type": AUTHOR, "who": hospital},
                    {"type": TRANSMITTER, "who": {"display": f"{feed.name} ADT feed"}},
                ],
                "entity": [
                    {
                        "role": "source",
                        "what": {
                            "identifier": {
                                "system": MESSAGE_SYSTEM + feed.sending_facility,
                                "value": m.control_id,
                            },
                            "display": f"ADT^{m.trigger} {m.control_id} received {instant(m.received_at)}",
                        },
                    }
                    for m in row.messages.all()
                    if m.control_id
                ],
            }
        )


@register
class ProvenanceMapper(UnionMapper):
    resource_type = "Provenance"
    model = Condition  # the first part's; search and reads go through parts()
    members = (
        ImportedPatient,
        ImportedCondition,
        ImportedCoverage,
        ImportedEncounter,
        ImportedReading,
        AdtVisit,
    )
    interactions = READ_SEARCH
    patient_field = "patient"
    description = (
        "Where records that came from elsewhere came from, read-only, visible exactly when the record (target) is. "
        "Population imports (FHIR Bulk NDJSON, claims and eligibility CSV, patient bundles): target a member "
        "(Patient), Condition, Coverage, Encounter or Observation (reading-N); agent author the source by name, enterer the importing "
        f"administrator (Practitioner) where known; entity role source, the record's id in the source as an "
        f"identifier of the system {SOURCE_SYSTEM}<source>. Encounters from a hospital's ADT feed: agent author the "
        "hospital, transmitter its feed; one source entity per HL7 v2 message received about the stay. recorded: "
        "when the record was written (an ADT stay: last changed)."
    )
    params = {
        "patient": declared(
            "reference", "The patient whose record it is about", like=ImportedCondition.params["patient"]
        ),
        "target": declared(
            "reference",
            "The resource it is about: Patient/N, Condition/N, Coverage/N, Encounter/N, Observation/reading-N",
            modifiers=TARGET_TYPES,
        ),
    }
