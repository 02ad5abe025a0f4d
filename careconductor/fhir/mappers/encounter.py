"""Encounter: a hospital stay, emergency visit, appointment or call (patients.Encounter)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.patients.actions import do_add_encounter, do_update_encounter
from careconductor.patients.choices import AdmissionType, DischargeDisposition, EncounterClass
from careconductor.patients.models import Encounter
from careconductor.transitions.work import Stay, start_work

from .. import params
from ..auth import Caller
from ..registry import READ_WRITE, Mapper, SearchParam, register
from .common import (
    coding,
    compact,
    concept,
    parse_moment,
    period,
    ref,
    reference_id,
    refused,
    visible_patient,
)

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PRIORITY = "http://terminology.hl7.org/CodeSystem/v3-ActPriority"
ADMIT_SOURCE = "http://terminology.hl7.org/CodeSystem/admit-source"
DISCHARGE = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
# Ours, exact: the standard discharge codes fold "home with home health" into "home".
OUR_DISCHARGE = "urn:careconductor:discharge-disposition"
IN_PROGRESS, FINISHED = "in-progress", "finished"

PRIORITIES: dict[str, tuple[str, str]] = {
    AdmissionType.EMERGENCY: ("EM", "emergency"),
    AdmissionType.URGENT: ("UR", "urgent"),
    AdmissionType.ELECTIVE: ("EL", "elective"),
}
FROM_PRIORITY = {code: stored for stored, (code, _) in PRIORITIES.items()}
DISPOSITIONS: dict[str, tuple[str, str]] = {
    DischargeDisposition.HOME: ("home", "Home"),
    DischargeDisposition.HOME_HEALTH: ("home", "Home"),
    DischargeDisposition.SNF: ("snf", "Skilled nursing facility"),
    DischargeDisposition.REHAB: ("rehab", "Rehabilitation"),
    DischargeDisposition.HOSPICE: ("hosp", "Hospice"),
    DischargeDisposition.AMA: ("aadvice", "Left against advice"),
    DischargeDisposition.EXPIRED: ("exp", "Expired"),
    DischargeDisposition.OTHER_FACILITY: ("other-hcf", "Other healthcare facility"),
}
FROM_DISCHARGE = {
    "home": DischargeDisposition.HOME,
    "snf": DischargeDisposition.SNF,
    "rehab": DischargeDisposition.REHAB,
    "hosp": DischargeDisposition.HOSPICE,
    "aadvice": DischargeDisposition.AMA,
    "exp": DischargeDisposition.EXPIRED,
    "other-hcf": DischargeDisposition.OTHER_FACILITY,
}


def _status(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    if system not in ("", "http://hl7.org/fhir/encounter-status"):
        return Q(pk__in=[])
    match code:
        case "in-progress":
            return Q(end__isnull=True)
        case "finished":
            return Q(end__isnull=False)
    return Q(pk__in=[])


def _codes(node: Any) -> list[tuple[str, str]]:
    codings = (node.get("coding") or []) if isinstance(node, dict) else []
    return [(c.get("system", ""), c.get("code", "")) for c in codings]


@register
class EncounterMapper(Mapper):
    resource_type = "Encounter"
    model = Encounter
    interactions = READ_WRITE
    patient_field = "patient"
    description = (
        "Encounters of the patients the caller may see: in-progress until period.end is known, then "
        f"finished. class is coded in {ACT_CODE} ({', '.join(EncounterClass.values)}); the admission type is "
        f"priority ({PRIORITY} EM, UR, EL) and the discharge disposition is coded in {DISCHARGE} and, "
        f"exactly, in {OUR_DISCHARGE}. Encounters created here are marked as coming from FHIR."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient seen"),
        "subject": params.reference("patient_id", "Patient", "The patient seen"),
        "class": params.token(
            "encounter_class",
            f"The class ({ACT_CODE})",
            system=ACT_CODE,
            codes={c: c for c in EncounterClass.values},
        ),
        "date": params.date("start", "When the encounter started"),
        "status": SearchParam("token", "in-progress (no end yet) or finished", _status),
    }
    sorts = {"date": "start", "class": "encounter_class", "patient": "patient_id"}
    error_paths = {
        "start": "Encounter.period.start",
        "end": "Encounter.period.end",
        "encounter_class": "Encounter.class",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient")

    def to_fhir(self, row: Encounter) -> dict[str, Any]:
        kind = EncounterClass(row.encounter_class)
        hospitalization: dict[str, Any] = {}
        priority = None
        if row.admission_type in PRIORITIES:
            code, display = PRIORITIES[AdmissionType(row.admission_type)]
            priority = concept(PRIORITY, code, display, text=AdmissionType(row.admission_type).label)
            if row.admission_type == AdmissionType.EMERGENCY:
                hospitalization["admitSource"] = concept(
                    ADMIT_SOURCE, "emd", "From accident/emergency department"
                )
        if row.discharge_disposition in DISPOSITIONS:
            disposition = DischargeDisposition(row.discharge_disposition)
            code, display = DISPOSITIONS[disposition]
            hospitalization["dischargeDisposition"] = {
                "coding": [
                    coding(DISCHARGE, code, display),
                    coding(OUR_DISCHARGE, disposition.value, disposition.label),
                ],
                "text": disposition.label,
            }
        return compact(
            {
                "status": FINISHED if row.end else IN_PROGRESS,
                "class": coding(ACT_CODE, kind.value, kind.label),
                "priority": priority,
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "period": period(row.start, row.end),
                "reasonCode": [{"text": row.reason}] if row.reason else [],
                "hospitalization": hospitalization,
                "location": [{"location": {"display": row.facility}}] if row.facility else [],
                "serviceProvider": {"display": row.facility} if row.facility else None,
            }
        )

    # --- writing ---------------------------------------------------------------------------------------------
    def _admission(self, resource: dict[str, Any]) -> str:
        priority = resource.get("priority")
        if priority is not None:
            for system, code in _codes(priority):
                if system == PRIORITY and code in FROM_PRIORITY:
                    return FROM_PRIORITY[code]
            raise refused(
                "Encounter.priority",
                f"Encounter.priority needs a coding from {PRIORITY}, one of: {', '.join(FROM_PRIORITY)}.",
            )
        source = (resource.get("hospitalization") or {}).get("admitSource")
        if (ADMIT_SOURCE, "emd") in _codes(source):
            return AdmissionType.EMERGENCY
        return ""

    def _discharge(self, resource: dict[str, Any]) -> str:
        node = (resource.get("hospitalization") or {}).get("dischargeDisposition")
        if node is None:
            return ""
        codes = _codes(node)
        for system, code in codes:
            if system == OUR_DISCHARGE and code in DischargeDisposition.values:
                return code
        for system, code in codes:
            if system == DISCHARGE and code in FROM_DISCHARGE:
                return FROM_DISCHARGE[code]
        raise refused(
            "Encounter.hospitalization.dischargeDisposition",
            f"Encounter.hospitalization.dischargeDisposition needs a coding from {DISCHARGE}, one of: "
            f"{', '.join(FROM_DISCHARGE)}.",
        )

    def _fields(self, resource: dict[str, Any]) -> dict[str, object]:
        kind = resource.get("class") or {}
        if kind.get("system") != ACT_CODE or kind.get("code") not in EncounterClass.values:
            raise refused(
                "Encounter.class",
                f"Encounter.class must be coded in {ACT_CODE}, one of: {', '.join(EncounterClass.values)}.",
            )
        span = resource.get("period") or {}
        start = parse_moment(span.get("start"), "Encounter.period.start")
        end = parse_moment(span.get("end"), "Encounter.period.end")
        if start is None:
            raise refused("Encounter.period.start", "Encounter.period.start is required: when it began.")
        status = resource.get("status")
        if status not in (IN_PROGRESS, FINISHED):
            raise refused("Encounter.status", "Encounter.status must be in-progress or finished.")
        if status == FINISHED and end is None:
            raise refused("Encounter.period.end", "A finished encounter needs period.end.")
        if status == IN_PROGRESS and end is not None:
            raise refused("Encounter.status", "An encounter with period.end is finished, not in-progress.")
        locations = resource.get("location") or []
        facility = (locations[0].get("location") or {}).get("display", "") if locations else ""
        facility = facility or (resource.get("serviceProvider") or {}).get("display", "")
        reasons = resource.get("reasonCode") or []
        reason = ""
        if reasons:
            reason = reasons[0].get("text") or next(
                (c.get("display", "") for c in reasons[0].get("coding") or [] if c.get("display")), ""
            )
        return {
            "encounter_class": kind["code"],
            "start": start,
            "end": end,
            "admission_type": self._admission(resource),
            "discharge_disposition": self._discharge(resource),
            "facility": facility[:200],
            "reason": reason[:200],
        }

    def create(self, caller: Caller, resource: dict[str, Any]) -> Encounter:
        fields = self._fields(resource)
        patient = visible_patient(caller, resource.get("subject"), "Encounter.subject")
        encounter = do_add_encounter(caller.user, patient, source="fhir", **fields)
        start_work(caller.user, encounter, None)  # an admission or discharge starts work as an ADT one does
        return encounter

    def update(self, caller: Caller, row: Encounter, resource: dict[str, Any]) -> Encounter:
        fields = self._fields(resource)
        if reference_id(resource.get("subject"), "Patient", "Encounter.subject") != row.patient_id:
            raise refused("Encounter.subject", "An encounter cannot move to another patient.")
        before = Stay.of(row)
        encounter = do_update_encounter(caller.user, row, **fields)
        start_work(caller.user, encounter, before)
        return encounter
