"""Flag: an alert on a patient's chart (coordination.Flag), raised by a rule such as the PHQ-9 item-9 rule or a
self-report in the portal past its alert limit (rule `self-report:…`, category clinical), active until a person
acknowledges it on the screens. Read-only here.

`author` is whose action set it off: a member of staff (Practitioner), or for a self-report the Patient (their
own portal log-in) or a proxy by name (Flag.author allows no RelatedPerson). What raised it (the Observation of
the reading or check-in, the QuestionnaireResponse) is the R4 extension flag-detail: R4's Flag has no focus."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import F, Q, QuerySet

from careconductor.accounts.choices import Role
from careconductor.coordination.choices import FlagCategory, FlagStatus
from careconductor.coordination.models import Flag
from careconductor.core.ids import whole_number

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import compact, concept, period, ref
from .reporters import person

CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
STATUS = "http://hl7.org/fhir/flag-status"
DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
# What raised a flag, as kept in Flag.focus: a reference to a resource of this server.
FOCUS = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")


def _author(modifier: str, value: str, caller: Caller) -> Q:
    """Practitioner/N: raised by that member of staff; Patient/N: raised by patient N on their own log-in."""
    parts = value.rstrip("/").split("/")
    number = whole_number(parts[-1])
    kind = parts[-2] if len(parts) >= 2 else modifier
    if (modifier and kind != modifier) or number is None:
        return Q(pk__in=[])
    key = str(number)
    found = Q(pk__in=[])
    if kind in ("", "Practitioner"):
        found |= Q(raised_by_id=int(key)) & ~Q(raised_by__role=Role.PATIENT)
    if kind in ("", "Patient"):
        found |= Q(patient_id=int(key), raised_by_id=F("patient__portal_user_id"))
    return found


@register
class FlagMapper(Mapper):
    resource_type = "Flag"
    model = Flag
    interactions = READ_ONLY
    patient_field = "patient"
    description = (
        "Alerts on the charts of the patients the caller may see, raised by the safety rules (e.g. thoughts "
        "of self-harm on a PHQ-9) and by self-reports in the portal past their alert limits (category "
        f"clinical). category is coded in {CATEGORY}; code.text says what the alert is; period.start is when it "
        "was raised and period.end when a person acknowledged it (status inactive); author whose action set it "
        "off (Practitioner, or the Patient for their own self-report, a proxy by name); the extension "
        f"{DETAIL} refers to what raised it (Observation/reading-N, Observation/check-in-N, "
        "QuestionnaireResponse/N)."
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
        "author": SearchParam(
            "reference",
            "Whose action set it off: Practitioner/N, or Patient/N for the patient's own self-reports",
            _author,
            target="Practitioner",
            path="raised_by_id",
            modifiers=frozenset({"Practitioner", "Patient"}),
        ),
    }
    sorts = {"date": "raised_at", "status": "status"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "raised_by")

    def to_fhir(self, row: Flag) -> dict[str, Any]:
        category = FlagCategory(row.category)
        return compact(
            {
                "extension": [{"url": DETAIL, "valueReference": {"reference": row.focus}}]
                if FOCUS.match(row.focus)
                else [],
                "status": row.status,
                "category": [concept(CATEGORY, category.value, category.label)],
                "code": {"text": row.text},
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "period": period(row.raised_at, row.acknowledged_at),
                "author": person(row.raised_by, row.patient, proxy_type=None),
            }
        )
