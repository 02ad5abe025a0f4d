"""Observation from a portal check-in (engagement.CheckIn), category survey. One part of the Observation type
(observation.py); ids are `check-in-<pk>`. Codes are this server's own (no LOINC code says "how did this
goal go this week"):

- a goal check-in: code goal-check-in, valueCodeableConcept the rating (goal-rating well | partly | not-well),
  `focus` the Goal;
- mood and symptoms: code mood-and-symptoms, valueInteger the mood (1 very low to 5 very good, also the
  referenceRange) when given, one component per symptom (code from the symptom CodeSystem, valueBoolean true).

The patient's own words are the `note`; `performer` is who reported it (the Patient, a proxy by name, or a
member of staff)."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When

from careconductor.engagement.choices import CheckInKind, GoalRating, Symptom
from careconductor.engagement.models import CheckIn

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, prefixed_id, prefixed_id_param
from .common import compact, concept, moment, ref
from .reporters import person

PREFIX = "check-in-"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CODES_SYSTEM = "https://careconductor.org/fhir/CodeSystem/check-in"
RATING = "https://careconductor.org/fhir/CodeSystem/goal-rating"
SYMPTOM = "https://careconductor.org/fhir/CodeSystem/symptom"
# Each kind of check-in as (code, display).
KINDS: dict[str, tuple[str, str]] = {
    CheckInKind.GOAL: ("goal-check-in", "Goal check-in"),
    CheckInKind.WELLBEING: ("mood-and-symptoms", "Mood and symptoms"),
}
FROM_CODE = {code: kind for kind, (code, _) in KINDS.items()}
_pk = prefixed_id(PREFIX)


def _code(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|") if "|" in value else ("", "", value)
    matched = Q(kind=FROM_CODE[code]) if system in ("", CODES_SYSTEM) and code in FROM_CODE else Q(pk__in=[])
    return ~matched if modifier == "not" else matched


def _category(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    # Not Q(): an empty Q vanishes when ORed with another.
    return Q(pk__isnull=False) if system in ("", CATEGORY) and code == "survey" else Q(pk__in=[])


class CheckInObservation(Mapper):
    resource_type = "Observation"
    model = CheckIn
    interactions = READ_ONLY
    patient_field = "patient"
    params = {
        "_id": prefixed_id_param(PREFIX),
        "patient": params.reference("patient_id", "Patient", "The patient who checked in"),
        "subject": params.reference("patient_id", "Patient", "The patient who checked in"),
        "code": SearchParam(
            "token", "goal-check-in or mood-and-symptoms", _code, modifiers=frozenset({"not"})
        ),
        "date": params.date("reported_at", "When it was reported"),
        "category": SearchParam("token", "survey", _category),
        "focus": params.reference("goal_id", "Goal", "The goal checked in on"),
    }
    sorts = {"date": "reported_at", "code": "kind_code"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        codes = [When(kind=kind, then=Value(code)) for kind, (code, _) in KINDS.items()]
        return qs.select_related("patient", "reported_by").annotate(kind_code=Case(*codes, default=Value("")))

    def pk_from_id(self, resource_id: str) -> Any:
        return _pk(resource_id)

    def resource_id(self, row: CheckIn) -> str:
        return f"{PREFIX}{row.pk}"

    def value(self, row: CheckIn) -> dict[str, Any]:
        if row.kind == CheckInKind.GOAL:
            if row.rating not in GoalRating.values:
                return {}
            return {"valueCodeableConcept": concept(RATING, row.rating, str(GoalRating(row.rating).label))}
        found: dict[str, Any] = {}
        if row.mood is not None:
            found["valueInteger"] = row.mood
            found["referenceRange"] = [
                {"low": {"value": 1}, "high": {"value": 5}, "text": "1 (very low) to 5 (very good)"}
            ]
        symptoms = [Symptom(s) for s in row.symptoms if s in Symptom.values]
        if symptoms:
            found["component"] = [
                {"code": concept(SYMPTOM, s.value, str(s.label), text=str(s.label)), "valueBoolean": True}
                for s in symptoms
            ]
        return found

    def to_fhir(self, row: CheckIn) -> dict[str, Any]:
        code, display = KINDS.get(row.kind, ("", "Check-in"))
        return compact(
            {
                "status": "final",
                "category": [concept(CATEGORY, "survey", "Survey")],
                "code": concept(CODES_SYSTEM, code, display, text=display) if code else {"text": display},
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "focus": [ref("Goal", row.goal_id)] if row.goal_id else [],
                "effectiveDateTime": moment(row.reported_at),
                "issued": moment(row.created_at),
                "performer": [person(row.reported_by, row.patient)],
                **self.value(row),
                "note": [{"text": row.note}] if row.note else [],
            }
        )
