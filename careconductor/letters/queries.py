"""Reading letters and what a letter can be about, through the access policy; reads of patient data are
audited here."""

from __future__ import annotations

from django.db.models import Q

from careconductor.accounts.models import User
from careconductor.appointments.choices import AppointmentStatus
from careconductor.appointments.models import Appointment
from careconductor.cases.models import Case
from careconductor.core.errors import NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.referrals.models import Referral

from .models import Letter


def access_letter(user: User, letter_id: int, *, action: AuditAction = AuditAction.READ) -> Letter:
    """A letter of a patient the user may see (the read, print or export audited as `action`); NotVisible
    otherwise, as if missing."""
    letter = (
        Letter.objects.filter(pk=letter_id, patient__in=policy.visible_patients(user))
        .select_related("patient", "sent_by", "case", "organization")
        .first()
    )
    # A letter about a sensitive referral (a Part 2 programme), or an appointment with its service, is as
    # sensitive as the referral.
    if letter is None or not policy.may_read_label(user, letter.patient, _label(letter)):
        raise NotVisible
    audit.record(user, action, patient=letter.patient, obj=letter, detail=f"letter {letter.kind}")
    return letter


def letters_of(user: User, patient: Patient) -> list[Letter]:
    """The patient's letters, newest first (the caller fetched the patient through access_patient, so the list
    read is audited with it; one query)."""
    policy.require(user, policy.Action.VIEW, patient)
    allowed = policy.record_sensitivities(user, patient)
    return list(
        Letter.objects.filter(patient=patient)
        .filter(Q(referral__isnull=True) | Q(referral__sensitivity__in=allowed))
        .filter(Q(appointment__referral__isnull=True) | Q(appointment__referral__sensitivity__in=allowed))
        .select_related("sent_by")
    )


def _label(letter: Letter) -> str:
    """The sensitivity of what the letter is about ("" for a letter about no referral)."""
    ids = [i for i in (letter.referral_id, _appointment_referral(letter.appointment_id)) if i is not None]
    labels = Referral.objects.filter(pk__in=ids).exclude(sensitivity="").values_list("sensitivity", flat=True)
    return next(iter(labels), "")


def _appointment_referral(appointment_id: int | None) -> int | None:
    if appointment_id is None:
        return None
    return Appointment.objects.filter(pk=appointment_id).values_list("referral_id", flat=True).first()


def appointments_of(user: User, patient: Patient) -> list[Appointment]:
    """The patient's booked appointments an appointment letter may be about, soonest first, without those with
    a sensitive referral's service the user may not read (the patient is already accessed)."""
    allowed = policy.record_sensitivities(user, patient)
    return list(
        Appointment.objects.filter(patient=patient, status=AppointmentStatus.BOOKED)
        .filter(Q(referral__isnull=True) | Q(referral__sensitivity__in=allowed))
        .select_related(
            "staff", "referral", "referral__service", "referral__service__provider", "ride_referral"
        )
        .order_by("starts_at", "pk")
    )


def cases_of(patient: Patient) -> list[Case]:
    """The patient's cases a letter may be about, open ones first (the patient is already accessed)."""
    cases = (
        Case.objects.filter(patient=patient).select_related("primary_case_manager").order_by("-referred_at")
    )
    return sorted(cases, key=lambda c: not c.is_open)


def referrals_of(user: User, patient: Patient) -> list[Referral]:
    """The patient's referrals a referral letter may go with, without the sensitive ones the user may not read
    (the patient is already accessed)."""
    return list(
        Referral.objects.filter(patient=patient, sensitivity__in=policy.record_sensitivities(user, patient))
        .select_related("service", "service__provider")
        .order_by("-pk")
    )
