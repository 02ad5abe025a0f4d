"""The words of appointments: their status (FHIR appointmentstatus, the part this app uses), how the patient
takes part, whom the appointment is with, what the patient answered and how a reminder went out."""

from __future__ import annotations

from django.db import models


class AppointmentStatus(models.TextChoices):
    # FHIR Appointment.status codes
    BOOKED = "booked", "Booked"
    FULFILLED = "fulfilled", "Attended"
    NO_SHOW = "noshow", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


class Mode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "By phone"
    VIDEO = "video", "By video"


class WithKind(models.TextChoices):
    CARE_TEAM = "care_team", "Someone on the care team"
    SERVICE = "service", "A referral's service"
    OUTSIDE = "outside", "An outside provider"


class PatientAnswer(models.TextChoices):
    NONE = "", "No answer yet"
    CONFIRMED = "confirmed", "Confirmed"
    CHANGE = "change", "Asked to change"


class Channel(models.TextChoices):
    SMS = "sms", "Text message"
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Patient portal"
    NONE = "none", "No way to reach the patient"


class ReminderOutcome(models.TextChoices):
    SENT = "sent", "Sent"
    SKIPPED = "skipped", "Not sent (a later reminder was due)"
    FAILED = "failed", "Could not be sent"
