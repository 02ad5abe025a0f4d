"""Flag: an alert on a patient's chart (coordination.Flag), raised by a rule such as the PHQ-9 item-9 rule,
active until a person acknowledges it on the screens. Read-only here."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.coordination.choices import FlagCategory, FlagStatus
from careconductor.coordination.models import Flag

from .. import params
from ..registry import READ_ONLY, Mapper, register
from .common import compact, concept, period, ref

CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
STATUS = "http://hl7.org/fhir/flag-status"


@register
class FlagMapper(Mapper):
    resource_type = "Flag"
    model = Flag
    interactions = READ_ONLY
    patient_field = "patient"
    description = (
        "Alerts on the charts of the patients the caller may see, raised by the safety rules (e.g. thoughts "
        f"of self-harm on a PHQ-9). category is coded in {CATEGORY}; code.text says what the alert is; "
        "period.start is when it was raised and period.end when a person acknowledged it (status inactive)."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient flagged"),
        "subject": params.reference("patient_id", "Patient", "The patient flagged"),
        "status": params.token(
            "status",
            f"active, inactive (acknowledged) or entered-in-error ({STATUS})",
            system=STATUS,
            codes={s: s for s in FlagStatus.values},
        ),
        "date": params.date("raised_at", "When the flag was raised"),
        "author": params.reference("raised_by_id", "Practitioner", "Who raised it (whose action set it off)"),
    }
    sorts = {"date": "raised_at", "status": "status"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "raised_by")

    def to_fhir(self, row: Flag) -> dict[str, Any]:
        category = FlagCategory(row.category)
        by = row.raised_by
        return compact(
            {
                "status": row.status,
                "category": [concept(CATEGORY, category.value, category.label)],
                "code": {"text": row.text},
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "period": period(row.raised_at, row.acknowledged_at),
                "author": ref("Practitioner", by.pk, by.display_name()),
            }
        )
