"""Appointments (FHIR Appointment) of a patient with someone on the care team, a referral's service or an outside
provider; the reminders sent for them (one row per appointment, reminder offset and booked time: each is sent
once); and each organisation's reminder offsets. Changes only through appointments.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Encounter, Patient

from .choices import AppointmentStatus, Channel, Mode, PatientAnswer, ReminderOutcome, WithKind


class Appointment(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    purpose = models.CharField(max_length=200, help_text='e.g. "Follow-up after the hospital"')
    # With whom: a member of staff (on the care team), a referral's service, or a provider outside.
    with_kind = models.CharField(max_length=12, choices=WithKind.choices, default=WithKind.CARE_TEAM)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    provider_name = models.CharField(max_length=200, blank=True, help_text="Who the patient sees, outside.")
    # Where, or how.
    mode = models.CharField(max_length=12, choices=Mode.choices, default=Mode.IN_PERSON)
    location = models.CharField(max_length=300, blank=True, help_text="The address, or the number or link.")
    interpreter_needed = models.BooleanField(default=False)
    interpreter_language = models.CharField(max_length=8, blank=True)
    interpreter_booked = models.BooleanField(default=False)
    transport_needed = models.BooleanField(default=False)
    # The ride is a referral to a transport service (referrals): booked once it is linked.
    ride_referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="rides"
    )
    what_to_bring = models.TextField(blank=True)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What the patient answered (from the portal or a reminder's link).
    patient_answer = models.CharField(max_length=12, choices=PatientAnswer.choices, blank=True)
    patient_answer_at = models.DateTimeField(null=True, blank=True)
    patient_note = models.TextField(blank=True)
    # After the time: attended, did not attend or cancelled, by whom and when.
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=200, blank=True)
    # An attended visit with the care team is an ambulatory encounter: the transitional-care visit counts it.
    encounter = models.ForeignKey(
        Encounter, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments"
    )
    # A missed appointment is on the worklist until someone follows it up.
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_start_idx"),
            models.Index(fields=["staff", "starts_at"], name="appointment_staff_start_idx"),
            models.Index(fields=["status", "starts_at"], name="appointment_status_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk} ({self.status})"

    @property
    def with_whom(self) -> str:
        if self.staff_id is not None and self.staff is not None:
            return self.staff.display_name()
        if self.referral_id is not None and self.referral is not None:
            return self.referral.recipient
        return self.provider_name

    @property
    def transport_booked(self) -> bool:
        return self.ride_referral_id is not None


class Reminder(models.Model):
    """One reminder of an appointment: made when it is due, before it goes out, so it goes out once whatever
    the number of workers. A new booked time (rescheduling) has reminders of its own."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    offset = models.CharField(max_length=16)  # rules.Offset's code, e.g. "2d@10:00" or "2h"
    for_start = models.DateTimeField()  # the booked time it reminds of
    due_at = models.DateTimeField()
    made_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    language = models.CharField(max_length=8)
    outcome = models.CharField(max_length=8, choices=ReminderOutcome.choices)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "offset", "for_start"], name="reminder_once_per_offset"
            )
        ]

    def __str__(self) -> str:
        return f"reminder {self.offset} of appointment {self.appointment_id}"


class ReminderSetting(models.Model):
    """An organisation's reminder offsets; without one, the installation's (APPOINTMENT_REMINDERS)."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="+")
    offsets = models.JSONField(default=list, blank=True)  # rules.Offset codes; empty: no reminders

    def __str__(self) -> str:
        return f"reminders of organisation {self.organization_id}"
