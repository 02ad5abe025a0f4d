"""Appointments: the only code that changes them. Each action checks the policy, refuses before writing anything,
and writes its audit event in one transaction. Referrals (above this app) call do_book_appointment when a
referral is scheduled and do_link_ride when a ride is booked for an appointment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.choices import EncounterClass
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .choices import AppointmentStatus, Mode, PatientAnswer, WithKind
from .models import Appointment, ReminderSetting

if TYPE_CHECKING:
    from careconductor.referrals.models import Referral

DEFAULT_MINUTES = 30
# What may change on a booked appointment (do_change_appointment), the same fields as booking.
DETAILS = (
    "purpose",
    "with_kind",
    "staff",
    "referral",
    "provider_name",
    "mode",
    "location",
    "interpreter_needed",
    "interpreter_language",
    "interpreter_booked",
    "transport_needed",
    "what_to_bring",
)


def _details_problems(patient: Patient, fields: dict[str, object]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not str(fields.get("purpose") or "").strip():
        errors["purpose"] = "Say what the appointment is for."
    kind = fields.get("with_kind")
    staff = fields.get("staff")
    referral = fields.get("referral")
    if kind not in WithKind.values:
        errors["with_kind"] = "Choose whom the appointment is with."
    if staff is not None and (
        not isinstance(staff, User)
        or staff.organization_id != patient.organization_id
        or staff.role == Role.PATIENT
        or not staff.is_active
        or staff.is_system
    ):
        errors["staff"] = "Choose a member of your organisation's staff."
    if referral is not None and getattr(referral, "patient_id", None) != patient.pk:
        errors["referral"] = "That referral is not this patient's."
    if kind == WithKind.CARE_TEAM and staff is None:
        errors.setdefault("staff", "Choose the member of the care team.")
    if kind == WithKind.SERVICE and referral is None:
        errors.setdefault("referral", "Choose the referral whose service this is.")
    if kind == WithKind.OUTSIDE and not str(fields.get("provider_name") or "").strip():
        errors["provider_name"] = "Name the provider the patient sees."
    if fields.get("mode") not in Mode.values:
        errors["mode"] = "Choose in person, by phone or by video."
    elif fields.get("mode") == Mode.IN_PERSON and not str(fields.get("location") or "").strip():
        errors["location"] = "Say where: the address the patient goes to."
    return errors


def _ends(starts_at: dt.datetime, ends_at: dt.datetime | None, duration: dt.timedelta | None) -> dt.datetime:
    if ends_at is not None:
        return ends_at
    return starts_at + (duration if duration is not None else dt.timedelta(minutes=DEFAULT_MINUTES))


def _infer_kind(staff: User | None, referral: Referral | None) -> str:
    if staff is not None:
        return WithKind.CARE_TEAM
    if referral is not None:
        return WithKind.SERVICE
    return WithKind.OUTSIDE


def do_book_appointment(
    user: User,
    patient: Patient,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    duration: dt.timedelta | None = None,
    purpose: str,
    with_kind: str = "",
    staff: User | None = None,
    referral: Referral | None = None,
    provider_name: str = "",
    mode: str = Mode.IN_PERSON,
    location: str = "",
    interpreter_needed: bool | None = None,
    interpreter_language: str = "",
    interpreter_booked: bool = False,
    transport_needed: bool = False,
    what_to_bring: str = "",
) -> Appointment:
    """Book an appointment for the patient. Whom with: `staff` (someone on the care team), `referral` (its
    service) or `provider_name` (outside); `with_kind` is worked out from them when not given. The interpreter
    need comes from the patient's record unless given."""
    policy.require(user, policy.Action.CHANGE, patient)
    ends = _ends(starts_at, ends_at, duration)
    fields: dict[str, object] = {
        "purpose": purpose.strip()[:200],
        "with_kind": with_kind or _infer_kind(staff, referral),
        "staff": staff,
        "referral": referral,
        "provider_name": provider_name.strip()[:200],
        "mode": mode,
        "location": location.strip()[:300],
        "interpreter_needed": patient.interpreter_needed
        if interpreter_needed is None
        else interpreter_needed,
        "interpreter_language": interpreter_language.strip() or patient.preferred_language,
        "interpreter_booked": interpreter_booked,
        "transport_needed": transport_needed,
        "what_to_bring": what_to_bring.strip(),
    }
    errors = _details_problems(patient, fields) | rules.times_problem(starts_at, ends)
    if starts_at < clock.now():
        errors["starts_at"] = "Book a time still to come."
    if errors:
        raise ActionRefused(errors)
    if not fields["interpreter_needed"]:
        fields["interpreter_booked"] = False
    with transaction.atomic():
        appointment = Appointment.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            starts_at=starts_at,
            ends_at=ends,
            booked_by=user,
            **fields,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=appointment)
    return appointment


