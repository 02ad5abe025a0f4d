"""Observation: a score from a completed assessment (assessments.AssessmentScore), category survey, derived
from the QuestionnaireResponse it was scored from. Scores are made only by scoring a response (POST a
QuestionnaireResponse), so Observations are read-only here."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.assessments.models import AssessmentScore

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import compact, concept, moment, ref
from .questionnaire import coded_token

CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
SURVEY = "survey"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


def _category(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    # Every score here is a survey result. Not Q(): an empty Q vanishes when ORed with another.
    return Q(pk__isnull=False) if system in ("", CATEGORY) and code == SURVEY else Q(pk__in=[])


@register
class ObservationMapper(Mapper):
    resource_type = "Observation"
    model = AssessmentScore
    interactions = READ_ONLY
    patient_field = "patient"
    description = (
        "Scores of completed assessments of the patients the caller may see (category survey): the total "
        "coded as the instrument defines it (LOINC where one exists, e.g. 44261-6 PHQ-9 total), valueInteger, "
        "the band as interpretation.text (positive/negative screens also coded v3-ObservationInterpretation "
        "POS/NEG), the possible range as referenceRange, and derivedFrom the QuestionnaireResponse."
    )
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
