from __future__ import annotations

from django.db import models


class TaskStatus(models.TextChoices):
    # FHIR Task.status (R4)
    DRAFT = "draft", "Draft"
    REQUESTED = "requested", "To do"
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    READY = "ready", "Ready"
    CANCELLED = "cancelled", "Cancelled"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    FAILED = "failed", "Failed"
    COMPLETED = "completed", "Done"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class TaskPriority(models.TextChoices):
    # FHIR request-priority, in rising order of urgency
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"
    ASAP = "asap", "As soon as possible"
    STAT = "stat", "Immediately"


class TaskKind(models.TextChoices):
    SAFETY_CHECK = "safety-check", "Same-day safety follow-up"
    PHYSICIAN_REVIEW = "physician-review", "Physician review"
    SAFETY_PLANNING = "safety-planning", "Interpersonal safety follow-up"
    REASSESSMENT = "reassessment", "Reassessment"
    CARE_PLAN = "care-plan", "Care plan intervention"
    PLAN_APPROVAL = "plan-approval", "Care plan approval"
    CASE_CLOSURE = "case-closure", "Case closure approval"
    FOLLOW_UP = "follow-up", "Follow-up"
    SELF_REPORT = "self-report", "Patient report past its alert limit"
    OTHER = "other", "Other"


class FlagStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Acknowledged"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class FlagCategory(models.TextChoices):
    # FHIR flag-category codes
    SAFETY = "safety", "Safety"
    CLINICAL = "clinical", "Clinical"
    BEHAVIORAL = "behavioral", "Behavioral"


class ContactMode(models.TextChoices):
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video"
    IN_PERSON = "in_person", "In person"
    PORTAL = "portal", "Portal message"
    TEXT = "text", "Text message"
    EMAIL = "email", "E-mail"
    LETTER = "letter", "Letter"


# Modes that count as an interactive contact (TCM's 2-business-day contact; a successful follow-up).
INTERACTIVE_MODES = frozenset(
    {ContactMode.PHONE, ContactMode.VIDEO, ContactMode.IN_PERSON, ContactMode.PORTAL}
)
FACE_TO_FACE_MODES = frozenset({ContactMode.IN_PERSON})


class ContactDirection(models.TextChoices):
    OUTBOUND = "outbound", "We contacted them"
    INBOUND = "inbound", "They contacted us"


class ContactParty(models.TextChoices):
    PATIENT = "patient", "The patient"
    CAREGIVER = "caregiver", "A caregiver or family member"
    PROVIDER = "provider", "A provider (PCP, specialist, facility)"
    OTHER = "other", "Someone else"


class MedsTaken(models.TextChoices):
    NOT_DISCUSSED = "", "Not discussed"
    ALL = "all", "Taking all as prescribed"
    SOME = "some", "Missing some doses"
    NONE = "none", "Not taking them"


class TeachBack(models.TextChoices):
    NOT_DONE = "", "No education given"
    CONFIRMED = "confirmed", "Teach-back: understanding confirmed"
    RETAUGHT = "retaught", "Teach-back: re-explained, then confirmed"
    NOT_CONFIRMED = "not_confirmed", "Teach-back: not yet understood"
    NOT_ASKED = "not_asked", "Education given, teach-back not done"


class InterpreterUse(models.TextChoices):
    NOT_RECORDED = "", "Not recorded"
    NONE = "none", "None"
    PROFESSIONAL = "professional", "Professional interpreter"
    FAMILY = "family", "Family member or friend"


class TimeActivity(models.TextChoices):
    CARE_PLANNING = "care_planning", "Care planning"
    COORDINATION = "coordination", "Coordinating with providers or services"
    MEDICATION = "medication", "Medication management"
    EDUCATION = "education", "Education and self-management support"
    RECORDS = "records", "Reviewing records and results"
    OTHER = "other", "Other care management"


class OutreachStep(models.TextChoices):
    # The unable-to-reach protocol, in the order it is worked.
    LETTER = "letter", "Letter sent to the patient"
    CAREGIVER = "caregiver", "Caregiver or emergency contact tried"
    PCP = "pcp", "Primary care provider notified"


class ClosureStatus(models.TextChoices):
    PENDING = "pending", "Awaiting the supervisor"
    APPROVED = "approved", "Approved and closed"
    RETURNED = "returned", "Returned with comments"
    WITHDRAWN = "withdrawn", "Withdrawn"


class NotificationKind(models.TextChoices):
    TASK_ASSIGNED = "task_assigned", "A task is assigned to me or my team"
    TASK_ESCALATED = "task_escalated", "A task of my team is overdue and escalated to me"
    CONTACT_DUE = "contact_due", "Morning summary of contacts due today"
    CLOSURE = "closure", "Case closures and closing summaries"
    PORTAL_MESSAGE = "portal_message", "A patient sends a message through the portal"
    MENTION = "mention", "A colleague mentions me in a note"
    HANDOVER = "handover", "Cases or work are handed over to me"
    HOSPITAL = "hospital", "A patient of mine is admitted to or discharged from hospital"
    PRIOR_AUTH = "prior_auth", "A prior-authorisation request is past due or has come to me"