def _locked(appointment: Appointment) -> Appointment:
    return (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("patient", "staff", "referral")
        .get(pk=appointment.pk)
    )


def do_change_appointment(
    user: User,
    appointment: Appointment,
    *,
    starts_at: dt.datetime,
    ends_at: dt.datetime | None = None,
    duration: dt.timedelta | None = None,
    **details: object,
) -> Appointment:
    """Change a booked appointment: its time (the patient's answer is asked again, and its reminders are those
    of the new time) or its details (any of DETAILS)."""
    patient = appointment.patient
    policy.require(user, policy.Action.CHANGE, patient)
    unknown = set(details) - set(DETAILS)
    if unknown:
        raise ValueError(f"Not an appointment detail: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.BOOKED:
            raise ActionRefused("Only a booked appointment can be changed.")
        fields: dict[str, object] = {name: getattr(appointment, name) for name in DETAILS} | details
        if "with_kind" not in details:
            fields["with_kind"] = _infer_kind(fields["staff"], fields["referral"])  # type: ignore[arg-type]
        ends = _ends(starts_at, ends_at, duration)
        errors = _details_problems(patient, fields) | rules.times_problem(starts_at, ends)
        moved = starts_at != appointment.starts_at
        if moved and starts_at < clock.now():
            errors["starts_at"] = "Move it to a time still to come."
        if errors:
            raise ActionRefused(errors)
        for name, value in fields.items():
            setattr(appointment, name, value)
        if not appointment.interpreter_needed:
            appointment.interpreter_booked = False
        appointment.starts_at, appointment.ends_at = starts_at, ends
        if moved:
            appointment.patient_answer, appointment.patient_answer_at = PatientAnswer.NONE, None
        appointment.save()
        audit.record(
            user, AuditAction.UPDATE, patient=patient, obj=appointment, detail="moved" if moved else "changed"
        )
    return appointment


def do_record_outcome(user: User, appointment: Appointment, *, status: str, reason: str = "") -> Appointment:
    """Attended, did not attend (after its time), or cancelled (with a reason). An attended visit with someone
    on the care team, in person or by video, is an ambulatory encounter: transitional care's 7/14-day visit
    counts it (coordination.worklist, billing and the readmission figures read encounters)."""
    patient = appointment.patient
    policy.require(user, policy.Action.CHANGE, patient)
    now = clock.now()
    with transaction.atomic():
        appointment = _locked(appointment)
        problem = rules.change_problem(appointment.status, status, appointment.starts_at, now)
        if problem:
            raise ActionRefused({"status": problem})
        if status == AppointmentStatus.CANCELLED and not reason.strip():
            raise ActionRefused({"reason": "Say why it is cancelled."})
        appointment.status = status
        appointment.outcome_at, appointment.outcome_by = now, user
        appointment.cancel_reason = reason.strip()[:200] if status == AppointmentStatus.CANCELLED else ""
        if status == AppointmentStatus.FULFILLED and counts_as_visit(appointment):
            appointment.encounter = do_add_encounter(
                user,
                patient,
                encounter_class=EncounterClass.AMBULATORY,
                facility=appointment.location[:200] if appointment.mode == Mode.IN_PERSON else "",
                start=appointment.starts_at,
                end=appointment.ends_at,
                reason=appointment.purpose[:200],
                source="appointment",
            )
        appointment.save()
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=appointment, detail=status)
    return appointment


