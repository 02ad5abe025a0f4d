"""The chart header's summary: the case that matters now and every alert a case manager must see, safety
flags first. Composed here, above the apps that own each part."""

from __future__ import annotations

from careconductor.cases.queries import ChartSummary
from careconductor.cases.queries import chart_summary as case_summary
from careconductor.coordination.queries import active_flags
from careconductor.patients.choices import AllergyStatus, AllergyVerification
from careconductor.patients.models import Patient


def chart_summary(patient: Patient) -> ChartSummary:
    summary = case_summary(patient)
    summary.alerts[:0] = [("danger", flag.text) for flag in active_flags(patient)]
    allergies = list(
        patient.allergies.filter(clinical_status=AllergyStatus.ACTIVE)
        .exclude(verification=AllergyVerification.REFUTED)
        .order_by("-criticality", "substance")
    )
    # Never recorded shows as such: an empty list would read as "no allergies".
    summary.allergies = allergies if allergies else None
    return summary
