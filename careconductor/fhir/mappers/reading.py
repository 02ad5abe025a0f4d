"""Observation from a measured value (careplans.Reading): the patient's own readings from the portal (source
self-report) and those staff typed in (lab results, visit measurements). One part of the Observation type
(observation.py); ids are `reading-<pk>`.

- Blood pressure is one vital-signs panel (LOINC 85354-9) with systolic (8480-6) and diastolic (8462-4)
  components, as the FHIR vital-signs profile asks. Readings keep the two numbers as two rows; the diastolic
  row taken at the same moment, from the same source, is folded into the systolic row's Observation (its own
  id is not served). A number without its partner is a panel whose other component has dataAbsentReason.
- category (http://terminology.hl7.org/CodeSystem/observation-category): vital-signs for blood pressure and
  body weight (both in the vital-signs profile); laboratory for HbA1c and blood sugar by meter (a
  point-of-care test of capillary blood, the way US Core files glucose); exam for peak flow (a simple
  instrument used on the body; it is not one of the vital signs); activity for steps.
- Who reported it: `performer` is the Patient for a self-report on their own log-in, the proxy by name
  (RelatedPerson) for a proxy's, the member of staff (Practitioner) for a visit or staff reading; a lab
  result has none (staff only typed it in). The extension reading-source codes where the value came from."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Subquery, Value, When

from careconductor.careplans.choices import ReadingSource
from careconductor.careplans.measures import LOINC, MEASURES
from careconductor.careplans.models import Reading

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, prefixed_id, prefixed_id_param
from .common import EXT, coding, compact, concept, moment, ref
from .reporters import person

PREFIX = "reading-"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
UCUM = "http://unitsofmeasure.org"
ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
SOURCE = "https://careconductor.org/fhir/CodeSystem/reading-source"
SOURCE_EXT = EXT + "reading-source"
SYSTOLIC, DIASTOLIC = "bp-systolic", "bp-diastolic"
BP_PANEL = "85354-9"
CATEGORIES = {
    SYSTOLIC: ("vital-signs", "Vital Signs"),
    DIASTOLIC: ("vital-signs", "Vital Signs"),
    "weight": ("vital-signs", "Vital Signs"),
    "hba1c": ("laboratory", "Laboratory"),
    "glucose": ("laboratory", "Laboratory"),
    "haemoglobin": ("laboratory", "Laboratory"),
    "sodium": ("laboratory", "Laboratory"),
    "peak-flow": ("exam", "Exam"),
    "steps": ("activity", "Activity"),
}
# Observation.code of each measure: both blood pressure numbers are the panel.
CODES = {key: BP_PANEL if key in (SYSTOLIC, DIASTOLIC) else m.loinc for key, m in MEASURES.items() if m.loinc}
UNITS = {"mm[Hg]": "mmHg"}
_pk = prefixed_id(PREFIX)


def _partners(measure: str) -> QuerySet[Reading]:
    """Readings of `measure` at the same moment as the outer row, of the same patient and source."""
    return Reading.objects.filter(
        patient_id=OuterRef("patient_id"),
        taken_at=OuterRef("taken_at"),
        source=OuterRef("source"),
        measure=measure,
    )


def version_key(row: Reading) -> str:
    """The resource a saved row belongs to: a folded diastolic row changes its systolic row's panel."""
    if row.measure == DIASTOLIC:
        partner = (
            Reading.objects.filter(
                patient_id=row.patient_id, taken_at=row.taken_at, source=row.source, measure=SYSTOLIC
            )
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if partner is not None:
            return f"{PREFIX}{partner}"
    return f"{PREFIX}{row.pk}"


def _by_measures(keys: list[str]) -> Q:
    return Q(measure__in=keys) if keys else Q(pk__in=[])


def _code(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
    matched = (
        _by_measures([k for k, c in CODES.items() if c == code]) if system in ("", LOINC) else Q(pk__in=[])
    )
    return ~matched if modifier == "not" else matched


def _component_code(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
    blood_pressure = system in ("", LOINC) and code in (MEASURES[SYSTOLIC].loinc, MEASURES[DIASTOLIC].loinc)
    return _by_measures([SYSTOLIC, DIASTOLIC]) if blood_pressure else Q(pk__in=[])


def _category(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    if system not in ("", CATEGORY):
        return Q(pk__in=[])
    return _by_measures([k for k, (c, _) in CATEGORIES.items() if c == code])


def number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def quantity(value: Decimal, unit: str) -> dict[str, Any]:
    return {"value": number(value), "unit": UNITS.get(unit, unit), "system": UCUM, "code": unit}


class ReadingObservation(Mapper):
    resource_type = "Observation"
    model = Reading
    interactions = READ_ONLY
    patient_field = "patient"
    params = {
        "_id": prefixed_id_param(PREFIX),
        "patient": params.reference("patient_id", "Patient", "The patient measured"),
        "subject": params.reference("patient_id", "Patient", "The patient measured"),
        "code": SearchParam("token", "LOINC code", _code, modifiers=frozenset({"not"})),
        "component-code": SearchParam("token", "LOINC code of a component", _component_code),
        "date": params.date("taken_at", "When it was measured"),
        "category": SearchParam("token", "observation-category", _category),
    }
    sorts = {"date": "taken_at", "code": "loinc_code"}
    tracked = {Reading: version_key}

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return super().visible(caller).exclude(Exists(_partners(SYSTOLIC)), measure=DIASTOLIC)

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        partner = _partners(DIASTOLIC).order_by("pk").values("value")[:1]
        return qs.select_related("patient", "recorded_by").annotate(
            diastolic=Subquery(partner),
            loinc_code=Case(*[When(measure=k, then=Value(c)) for k, c in CODES.items()], default=Value("")),
        )

    def pk_from_id(self, resource_id: str) -> Any:
        return _pk(resource_id)

    def resource_id(self, row: Reading) -> str:
        return f"{PREFIX}{row.pk}"

    def performer(self, row: Reading) -> list[dict[str, Any]]:
        if row.source == ReadingSource.LAB:
            return []
        return [person(row.recorded_by, row.patient)]

    def value(self, row: Reading) -> dict[str, Any]:
        m = MEASURES[row.measure]
        if row.measure not in (SYSTOLIC, DIASTOLIC):
            return {"valueQuantity": quantity(row.value, m.unit)}
        systolic = row.value if row.measure == SYSTOLIC else None
        diastolic = row.value if row.measure == DIASTOLIC else getattr(row, "diastolic", None)
        components = []
        for key, number_ in ((SYSTOLIC, systolic), (DIASTOLIC, diastolic)):
            part = MEASURES[key]
            component: dict[str, Any] = {"code": concept(LOINC, part.loinc, text=part.label)}
            if number_ is None:
                component["dataAbsentReason"] = concept(ABSENT, "unknown", "Unknown")
            else:
                component["valueQuantity"] = quantity(Decimal(str(number_)), part.unit)
            components.append(component)
        return {"component": components}

    def to_fhir(self, row: Reading) -> dict[str, Any]:
        m = MEASURES[row.measure]
        category = CATEGORIES.get(row.measure)
        source = ReadingSource(row.source) if row.source in ReadingSource.values else None
        blood_pressure = row.measure in (SYSTOLIC, DIASTOLIC)
        return compact(
            {
                "extension": [{"url": SOURCE_EXT, "valueCoding": coding(SOURCE, source.value, source.label)}]
                if source
                else [],
                "status": "final",
                "category": [concept(CATEGORY, *category)] if category else [],
                "code": concept(
                    LOINC, CODES[row.measure], text="Blood pressure" if blood_pressure else m.label
                )
                if row.measure in CODES
                else {"text": m.label},
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "effectiveDateTime": moment(row.taken_at),
                "issued": moment(row.created_at),
                "performer": self.performer(row),
                **self.value(row),
                "note": [{"text": row.note}] if row.note else [],
            }
        )
