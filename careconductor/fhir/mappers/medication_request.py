"""MedicationRequest: a medicine on a discharge list (medications.DischargeMedication), as the hospital sent it
(typed on the reconciliation screen, posted here, or sent on the ADT feed): read, searched and created.

Every one is an order (intent `order`) of the discharge list (category `discharge`); one the list says to stop
is a do-not-perform order (doNotPerform true, no dose). Kept as sent: the reconciliation's decision on the
medicine is the List's (reconciliation_list.py), not a change to this. Only discharge-list orders are taken
(create): through medications.actions.do_record_discharge_medication, which joins the reconciliation of the
stay when there is one."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.accounts.models import ApiToken
from careconductor.medications.actions import do_record_discharge_medication
from careconductor.medications.choices import OrderSource
from careconductor.medications.models import DischargeMedication
from careconductor.privacy import audit

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, Mapper, SearchParam, mapper_for, register
from .common import EXT, compact, concept, moment, ref, reference_id, refused, visible_patient
from .medication_statement import RXNORM, medication_name

CATEGORY = "http://terminology.hl7.org/CodeSystem/medicationrequest-category"
DISCHARGE, ORDER, ACTIVE = "discharge", "order", "active"
ORDER_SOURCE_EXT = EXT + "order-source"
ORDER_SOURCE = "https://careconductor.org/fhir/CodeSystem/order-source"
ONLY_DISCHARGE = (
    "Only discharge-list orders are taken here: intent order with category discharge "
    f"({CATEGORY}). Other prescriptions are not kept."
)


def _every(allowed: str, system: str = "") -> SearchParam:
    """A token every row here has (intent order, category discharge, status active)."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        given_system, bar, code = value.rpartition("|") if "|" in value else ("", "", value)
        matches = code == allowed and (not bar or not given_system or given_system == system)
        # Not Q(): an empty Q vanishes when ORed with another.
        found = Q(pk__isnull=False) if matches else Q(pk__in=[])
        return ~found if modifier == "not" else found

    where = f" ({system})" if system else ""
    return SearchParam(
        "token", f"{allowed}{where}: every discharge-list order here", build, modifiers=frozenset({"not"})
    )


