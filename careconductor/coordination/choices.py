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
