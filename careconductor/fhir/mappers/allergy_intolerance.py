"""AllergyIntolerance: a patient's allergies and intolerances (patients.Allergy), read, searched and created
(US Core AllergyIntolerance: clinicalStatus, verificationStatus, code, patient, reaction)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.patients.allergies import AllergyDetails, do_record_allergy
from careconductor.patients.choices import (
    AllergyCategory,
    AllergyCriticality,
    AllergyStatus,
    AllergyVerification,
    ReactionSeverity,
)
from careconductor.patients.models import Allergy

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, Mapper, register
from .common import compact, concept, day, moment, parse_day, ref, refused, visible_patient

CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"


@register
class AllergyIntoleranceMapper(Mapper):
    resource_type = "AllergyIntolerance"
    model = Allergy
    interactions = READ_ONLY | {CREATE}
    patient_field = "patient"
    description = (
        "Allergies and intolerances of the patients the caller may see. code.text is the substance (with an "
        "RxNorm or SNOMED CT coding where one was given; SNOMED 716186003 is 'no known allergy'); a change of "
        "status is made on the chart's Allergies page."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient"),
        "clinical-status": params.token(
            "clinical_status",
            "active, inactive or resolved",
            system=CLINICAL,
            codes={v: v for v in AllergyStatus.values},
        ),
        "category": params.token(
            "category",
            "medication, food, environment or biologic",
            codes={v: v for v in AllergyCategory.values},
        ),
        "criticality": params.token(
            "criticality", "low, high or unable-to-assess", codes={v: v for v in AllergyCriticality.values}
        ),
    }
    sorts = {"patient": "patient_id", "date": "recorded_at"}
    error_paths = {
        "substance": "AllergyIntolerance.code",
        "category": "AllergyIntolerance.category",
        "criticality": "AllergyIntolerance.criticality",
        "verification": "AllergyIntolerance.verificationStatus",
        "reaction": "AllergyIntolerance.reaction.manifestation",
        "severity": "AllergyIntolerance.reaction.severity",
        "onset_date": "AllergyIntolerance.onsetDateTime",
        "code": "AllergyIntolerance.code.coding",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "recorded_by")

    def to_fhir(self, row: Allergy) -> dict[str, Any]:
        code: dict[str, Any] = {"text": row.substance}
        if row.code:
            code = concept(row.code_system, row.code, row.substance, text=row.substance)
        reaction = (
            [compact({"manifestation": [{"text": row.reaction}], "severity": row.severity or None})]
            if row.reaction
            else []
        )
        return compact(
            {
                "clinicalStatus": concept(CLINICAL, row.clinical_status, row.get_clinical_status_display()),
                "verificationStatus": concept(VERIFICATION, row.verification, row.get_verification_display()),
                "category": [row.category] if not row.is_no_known_allergies else [],
                "criticality": row.criticality or None,
                "code": code,
                "patient": ref("Patient", row.patient_id, row.patient.full_name),
                "onsetDateTime": day(row.onset_date),
                "recordedDate": moment(row.recorded_at),
                "recorder": ref("Practitioner", row.recorded_by_id, row.recorded_by.display_name())
                if row.recorded_by
                else None,
                "reaction": reaction,
                "note": [{"text": row.note}] if row.note else [],
            }
        )

    def create(self, caller: Caller, resource: dict[str, Any]) -> Allergy:
        patient = visible_patient(caller, resource.get("patient"), "AllergyIntolerance.patient")
        code = resource.get("code") or {}
        codings = code.get("coding") or []
        first = codings[0] if codings else {}
        substance = (code.get("text") or first.get("display") or "").strip()
        if not substance:
            raise refused(
                "AllergyIntolerance.code", "AllergyIntolerance.code needs the substance in text or display."
            )
        status = ((resource.get("clinicalStatus") or {}).get("coding") or [{}])[0].get(
            "code", AllergyStatus.ACTIVE
        )
        if status != AllergyStatus.ACTIVE:
            raise refused(
                "AllergyIntolerance.clinicalStatus", "A new allergy is active; record changes on the chart."
            )
        verification = ((resource.get("verificationStatus") or {}).get("coding") or [{}])[0].get(
            "code", AllergyVerification.UNCONFIRMED
        )
        categories = resource.get("category") or [AllergyCategory.MEDICATION]
        reactions = resource.get("reaction") or [{}]
        manifestation = (reactions[0].get("manifestation") or [{}])[0]
        words = manifestation.get("text") or ((manifestation.get("coding") or [{}])[0].get("display") or "")
        severity = reactions[0].get("severity") or ""
        if severity and severity not in ReactionSeverity.values:
            raise refused("AllergyIntolerance.reaction.severity", "severity is mild, moderate or severe.")
        details = AllergyDetails(
            substance=substance,
            category=categories[0] if isinstance(categories[0], str) else "",
            criticality=resource.get("criticality") or "",
            reaction=words,
            severity=severity,
            verification=verification,
            onset_date=parse_day(resource.get("onsetDateTime"), "AllergyIntolerance.onsetDateTime"),
            code_system=first.get("system") or "",
            code=first.get("code") or "",
        )
        return do_record_allergy(caller.user, patient, details)
