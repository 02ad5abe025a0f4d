"""Appointment: a patient's appointment with someone on the care team, a referral's service or an outside
provider (appointments.Appointment). Read and searched by patient, date and status; created through
appointments.actions.do_book_appointment (booked, with a Practitioner of the caller's organisation or an outside
provider named in a participant's display)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.appointments.actions import do_book_appointment
from careconductor.appointments.choices import AppointmentStatus, Mode, PatientAnswer
from careconductor.appointments.models import Appointment

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, Mapper, register
from .common import EXT, compact, moment, parse_moment, ref, reference_id, refused, visible_patient

STATUS = "http://hl7.org/fhir/appointmentstatus"
MODE = EXT + "appointment-mode"  # in-person, phone, video (R4 has no element for it)
INTERPRETER = EXT + "appointment-interpreter"  # needed, with the language and whether it is booked
TRANSPORT = EXT + "appointment-transport"  # needed, and the ride's ServiceRequest once booked
# The patient's answer as the patient participant's status.
ANSWER_STATUS = {PatientAnswer.CONFIRMED: "accepted", PatientAnswer.CHANGE: "tentative"}


@register
class AppointmentMapper(Mapper):
    resource_type = "Appointment"
    model = Appointment
    interactions = READ_ONLY | {CREATE}
    patient_field = "patient"
    description = (
        "Appointments of the patients the caller may see: booked, fulfilled (attended), noshow or cancelled. "
        "The patient participant's status is their answer (accepted: confirmed; tentative: asked to change; "
        f"needs-action: no answer yet). How it is held ({MODE}), the interpreter ({INTERPRETER}) and the ride "
        f"({TRANSPORT}) are extensions. basedOn names the referral (ServiceRequest) whose service it is with."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient the appointment is for"),
        "actor": params.reference("staff_id", "Practitioner", "The member of staff the appointment is with"),
        "practitioner": params.reference(
            "staff_id", "Practitioner", "The member of staff the appointment is with"
        ),
        "date": params.date("starts_at", "When the appointment starts"),
        "status": params.token(
            "status",
            f"booked, fulfilled, noshow or cancelled ({STATUS})",
            system=STATUS,
            codes={c: c for c in AppointmentStatus.values},
        ),
    }
    sorts = {"date": "starts_at", "status": "status", "patient": "patient_id"}
    error_paths = {
        "starts_at": "Appointment.start",
        "ends_at": "Appointment.end",
        "purpose": "Appointment.description",
        "staff": "Appointment.participant",
        "provider_name": "Appointment.participant",
        "location": "Appointment.participant",
        "mode": "Appointment.extension",
        "with_kind": "Appointment.participant",
        "referral": "Appointment.basedOn",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "staff", "referral__service__provider")

    def to_fhir(self, row: Appointment) -> dict[str, Any]:
        participants: list[dict[str, Any]] = [
            {
                "actor": ref("Patient", row.patient_id, row.patient.full_name),
                "required": "required",
                "status": ANSWER_STATUS.get(PatientAnswer(row.patient_answer), "needs-action"),
            }
        ]
        if row.staff_id is not None and row.staff is not None:
            participants.append(
                {"actor": ref("Practitioner", row.staff_id, row.staff.display_name()), "status": "accepted"}
            )
        elif row.with_whom:
            participants.append({"actor": {"display": row.with_whom}, "status": "accepted"})
        if row.location:
            participants.append({"actor": {"display": row.location}, "status": "accepted"})
        interpreter: list[dict[str, Any]] = [{"url": "needed", "valueBoolean": row.interpreter_needed}]
        if row.interpreter_needed:
            interpreter += [
                {"url": "language", "valueCode": row.interpreter_language or row.patient.preferred_language},
                {"url": "booked", "valueBoolean": row.interpreter_booked},
            ]
        transport: list[dict[str, Any]] = [{"url": "needed", "valueBoolean": row.transport_needed}]
        if row.ride_referral_id is not None:
            transport.append({"url": "ride", "valueReference": ref("ServiceRequest", row.ride_referral_id)})
        minutes = int((row.ends_at - row.starts_at).total_seconds() // 60)
        return compact(
            {
                "extension": [
                    {"url": MODE, "valueCode": row.mode},
                    {"url": INTERPRETER, "extension": interpreter},
                    {"url": TRANSPORT, "extension": transport},
                ],
                "status": row.status,
                "cancelationReason": {"text": row.cancel_reason} if row.cancel_reason else None,
                "description": row.purpose,
                "start": moment(row.starts_at),
                "end": moment(row.ends_at),
                "minutesDuration": minutes,
                "created": row.created_at.date().isoformat(),
                "comment": row.patient_note or None,
                "patientInstruction": row.what_to_bring or None,
                "basedOn": [ref("ServiceRequest", row.referral_id)] if row.referral_id else [],
                "participant": participants,
            }
        )

    # --- creating --------------------------------------------------------------------------------------------
    def create(self, caller: Caller, resource: dict[str, Any]) -> Appointment:
        if resource.get("status") != AppointmentStatus.BOOKED:
            raise refused("Appointment.status", "A new appointment is booked (status booked).")
        start = parse_moment(resource.get("start"), "Appointment.start")
        end = parse_moment(resource.get("end"), "Appointment.end")
        if start is None or end is None:
            raise refused("Appointment.start", "Appointment.start and Appointment.end are required.")
        patient_ref = None
        staff: User | None = None
        others: list[str] = []
        for participant in resource.get("participant") or []:
            actor = participant.get("actor") or {}
            target = str(actor.get("reference", ""))
            if target.startswith("Patient/"):
                patient_ref = actor
            elif target.startswith("Practitioner/"):
                key = reference_id(actor, "Practitioner", "Appointment.participant.actor")
                staff = (
                    User.objects.filter(pk=key or 0, organization_id=caller.user.org_id, is_active=True)
                    .exclude(role=Role.PATIENT)
                    .first()
                )
                if staff is None:
                    raise refused("Appointment.participant", f"There is no member of staff {target} here.")
            elif actor.get("display"):
                others.append(str(actor["display"]))
        if patient_ref is None:
            raise refused(
                "Appointment.participant", "A participant must be the Patient the appointment is for."
            )
        patient = visible_patient(caller, patient_ref, "Appointment.participant.actor")
        mode = next(
            (e.get("valueCode") for e in resource.get("extension") or [] if e.get("url") == MODE), None
        )
        mode = mode or Mode.IN_PERSON
        # The outside provider and the place, in that order, when there is no Practitioner.
        provider = others.pop(0) if staff is None and others else ""
        return do_book_appointment(
            caller.user,
            patient,
            starts_at=start,
            ends_at=end,
            purpose=str(resource.get("description") or ""),
            staff=staff,
            provider_name=provider,
            mode=mode,
            location=others[0] if others else "",
            what_to_bring=str(resource.get("patientInstruction") or ""),
        )
