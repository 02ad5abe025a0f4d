"""AuditEvent: the product's audit trail (privacy.AuditEvent, hash-chained), read-only, shaped after the IHE Basic
Audit Log Patterns (BALP): a RESTful-style `type` rest with the interaction as `subtype` for what was done to data
(create, read, update, delete), DICOM's Export for exports and printouts, User Authentication with Login/Logout
for log-ins, Security Alert for a refused request; the user as the requesting agent with their purpose of use
(TREAT, ETREAT under break-the-glass, HOPERAT for operations); CareConductor as the observer; the patient as the
entity of role 1 and the object acted on as a domain resource.

Who reads it is privacy.policy's (audit_rows): the privacy officer every event of their organisation, a patient's
own log-in the events about their own record, shown minimum necessary (patient_view: the staff who acted by the
name the screens use, what was done when and why, no log-in name, network address or object). Reading the trail
is itself audited (a read of an event about a patient is a read recorded on that patient's record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Q, QuerySet, Value

from careconductor.accounts.choices import Role
from careconductor.core.ids import whole_number
from careconductor.privacy import policy
from careconductor.privacy.choices import AuditAction, AuditOutcome
from careconductor.privacy.models import AuditEvent

from .. import params
from ..auth import Caller
from ..registry import READ, SEARCH, Mapper, SearchParam, instant, mapper_for, register
from .common import coding, compact, ref

EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
INTERACTION = "http://hl7.org/fhir/restful-interaction"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
OBJECT_ROLE = "http://terminology.hl7.org/CodeSystem/object-role"
SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/extra-security-role-type"
NETWORK_IP = "2"  # AuditEvent.agent.network.type: IP address
# What is not a FHIR type served here (a Case, a Worklist) is named by its kind in this system.
OBJECT_SYSTEM = "urn:careconductor:audit:object:"
OBSERVER = "CareConductor"

REST = coding(EVENT_TYPE, "rest", "Restful Operation")
EXPORT = coding(DCM, "110106", "Export")
AUTHENTICATION = coding(DCM, "110114", "User Authentication")
LOGIN = coding(DCM, "110122", "Login")
LOGOUT = coding(DCM, "110123", "Logout")
SECURITY_ALERT = coding(DCM, "110113", "Security Alert")

# Each action of the trail: (type, subtype or None, FHIR action C R U D E).
SHAPES: dict[str, tuple[dict[str, str], dict[str, str] | None, str]] = {
    AuditAction.CREATE: (REST, coding(INTERACTION, "create", "create"), "C"),
    AuditAction.READ: (REST, coding(INTERACTION, "read", "read"), "R"),
    AuditAction.UPDATE: (REST, coding(INTERACTION, "update", "update"), "U"),
    AuditAction.DELETE: (REST, coding(INTERACTION, "delete", "delete"), "D"),
    AuditAction.EXPORT: (EXPORT, None, "R"),
    AuditAction.PRINT: (EXPORT, None, "R"),
    AuditAction.LOGIN: (AUTHENTICATION, LOGIN, "E"),
    AuditAction.LOGOUT: (AUTHENTICATION, LOGOUT, "E"),
    AuditAction.LOGIN_FAILED: (AUTHENTICATION, LOGIN, "E"),
    AuditAction.LOCKED_OUT: (AUTHENTICATION, LOGIN, "E"),
    AuditAction.REFUSED: (SECURITY_ALERT, None, "E"),
}
# The trail's purposes of use as HL7 v3 PurposeOfUse (ActReason) codes.
PURPOSES = {"TREAT": "TREAT", "ETREAT": "ETREAT", "OPERATIONS": "HOPERAT"}
PURPOSE_WORDS = {"TREAT": "treatment", "ETREAT": "emergency treatment", "HOPERAT": "healthcare operations"}
ACTION_CODES = {code: [a for a, shape in SHAPES.items() if shape[2] == code] for code in "CRUDE"}


def _by_agent(modifier: str, value: str, caller: Caller) -> Q:
    """Practitioner/N: what that member of staff did; Patient/N: what patient N did on their own log-in."""
    parts = value.rstrip("/").split("/")
    number = whole_number(parts[-1])
    kind = parts[-2] if len(parts) >= 2 else modifier
    if (modifier and kind != modifier) or number is None:
        return Q(pk__in=[])
    if kind in ("", "Practitioner"):
        return Q(user_id=number) & ~Q(role=Role.PATIENT)
    if kind == "Patient":
        return Q(patient_id=number, user_id=F("patient__portal_user_id"))
    return Q(pk__in=[])


@register
class AuditEventMapper(Mapper):
    resource_type = "AuditEvent"
    model = AuditEvent
    interactions = frozenset({READ, SEARCH})
    patient_field = "patient"
    in_record = False
    description = (
        "The audit trail, shaped after IHE BALP: for the privacy officer every event of their organisation, for a "
        "patient's own log-in the events about their own record (who did what, when and why; minimum necessary). "
        "Nobody else reads any. type/subtype: rest + create/read/update/delete, DICOM Export (exports and "
        "printouts), User Authentication + Login/Logout, Security Alert (refused); outcome 0, 4 or 8; "
        "agent.purposeOfUse TREAT, ETREAT (break-the-glass) or HOPERAT. Reading the trail is itself audited."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient whose record the event is about"),
        "date": params.date("recorded_at", "When the event was recorded"),
        "action": params.token(
            "action",
            "C, R, U, D or E (http://hl7.org/fhir/audit-event-action)",
            system="http://hl7.org/fhir/audit-event-action",
            codes=ACTION_CODES,
        ),
        "outcome": params.token(
            "outcome", "0 success, 4 refused or failed, 8 serious failure", codes={o: o for o in AuditOutcome}
        ),
        "agent": SearchParam(
            "reference",
            "Who did it: Practitioner/N (a member of staff) or Patient/N (the patient on their own log-in)",
            _by_agent,
            target="Practitioner",
            modifiers=frozenset({"Practitioner", "Patient"}),
        ),
    }
    sorts = {"date": "recorded_at"}

    def visible(self, caller: Caller) -> QuerySet[Any]:
        rows = policy.audit_rows(caller.user).annotate(
            updated_at=F("recorded_at"), for_patient=Value(policy.patient_view(caller.user))
        )
        return self.with_related(rows)

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("user", "patient")

    def version_id(self, row: AuditEvent) -> str:
        return "1"  # append-only: an event never changes

    def last_updated(self, row: AuditEvent) -> dt.datetime:
        return row.recorded_at

    def to_fhir(self, row: AuditEvent) -> dict[str, Any]:
        minimal = bool(getattr(row, "for_patient", True))  # a row not read through visible shows the least
        kind, subtype, action = SHAPES.get(row.action, (SECURITY_ALERT, None, "E"))
        purpose = PURPOSES.get(row.purpose)
        reason = (
            [{"coding": [coding(ACT_REASON, purpose)], "text": PURPOSE_WORDS[purpose]}] if purpose else []
        )
        entities = []
        if row.patient_id is not None:
            entities.append(
                {
                    "what": ref("Patient", row.patient_id),
                    "type": coding(ENTITY_TYPE, "1", "Person"),
                    "role": coding(OBJECT_ROLE, "1", "Patient"),
                }
            )
        if not minimal and row.object_type and not (row.object_type == "Patient" and row.patient_id):
            entities.append(self._object(row))
        return compact(
            {
                "type": kind,
                "subtype": [subtype] if subtype else [],
                "action": action,
                "recorded": instant(row.recorded_at),
                "outcome": row.outcome,
                "outcomeDesc": "" if minimal or row.outcome == AuditOutcome.SUCCESS else row.detail,
                "purposeOfEvent": reason,
                "agent": [self._agent(row, reason, minimal)],
                "source": {
                    "site": OBSERVER,
                    "observer": {"display": OBSERVER},
                    "type": [coding(SOURCE_TYPE, "4", "Application Server")],
                },
                "entity": entities,
            }
        )

    def _agent(self, row: AuditEvent, reason: list[dict[str, Any]], minimal: bool) -> dict[str, Any]:
        user = row.user
        if user is None:  # a failed log-in under a name that is no one's
            who = {"display": "unknown user" if minimal else (row.username or "unknown user")}
        elif user.role != Role.PATIENT:
            who = ref("Practitioner", user.pk, user.display_name())
        elif row.patient is not None and row.patient.portal_user_id == user.pk:
            who = ref("Patient", row.patient_id)
        else:  # a proxy: no record of theirs on this server
            who = {"type": "RelatedPerson", "display": user.display_name()}
        network = {"address": row.client_address, "type": NETWORK_IP} if row.client_address else {}
        return compact(
            {
                "type": {"coding": [coding(AGENT_TYPE, "humanuser", "human user")]},
                "role": [] if minimal or not row.role else [{"text": row.role_words}],
                "who": who,
                "altId": "" if minimal else row.username,
                "requestor": True,
                "network": {} if minimal else network,
                "purposeOfUse": reason,
            }
        )

    def _object(self, row: AuditEvent) -> dict[str, Any]:
        served = mapper_for(row.object_type) is not None and row.object_id
        what = (
            {"reference": f"{row.object_type}/{row.object_id}"}
            if served
            else compact(
                {
                    "identifier": compact(
                        {"system": OBJECT_SYSTEM + row.object_type, "value": row.object_id or None}
                    ),
                    "display": f"{row.object_type} {row.object_id}".strip(),
                }
            )
        )
        return compact(
            {
                "what": what,
                "type": coding(ENTITY_TYPE, "2", "System Object"),
                "role": coding(OBJECT_ROLE, "4", "Domain Resource"),
                "description": row.detail if row.outcome == AuditOutcome.SUCCESS else "",
            }
        )