def counts_as_visit(appointment: Appointment) -> bool:
    """A face-to-face visit for transitional care: with a member of staff on the care team, in person or by
    video (the telehealth TCM accepts), not by phone alone."""
    return (
        appointment.with_kind == WithKind.CARE_TEAM
        and appointment.staff_id is not None
        and appointment.mode in (Mode.IN_PERSON, Mode.VIDEO)
    )


def do_link_ride(user: User, appointment: Appointment, referral: Referral) -> Appointment:
    """The ride to the appointment is booked: the referral to a transport service that carries it (referrals
    calls this when the ride referral is made for the appointment)."""
    patient = appointment.patient
    policy.require(user, policy.Action.CHANGE, patient)
    if referral.patient_id != patient.pk:
        raise ActionRefused({"referral": "That referral is not this patient's."})
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.BOOKED:
            raise ActionRefused("Only a booked appointment needs a ride.")
        appointment.ride_referral = referral
        appointment.transport_needed = True
        appointment.save(update_fields=["ride_referral", "transport_needed"])
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=appointment, detail="ride booked")
    return appointment


def do_follow_up_missed(user: User, appointment: Appointment, *, note: str = "") -> Appointment:
    """Someone followed up the missed appointment (called the patient, booked again): its worklist row goes."""
    patient = appointment.patient
    policy.require(user, policy.Action.CHANGE, patient)
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.NO_SHOW:
            raise ActionRefused("Only a missed appointment is followed up.")
        if appointment.followed_up_at is None:
            appointment.followed_up_at = clock.now()
            appointment.save(update_fields=["followed_up_at"])
            audit.record(
                user, AuditAction.UPDATE, patient=patient, obj=appointment, detail="missed: followed up"
            )
    return appointment


def do_answer(user: User, appointment: Appointment, *, answer: str, note: str = "") -> Appointment:
    """The patient (or their proxy) confirms the appointment or asks to change it, from the portal."""
    patient = appointment.patient
    policy.require(user, policy.Action.REPORT, patient)
    # In the portal's language: the patient reads these.
    if answer not in (PatientAnswer.CONFIRMED, PatientAnswer.CHANGE):
        raise ActionRefused({"answer": _("Confirm, or ask to change.")})
    if answer == PatientAnswer.CHANGE and not note.strip():
        raise ActionRefused({"note": _("Tell us what would suit you better.")})
    with transaction.atomic():
        appointment = _locked(appointment)
        if appointment.status != AppointmentStatus.BOOKED or appointment.starts_at <= clock.now():
            raise ActionRefused(_("This appointment can no longer be answered."))
        appointment.patient_answer = answer
        appointment.patient_answer_at = clock.now()
        appointment.patient_note = note.strip()[:1000] if answer == PatientAnswer.CHANGE else ""
        appointment.save(update_fields=["patient_answer", "patient_answer_at", "patient_note"])
        audit.record(user, AuditAction.UPDATE, patient=patient, obj=appointment, detail=f"patient: {answer}")
    return appointment


def reminder_offsets(organization_id: int) -> list[rules.Offset]:
    """The organisation's reminder offsets, else the installation's (APPOINTMENT_REMINDERS). One query."""
    row = ReminderSetting.objects.filter(organization_id=organization_id).first()
    codes = row.offsets if row is not None else settings.APPOINTMENT_REMINDERS
    offsets, _ = rules.parse_offsets(codes)
    return offsets


def do_set_reminder_offsets(user: User, codes: Iterable[str]) -> ReminderSetting:
    """The administrator sets when the organisation's patients are reminded (no codes: no reminders)."""
    org_id = policy.require_admin(user, "Only an administrator may change when patients are reminded.")
    offsets, problem = rules.parse_offsets(codes)
    if problem:
        raise ActionRefused({"offsets": problem})
    with transaction.atomic():
        row, _ = ReminderSetting.objects.update_or_create(
            organization_id=org_id, defaults={"offsets": [o.code for o in offsets]}
        )
        audit.record(user, AuditAction.UPDATE, obj=row, detail=",".join(o.code for o in offsets))
    return row
