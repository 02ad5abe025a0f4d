"""Observation, served from three models (registry.UnionMapper), read-only:

- a score from a completed assessment (assessments.AssessmentScore, id `<pk>`), category survey, derived from
  the QuestionnaireResponse it was scored from (scores are made only by scoring a response);
- a measured value (careplans.Reading, id `reading-<pk>`): the patient's own readings from the portal and those
  staff typed in (reading.py);
- a portal check-in (engagement.CheckIn, id `check-in-<pk>`), category survey (check_in.py).

`GET Observation?patient=X` pages over all three; a parameter one of them has no use for matches none of its
rows (derived-from: scores only; focus: check-ins only; component-code: blood pressure readings only)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.assessments.models import AssessmentScore
from careconductor.careplans.models import Reading

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, Mapper, SearchParam, UnionMapper, declared, register
from .check_in import CODES_SYSTEM, CheckInObservation
from .common import compact, concept, moment, ref
from .questionnaire import coded_token
from .reading import BP_PANEL, CATEGORIES, ReadingObservation
from .reading_create import create_reading

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SURVEY = "survey"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def _category(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    # Every score here is a survey result. Not Q(): an empty Q vanishes when ORed with another.
    return Q(pk__isnull=False) if system in ("", CATEGORY) and code == SURVEY else Q(pk__in=[])


class ScoreObservation(Mapper):
    resource_type = "Observation"
    model = AssessmentScore
    interactions = READ_ONLY
    patient_field = "patient"
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient the score is about"),
        "subject": params.reference("patient_id", "Patient", "The patient the score is about"),
        "code": coded_token(
            "code_system", "code", "The score's code: [system|]code, e.g. http://loinc.org|44261-6"
        ),
        "date": params.date("effective_at", "When the score was made (the response's completion)"),
        "category": SearchParam("token", f"{CATEGORY}|{SURVEY} (every score here)", _category),
        "derived-from": params.reference(
            "assessment_id", "QuestionnaireResponse", "The QuestionnaireResponse it was scored from"
        ),
    }
    sorts = {"date": "effective_at", "code": "code"}

    def create(self, caller: Caller, resource: dict[str, Any]) -> Reading:
        return create_reading(caller, resource)

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient")

    def to_fhir(self, row: AssessmentScore) -> dict[str, Any]:
        interpretation: dict[str, Any] = {}
        if row.positive is not None:
            code, display = ("POS", "Positive") if row.positive else ("NEG", "Negative")
            interpretation = concept(INTERPRETATION, code, display)
        if row.interpretation:
            interpretation["text"] = row.interpretation
        return compact(
            {
                "status": row.status,
                "category": [concept(CATEGORY, SURVEY, "Survey")],
                "code": concept(row.code_system, row.code, row.display, text=row.display),
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "effectiveDateTime": moment(row.effective_at),
                "issued": moment(row.created_at),
                "valueInteger": row.value,
                "interpretation": [interpretation] if interpretation else [],
                "referenceRange": [{"low": {"value": row.minimum}, "high": {"value": row.maximum}}],
                "derivedFrom": [ref("QuestionnaireResponse", row.assessment_id)],
            }
        )


@register
class ObservationMapper(UnionMapper):
    resource_type = "Observation"
    model = AssessmentScore  # the first part's; search, versions and $everything go through parts()
    members = (ScoreObservation, ReadingObservation, CheckInObservation)
    interactions = READ_ONLY | {CREATE}
    patient_field = "patient"
    description = (
        "Three kinds, of the patients the caller may see; create makes a reading (2): a laboratory or "
        "vital-signs result with a LOINC code kept here (reading_create.py, docs/fhir.md). (1) Scores of completed assessments "
        "(id N, category survey): the total coded as the instrument defines it (LOINC where one exists, e.g. "
        "44261-6 PHQ-9 total), valueInteger, the band as interpretation.text (positive/negative screens also "
        "coded v3-ObservationInterpretation POS/NEG), the possible range as referenceRange, derivedFrom the "
        "QuestionnaireResponse. (2) Readings (id reading-N), the patient's own from the portal and those staff "
        f"typed in: blood pressure as one vital-signs panel (LOINC {BP_PANEL}) with systolic 8480-6 and "
        "diastolic 8462-4 components; body weight 29463-7 vital-signs; blood sugar by meter 41653-7 and HbA1c "
        "4548-4 laboratory; peak flow 19935-6 exam; steps 41950-7 activity; valueQuantity in UCUM; performer "
        "the Patient for a self-report (a proxy by name as RelatedPerson, staff as Practitioner) and the "
        "extension reading-source (lab, self-report, clinic, staff). (3) Portal check-ins (id check-in-N, "
        f"category survey, code in {CODES_SYSTEM}): goal-check-in with the rating as valueCodeableConcept and "
        "focus the Goal; mood-and-symptoms with the mood (1-5) as valueInteger and one component per symptom."
    )
    params = {
        "patient": declared("reference", "The patient it is about", like=ScoreObservation.params["patient"]),
        "subject": declared("reference", "The patient it is about", like=ScoreObservation.params["subject"]),
        "code": declared(
            "token",
            "The code: [system|]code, e.g. http://loinc.org|44261-6 (PHQ-9 total), 85354-9 (blood pressure), "
            f"29463-7 (body weight), {CODES_SYSTEM}|mood-and-symptoms",
            modifiers=frozenset({"not"}),
        ),
        "component-code": declared(
            "token", "A component's code: http://loinc.org|8480-6 or 8462-4 find the blood pressure panels"
        ),
        "date": declared("date", "When it was measured, scored or reported"),
        "category": declared(
            "token",
            f"{CATEGORY}|code: survey (scores, check-ins), "
            f"{', '.join(sorted({c for c, _ in CATEGORIES.values()}))} (readings)",
        ),
        "derived-from": declared(
            "reference",
            "The QuestionnaireResponse a score was made from",
            like=ScoreObservation.params["derived-from"],
        ),
        "focus": declared(
            "reference", "The Goal a goal check-in is about", like=CheckInObservation.params["focus"]
        ),
    }
    sorts = {"date": "effective_at", "code": "code"}

    def create(self, caller: Caller, resource: dict[str, Any]) -> Reading:
        return create_reading(caller, resource)
