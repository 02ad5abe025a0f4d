"""Condition: an entry on a patient's problem list, coded in ICD-10-CM, or a health concern (a need such as food
insecurity that a care plan addresses, US Core category health-concern, coded only where a code fits), both
patients.Condition. Conditions can carry a sensitivity label (42 CFR Part 2, psychotherapy), served as
meta.security and filtered by the policy. Health concerns are made and changed through the care plan; the API
creates and updates problem-list items only."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.patients.actions import do_add_condition, do_update_condition
from careconductor.patients.choices import ClinicalStatus, ConditionCategory
from careconductor.patients.models import Condition
from careconductor.privacy import policy
from careconductor.privacy.choices import Sensitivity

from .. import params
from ..auth import Caller
from ..registry import READ_WRITE, Mapper, SearchParam, register
from .common import (
    EXT,
    code_in,
    coding,
    compact,
    concept,
    day,
    moment,
    parse_day,
    ref,
    reference_id,
    refused,
    visible_patient,
)

ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PROBLEM_LIST = "problem-list-item"
US_CORE_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/condition-category"
HEALTH_CONCERN = "health-concern"
# A health concern's own code (e.g. the assessment domain "food-insecurity"), beside any ICD-10-CM code.
CONCERN_CODE = "https://careconductor.org/fhir/CodeSystem/health-concern"
# Each stored category as FHIR codes it: (system, code, display).
CATEGORIES: dict[str, tuple[str, str, str]] = {
    ConditionCategory.PROBLEM_LIST: (CATEGORY, PROBLEM_LIST, "Problem List Item"),
    ConditionCategory.HEALTH_CONCERN: (US_CORE_CATEGORY, HEALTH_CONCERN, "Health Concern"),
}
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
CHRONIC = EXT + "condition-chronic"
# Sensitivity labels as HL7 v3 ActCode information sensitivity codes; either makes the record restricted.
LABELS: dict[str, tuple[str, str]] = {
    Sensitivity.PART2: ("ETH", "substance abuse information sensitivity"),
    Sensitivity.PSYCHOTHERAPY: ("PSY", "psychiatry disorder information sensitivity"),
}
FROM_LABEL = {code: stored for stored, (code, _) in LABELS.items()}
ONSETS = ("onsetAge", "onsetPeriod", "onsetRange", "onsetString")


def labelled(body: dict[str, Any], sensitivity: str) -> dict[str, Any]:
    """A rendered resource with its sensitivity label, if any, in meta.security (also for resources derived from
    a labelled record, such as a risk score that counted one)."""
    if sensitivity in LABELS:
        code, display = LABELS[Sensitivity(sensitivity)]
        body["meta"]["security"] = [
            coding(ACT_CODE, code, display),
            coding(CONFIDENTIALITY, "R", "restricted"),
        ]
    return body


HEALTH_CONCERN_REFUSAL = (
    "Health concerns change through the care plan; the API adds and updates problem-list items only."
)


def _category(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    for stored, (category_system, category_code, _) in CATEGORIES.items():
        if code == category_code and system in ("", category_system):
            return Q(category=stored)
    return Q(pk__in=[])


def _code(modifier: str, value: str, caller: Caller) -> Q:
    """ICD-10-CM codes (any case) and health-concern codes; without a system, either."""
    system, _, code = value.rpartition("|")
    if not code:
        return Q(pk__in=[])
    icd10 = Q(icd10_code=code.upper())
    concern = Q(category=ConditionCategory.HEALTH_CONCERN, concern_code=code)
    if system and system not in (ICD10_CM, CONCERN_CODE):
        return Q(pk__in=[])
    matched = icd10 if system == ICD10_CM else concern if system == CONCERN_CODE else icd10 | concern
    return ~matched if modifier == "not" else matched


@register
class ConditionMapper(Mapper):
    resource_type = "Condition"
    model = Condition
    interactions = READ_WRITE
    patient_field = "patient"
    sensitive = True
    description = (
        "Problem lists of the patients the caller may see, coded in ICD-10-CM (category problem-list-item), and "
        f"their health concerns (US Core category health-concern): needs a care plan addresses, coded in "
        f"ICD-10-CM only where a code fits and in {CONCERN_CODE} by the need found, code.text always. Part 2 "
        "and psychotherapy conditions carry meta.security (v3-ActCode ETH or PSY, with v3-Confidentiality R) "
        "and are served only to those privacy.policy allows. On update, leaving meta.security out keeps the "
        "label; send only v3-Confidentiality N to remove it. Create and update take problem-list items only: "
        "health concerns change through the care plan."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient who has the condition"),
        "subject": params.reference("patient_id", "Patient", "The patient who has the condition"),
        "code": SearchParam(
            "token",
            f"The ICD-10-CM code ({ICD10_CM}) or a health concern's code ({CONCERN_CODE})",
            _code,
            modifiers=frozenset({"not"}),
        ),
        "clinical-status": params.token(
            "clinical_status",
            f"The clinical status ({CLINICAL})",
            system=CLINICAL,
            codes={s: s for s in ClinicalStatus.values},
        ),
        "onset-date": params.date("onset_date", "When the condition began", is_date=True),
        "recorded-date": params.date("created_at", "When the condition was recorded"),
        "category": SearchParam(
            "token",
            f"{CATEGORY}|{PROBLEM_LIST} (the problem list) or {US_CORE_CATEGORY}|{HEALTH_CONCERN}",
            _category,
        ),
    }
    sorts = {
        "code": "icd10_code",
        "onset-date": "onset_date",
        "recorded-date": "created_at",
        "clinical-status": "clinical_status",
    }
    error_paths = {
        "icd10_code": "Condition.code",
        "display": "Condition.code",
        "clinical_status": "Condition.clinicalStatus",
        "sensitivity": "Condition.meta.security",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient")

    def to_fhir(self, row: Condition) -> dict[str, Any]:
        status = ClinicalStatus(row.clinical_status)
        category_system, category_code, category_display = CATEGORIES.get(
            row.category, CATEGORIES[ConditionCategory.PROBLEM_LIST]
        )
        codings = [coding(ICD10_CM, row.icd10_code, row.display)] if row.icd10_code else []
        if row.category == ConditionCategory.HEALTH_CONCERN and row.concern_code:
            codings.append(coding(CONCERN_CODE, row.concern_code))
        return compact(
            {
                "extension": [{"url": CHRONIC, "valueBoolean": row.chronic}],
                "clinicalStatus": concept(CLINICAL, status.value, status.label),
                "verificationStatus": concept(VERIFICATION, "confirmed", "Confirmed"),
                "category": [concept(category_system, category_code, category_display)],
                "code": compact({"coding": codings, "text": row.display}),
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "onsetDateTime": day(row.onset_date),
                "recordedDate": moment(row.created_at),
            }
        )

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    # --- writing ---------------------------------------------------------------------------------------------
    def _sensitivity(self, resource: dict[str, Any], current: Sensitivity) -> Sensitivity:
        labels = (resource.get("meta") or {}).get("security")
        if labels is None:
            return current
        found = {
            FROM_LABEL[c.get("code")]
            for c in labels
            if c.get("system") == ACT_CODE and c.get("code") in FROM_LABEL
        }
        if len(found) > 1:
            raise refused(
                "Condition.meta.security", "Condition.meta.security may carry one of ETH or PSY, not both."
            )
        return Sensitivity(found.pop()) if found else Sensitivity.NORMAL

    def _fields(self, resource: dict[str, Any]) -> dict[str, Any]:
        code = resource.get("code") or {}
        icd10 = next(
            (c for c in code.get("coding") or [] if c.get("system") == ICD10_CM and c.get("code")), None
        )
        if icd10 is None:
            raise refused("Condition.code", f"Condition.code needs a coding from ICD-10-CM ({ICD10_CM}).")
        status = ClinicalStatus.ACTIVE
        if resource.get("clinicalStatus") is not None:
            status = code_in(
                resource,
                "Condition.clinicalStatus",
                CLINICAL,
                dict(zip(ClinicalStatus.values, ClinicalStatus, strict=True)),
            )
        if resource.get("verificationStatus") is not None:
            code_in(resource, "Condition.verificationStatus", VERIFICATION, {"confirmed": "confirmed"})
        categories = resource.get("category")
        if any(
            c.get("code") == HEALTH_CONCERN for item in categories or [] for c in item.get("coding") or []
        ):
            raise refused("Condition.category", HEALTH_CONCERN_REFUSAL)
        if categories is not None and not any(
            c.get("system") == CATEGORY and c.get("code") == PROBLEM_LIST
            for item in categories
            for c in item.get("coding") or []
        ):
            raise refused(
                "Condition.category", f"Conditions here are problem-list items ({CATEGORY}|{PROBLEM_LIST})."
            )
        if any(key in resource for key in ONSETS):
            raise refused("Condition.onset[x]", "Give the onset as onsetDateTime.")
        chronic = next(
            (e.get("valueBoolean") for e in resource.get("extension") or [] if e.get("url") == CHRONIC), True
        )
        return {
            "icd10_code": icd10["code"],
            "display": code.get("text") or icd10.get("display") or "",
            "chronic": bool(chronic),
            "onset_date": parse_day(resource.get("onsetDateTime"), "Condition.onsetDateTime"),
            "clinical_status": status,
        }

    def create(self, caller: Caller, resource: dict[str, Any]) -> Condition:
        fields = self._fields(resource)
        status = fields.pop("clinical_status")
        sensitivity = self._sensitivity(resource, Sensitivity.NORMAL)
        patient = visible_patient(caller, resource.get("subject"), "Condition.subject")
        on_emergency = bool(policy.emergency_patient_ids(caller.user, [patient.pk]))
        if sensitivity not in policy.allowed_sensitivities(caller.user, patient, on_emergency=on_emergency):
            raise refused(
                "Condition.meta.security", "You may not record conditions with that sensitivity label."
            )
        condition = do_add_condition(caller.user, patient, sensitivity=sensitivity, **fields)
        if status != condition.clinical_status:
            # The problem list adds conditions as active; any other status is a change made at once.
            condition = do_update_condition(
                caller.user,
                condition,
                icd10_code=condition.icd10_code,
                display=condition.display,
                chronic=condition.chronic,
                onset_date=condition.onset_date,
                clinical_status=status,
                sensitivity=sensitivity,
            )
        return condition

    def update(self, caller: Caller, row: Condition, resource: dict[str, Any]) -> Condition:
        if row.category == ConditionCategory.HEALTH_CONCERN:
            raise refused("Condition.category", HEALTH_CONCERN_REFUSAL)
        fields = self._fields(resource)
        if reference_id(resource.get("subject"), "Patient", "Condition.subject") != row.patient_id:
            raise refused("Condition.subject", "A condition cannot move to another patient.")
        sensitivity = self._sensitivity(resource, Sensitivity(row.sensitivity))
        return do_update_condition(caller.user, row, sensitivity=sensitivity, **fields)
