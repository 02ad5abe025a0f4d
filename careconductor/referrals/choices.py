"""The words of referrals: their status (the referral-management Task's, clinical.md §10 and §10.1), urgency
(FHIR request-priority), where they started and what may be shared with the organisation receiving them."""

from __future__ import annotations

from django.db import models


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no-show", "Patient did not attend"
    CANCELLED = "cancelled", "Cancelled"


class Urgency(models.TextChoices):
    # FHIR request-priority
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "As soon as possible"


class Origin(models.TextChoices):
    CHART = "chart", "The chart"
    INTERVENTION = "intervention", "A care plan intervention"
    BARRIER = "barrier", "A barrier's response"
    FINDING = "finding", "An assessment finding"


class SharedItem(models.TextChoices):
    """What the receiving organisation sees of the patient (minimum necessary, 45 CFR 164.502(b)): the name and
    the need always; the rest only when ticked."""

    CONTACT = "contact", "Phone number and address"
    BIRTH_DATE = "birth_date", "Date of birth"
    LANGUAGE = "language", "Preferred language and interpreter need"
    REASON = "reason", "The reason for the referral, as written"
    COVERAGE = "coverage", "Health coverage"
    ATTACHMENTS = "attachments", "The attached documents"


class Actor(models.TextChoices):
    """Who changed a referral: staff signed in, the partner through its link or its log-in, or a system."""

    STAFF = "staff", "Staff"
    PARTNER_LINK = "partner_link", "The receiving organisation, through its link"
    PARTNER_LOGIN = "partner_login", "The receiving organisation, signed in"
    PARTNER_FHIR = "partner_fhir", "The receiving organisation's system (FHIR)"
    SYSTEM = "system", "CareConductor"


class DeclineReason(models.TextChoices):
    # Reasons a community organisation gives, with a free-text note beside them.
    CAPACITY = "capacity", "No capacity"
    NOT_ELIGIBLE = "not_eligible", "Patient not eligible"
    UNREACHABLE = "unreachable", "Could not reach the patient"
    PATIENT_DECLINED = "patient_declined", "The patient declined"
    SERVICE_NOT_OFFERED = "not_offered", "Service not offered"
    OTHER = "other", "Other"