@register
class MedicationRequestMapper(Mapper):
    resource_type = "MedicationRequest"
    model = DischargeMedication
    interactions = READ_ONLY | {CREATE}
    patient_field = "patient"
    description = (
        "The discharge lists of the patients the caller may see, a medicine each: intent order, category "
        f"discharge ({CATEGORY}), status active; doNotPerform true when the list says to stop the medicine. "
        f"medicationCodeableConcept: text the name, with an RxNorm coding ({RXNORM}) when one was given; "
        "dosageInstruction[0].text the dose and patientInstruction the instructions; encounter the stay it "
        "ends; authoredOn when it was recorded here; the extension "
        f"{ORDER_SOURCE_EXT} says how it came (typed, fhir, hl7). create takes discharge-list orders only and "
        "adds the medicine to the stay's reconciliation (see docs/fhir.md)."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient discharged"),
        "subject": params.reference("patient_id", "Patient", "The patient discharged"),
        "encounter": params.reference("encounter_id", "Encounter", "The stay whose discharge list it is on"),
        "intent": _every(ORDER, "http://hl7.org/fhir/CodeSystem/medicationrequest-intent"),
        "category": _every(DISCHARGE, CATEGORY),
        "status": _every(ACTIVE, "http://hl7.org/fhir/CodeSystem/medicationrequest-status"),
        "authoredon": params.date("recorded_at", "When it was recorded here"),
    }
    sorts = {"authoredon": "recorded_at", "patient": "patient_id"}
    error_paths = {
        "name": "MedicationRequest.medicationCodeableConcept",
        "dose": "MedicationRequest.dosageInstruction.text",
        "rxnorm": "MedicationRequest.medicationCodeableConcept.coding",
        "encounter": "MedicationRequest.encounter",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient")

    def to_fhir(self, row: DischargeMedication) -> dict[str, Any]:
        medicine: dict[str, Any] = {"text": row.name}
        if row.rxnorm:
            medicine = concept(RXNORM, row.rxnorm, row.name, text=row.name)
        source = OrderSource(row.source)
        dosage = compact({"text": row.dose, "patientInstruction": row.instructions})
        return compact(
            {
                "extension": [
                    {
                        "url": ORDER_SOURCE_EXT,
                        "valueCoding": {
                            "system": ORDER_SOURCE,
                            "code": source.value,
                            "display": source.label,
                        },
                    }
                ],
                "status": ACTIVE,
                "intent": ORDER,
                "category": [concept(CATEGORY, DISCHARGE, "Discharge")],
                "doNotPerform": True if row.says_stop else None,
                "medicationCodeableConcept": medicine,
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "encounter": ref("Encounter", row.encounter_id) if row.encounter_id else None,
                "authoredOn": moment(row.recorded_at),
                "dosageInstruction": [dosage] if dosage else [],
            }
        )

    # --- writing ---------------------------------------------------------------------------------------------
    def create(self, caller: Caller, resource: dict[str, Any]) -> DischargeMedication:
        if resource.get("intent") != ORDER:
            raise refused("MedicationRequest.intent", ONLY_DISCHARGE)
        categories = {
            (c.get("system"), c.get("code"))
            for item in resource.get("category") or []
            for c in item.get("coding") or []
        }
        if (CATEGORY, DISCHARGE) not in categories:
            raise refused("MedicationRequest.category", ONLY_DISCHARGE)
        if resource.get("status") != ACTIVE:
            raise refused("MedicationRequest.status", "A discharge-list order is taken with status active.")
        patient = visible_patient(caller, resource.get("subject"), "MedicationRequest.subject")
        if "medicationReference" in resource:
            raise refused(
                "MedicationRequest.medicationReference",
                "Name the medicine in medicationCodeableConcept (text, and an RxNorm coding when you have one).",
            )
        medicine = resource.get("medicationCodeableConcept") or {}
        codes = [c.get("code", "") for c in medicine.get("coding") or [] if c.get("system") == RXNORM]
        dosages = resource.get("dosageInstruction") or [{}]
        if len(dosages) > 1:
            raise refused(
                "MedicationRequest.dosageInstruction", "Give one dosageInstruction: its text is the dose."
            )
        return do_record_discharge_medication(
            caller.user,
            patient,
            name=medication_name(medicine),
            dose=str(dosages[0].get("text") or ""),
            instructions=str(dosages[0].get("patientInstruction") or ""),
            rxnorm=str(codes[0]) if codes else "",
            says_stop=bool(resource.get("doNotPerform")),
            encounter=_stay(caller, resource.get("encounter"), patient.pk),
            source=OrderSource.FHIR,
            reference=_client(caller),
        )


def _stay(caller: Caller, value: Any, patient_id: int) -> Any:
    """The Encounter the order names, if the caller may see it (through the Encounter mapper's own access rule)
    and it is the patient's; a 422 naming the element otherwise (an unseen one is not told apart from none)."""
    path = "MedicationRequest.encounter"
    key = reference_id(value, "Encounter", path, required=False)
    if key is None:
        return None
    encounters = mapper_for("Encounter")
    assert encounters is not None
    found = encounters.visible(caller).filter(pk=key).first()
    if found is None or found.patient_id != patient_id:
        raise refused(path, f"{path} must be a stay of the same patient (Encounter/N) that you may see.")
    return found


def _client(caller: Caller) -> str:
    """Who sent it, kept as the order's reference: the API token's name (and prefix) the request is made with."""
    credential = audit._context.get().credential  # set by auth.use_token for the request
    prefix = credential.removeprefix("token ")
    token = ApiToken.objects.filter(user=caller.user, prefix=prefix).only("name", "prefix").first()
    if prefix and token is not None:
        return f"FHIR API: {token.name or 'token'} ({token.prefix}) of {caller.user.username}"
    return f"FHIR API: {caller.user.username}"
