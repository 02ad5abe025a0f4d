"""The patient's banner (the chart header: who, the case, every alert) on pages of apps below the chart, which
cannot import it: {% load chart %}{% patient_banner patient %}."""

from __future__ import annotations

from typing import Any

from django import template

from careconductor.patients.models import Patient

from ..summary import chart_summary

register = template.Library()


@register.inclusion_tag("chart/_header.html")
def patient_banner(patient: Patient) -> dict[str, Any]:
    """The page has already opened the patient's record through access_*; a fixed number of queries."""
    return {"patient": patient, "summary": chart_summary(patient)}
