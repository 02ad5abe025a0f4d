"""RelatedPerson: a patient's caregiver or emergency contact (patients.PatientContact)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.patients.actions import do_add_contact, do_update_contact
from careconductor.patients.choices import ContactRelationship
from careconductor.patients.models import PatientContact

from .. import params
from ..auth import Caller
from ..registry import READ_WRITE, Mapper, SearchParam, register
from .common import EXT, coding, compact, ref, reference_id, refused, visible_patient

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
CAREGIVER = EXT + "caregiver"
# Our relationships as v3 RoleCode (code, display); "other" has no RoleCode and is v2-0131 O.
ROLES: dict[str, tuple[str, str]] = {
    ContactRelationship.SPOUSE: ("SPS", "spouse"),
    ContactRelationship.CHILD: ("CHILD", "child"),
    ContactRelationship.PARENT: ("PRN", "parent"),
    ContactRelationship.SIBLING: ("SIB", "sibling"),
    ContactRelationship.FRIEND: ("FRND", "unrelated friend"),
    ContactRelationship.NEIGHBOUR: ("NBOR", "neighbor"),
    ContactRelationship.GUARDIAN: ("GUARD", "guardian"),
}
FROM_ROLE = {code: stored for stored, (code, _) in ROLES.items()}
OTHER = "O"
EMERGENCY = "C"


def _relationship(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    if system in ("", ROLE_CODE) and code in FROM_ROLE:
        return Q(relationship=FROM_ROLE[code])
    if system in ("", CONTACT_ROLE) and code == EMERGENCY:
        return Q(is_emergency_contact=True)
    if system in ("", CONTACT_ROLE) and code == OTHER:
        return Q(relationship=ContactRelationship.OTHER)
    return Q(pk__in=[])


@register
class RelatedPersonMapper(Mapper):
    resource_type = "RelatedPerson"
    model = PatientContact
    interactions = READ_WRITE
    patient_field = "patient"
    description = (
        "Caregivers and emergency contacts of the patients the caller may see. relationship carries the "
        "kinship (v3 RoleCode, or v2-0131 O for other) and, for emergency contacts, v2-0131 C; the caregiver "
        f"flag is the extension {CAREGIVER}."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient this person is related to"),
        "relationship": SearchParam(
            "token",
            f"Kinship ({ROLE_CODE}: {', '.join(sorted(FROM_ROLE))}), {CONTACT_ROLE}|C for emergency "
            f"contacts or {CONTACT_ROLE}|O for other",
            _relationship,
        ),
        "name": params.string(["name"], "The person's name, starts with"),
    }
    sorts = {"name": "name", "relationship": "relationship", "patient": "patient_id"}
    error_paths = {"name": "RelatedPerson.name", "relationship": "RelatedPerson.relationship"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient")

    def to_fhir(self, row: PatientContact) -> dict[str, Any]:
        label = row.get_relationship_display()
        if row.relationship in ROLES:
            code, display = ROLES[ContactRelationship(row.relationship)]
            kinship = {"coding": [coding(ROLE_CODE, code, display)], "text": label}
        else:
            kinship = {"coding": [coding(CONTACT_ROLE, OTHER, "Other")], "text": label}
        relationship = [kinship]
        if row.is_emergency_contact:
            relationship.append(
                {
                    "coding": [coding(CONTACT_ROLE, EMERGENCY, "Emergency Contact")],
                    "text": "Emergency contact",
                }
            )
        return compact(
            {
                "extension": [{"url": CAREGIVER, "valueBoolean": row.is_caregiver}],
                "active": True,
                "patient": ref("Patient", row.patient_id, row.patient.full_name),
                "relationship": relationship,
                "name": [{"text": row.name}],
                "telecom": [{"system": "phone", "value": row.phone}] if row.phone else [],
            }
        )

    # --- writing ---------------------------------------------------------------------------------------------
    def _fields(self, resource: dict[str, Any]) -> dict[str, object]:
        names = resource.get("name") or []
        first = names[0] if names else {}
        name = first.get("text") or " ".join([*(first.get("given") or []), first.get("family", "")]).strip()
        if not name:
            raise refused(
                "RelatedPerson.name",
                "RelatedPerson.name needs the person's name (text, or given and family).",
            )
        kinship: str | None = None
        emergency = False
        for concept in resource.get("relationship") or []:
            for c in concept.get("coding") or []:
                system, code = c.get("system"), c.get("code")
                if system == ROLE_CODE and code in FROM_ROLE:
                    kinship = kinship or FROM_ROLE[code]
                elif system == CONTACT_ROLE and code == EMERGENCY:
                    emergency = True
                elif system == CONTACT_ROLE and code == OTHER:
                    kinship = kinship or ContactRelationship.OTHER
        if kinship is None:
            raise refused(
                "RelatedPerson.relationship",
                f"RelatedPerson.relationship needs a coding from {ROLE_CODE} (one of "
                f"{', '.join(sorted(FROM_ROLE))}) or {CONTACT_ROLE} O for other.",
            )
        telecom = resource.get("telecom") or []
        phone = next((t.get("value", "") for t in telecom if t.get("system") == "phone"), "")
        caregiver = next(
            (e.get("valueBoolean") for e in resource.get("extension") or [] if e.get("url") == CAREGIVER),
            False,
        )
        return {
            "name": name[:200],
            "relationship": kinship,
            "phone": phone[:40],
            "is_caregiver": bool(caregiver),
            "is_emergency_contact": emergency,
        }

    def create(self, caller: Caller, resource: dict[str, Any]) -> PatientContact:
        fields = self._fields(resource)
        patient = visible_patient(caller, resource.get("patient"), "RelatedPerson.patient")
        return do_add_contact(caller.user, patient, **fields)

    def update(self, caller: Caller, row: PatientContact, resource: dict[str, Any]) -> PatientContact:
        fields = self._fields(resource)
        if reference_id(resource.get("patient"), "Patient", "RelatedPerson.patient") != row.patient_id:
            raise refused("RelatedPerson.patient", "A related person cannot move to another patient.")
        return do_update_contact(caller.user, row, **fields)
