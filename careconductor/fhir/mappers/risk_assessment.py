"""RiskAssessment: a readmission or comorbidity risk score computed from the chart (assessments.RiskScore):
LACE, HOSPITAL or Charlson, with the inputs behind each point and the inputs that were missing as notes.
Scores are computed on the screens from what the chart holds, so they are read-only here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.assessments.models import RiskScore

from .. import params
from ..registry import READ_ONLY, Mapper, register
from .common import EXT, coding, compact, concept, moment, ref
from .condition import labelled

RISK_MODEL = "https://careconductor.org/fhir/CodeSystem/risk-model"
RISK_VALUE = EXT + "risk-score-value"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
# Bands that are the same words as the standard qualitative risk codes (HOSPITAL's "intermediate" is not).
PROBABILITY_CODES = {"low": "Low likelihood", "moderate": "Moderate likelihood", "high": "High likelihood"}


def basis_line(point: dict[str, Any]) -> str:
    """One input of the score in words, e.g. "L: length of stay 5 days — 4 points"."""
    points = point.get("points", 0)
    unit = "point" if points in (1, -1) else "points"
    return f"{point.get('component', '')}: {point.get('input', '')} — {points} {unit}"


@register
class RiskAssessmentMapper(Mapper):
    resource_type = "RiskAssessment"
    model = RiskScore
    interactions = READ_ONLY
    patient_field = "patient"
    # A score that counted a Part 2 or psychotherapy record carries its label (its basis names the code).
    sensitive = True
    description = (
        "Risk scores computed from the charts of the patients the caller may see: LACE index, HOSPITAL score "
        f"and Charlson comorbidity index (code and method in {RISK_MODEL}: lace, hospital, charlson). The score "
        f"is prediction.rationale and the extension {RISK_VALUE} (absent when an input was missing), the band "
        "prediction.qualitativeRisk; each note is one input and its points, or an input that was missing. "
        "basis refers to the hospital stay the score was computed from. A score that counted a Part 2 or "
        "psychotherapy diagnosis carries its label in meta.security and is served only to whoever may read it."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient assessed"),
        "subject": params.reference("patient_id", "Patient", "The patient assessed"),
        "date": params.date("computed_at", "When the score was computed"),
        "method": params.token(
            "model", f"The model ({RISK_MODEL}): lace, hospital or charlson", system=RISK_MODEL
        ),
    }
    sorts = {"date": "computed_at", "method": "model"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "computed_by")

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    def to_fhir(self, row: RiskScore) -> dict[str, Any]:
        model = concept(RISK_MODEL, row.model, row.title, text=row.title)
        if row.value is not None:
            rationale = f"{row.title} {row.value}" + (f" ({row.band})" if row.band else "")
        else:
            known = sum(int(p.get("points", 0)) for p in row.basis)
            rationale = f"{row.title} not scored: inputs missing (at least {known} points from those known)"
        qualitative: dict[str, Any] | None = None
        if row.band:
            qualitative = {"text": row.band}
            if row.band in PROBABILITY_CODES:
                qualitative["coding"] = [coding(RISK_PROBABILITY, row.band, PROBABILITY_CODES[row.band])]
        prediction = compact(
            {
                "extension": [{"url": RISK_VALUE, "valueInteger": row.value}]
                if row.value is not None
                else [],
                "qualitativeRisk": qualitative,
                "rationale": rationale,
            }
        )
        notes = [{"text": basis_line(p)} for p in row.basis]
        notes += [{"text": f"Missing input: {name}"} for name in row.missing]
        by = row.computed_by
        return compact(
            {
                "status": "final",
                "method": model,
                "code": model,
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "occurrenceDateTime": moment(row.computed_at),
                "performer": ref("Practitioner", by.pk, by.display_name()),
                "basis": [ref("Encounter", row.encounter_id)] if row.encounter_id else [],
                "prediction": [prediction],
                "note": notes,
            }
        )
