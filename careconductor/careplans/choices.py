from __future__ import annotations

from django.db import models


class PlanStatus(models.TextChoices):
    # FHIR CarePlan.status (request-status), the part a case manager uses
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    REVOKED = "revoked", "Revoked"


class VersionStatus(models.TextChoices):
    PENDING = "pending", "Awaiting approval"
    IN_FORCE = "in-force", "In force"
    RETURNED = "returned", "Returned for changes"
    SUPERSEDED = "superseded", "Replaced by a later version"


class ProblemSource(models.TextChoices):
    FINDING = "finding", "Assessment finding"
    PROBLEM_LIST = "problem-list", "Problem list"
    HAND = "hand", "Entered by hand"


class GoalLifecycle(models.TextChoices):
    # FHIR Goal.lifecycleStatus (R4 goal-status)
    PROPOSED = "proposed", "Proposed"
    PLANNED = "planned", "Planned"
    ACCEPTED = "accepted", "Accepted"
    ACTIVE = "active", "Active"
    ON_HOLD = "on-hold", "On hold"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    REJECTED = "rejected", "Rejected"


class Achievement(models.TextChoices):
    # FHIR goal-achievement (R4B CodeSystem); parents first, then their children
    IN_PROGRESS = "in-progress", "In progress"
    IMPROVING = "improving", "Improving"
    WORSENING = "worsening", "Worsening"
    NO_CHANGE = "no-change", "No change"
    ACHIEVED = "achieved", "Achieved"
    SUSTAINING = "sustaining", "Sustaining"
    NOT_ACHIEVED = "not-achieved", "Not achieved"
    NO_PROGRESS = "no-progress", "No progress"
    NOT_ATTAINABLE = "not-attainable", "Not attainable"


class Proposer(models.TextChoices):
    PATIENT = "patient", "The patient"
    CAREGIVER = "caregiver", "A caregiver"
    TEAM = "team", "The care team"


class GoalAgreement(models.TextChoices):
    NOT_ASKED = "not-asked", "Not yet discussed"
    AGREED = "agreed", "Patient agrees"
    DECLINED = "declined", "Patient does not agree"


class InterventionKind(models.TextChoices):
    EDUCATION = "education", "Education"
    REFERRAL = "referral", "Referral"
    APPOINTMENT = "appointment", "Appointment"
    MEDICATION_REVIEW = "medication-review", "Medication review"
    COUNSELLING = "counselling", "Counselling"
    MONITORING = "monitoring", "Monitoring"
    COORDINATION = "coordination", "Coordination"
    BENEFITS = "benefits", "Benefits and resources"


class InterventionStatus(models.TextChoices):
    # FHIR CarePlan.activity.detail.status
    NOT_STARTED = "not-started", "Not started"
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in-progress", "In progress"
    ON_HOLD = "on-hold", "On hold"
    COMPLETED = "completed", "Done"
    CANCELLED = "cancelled", "Cancelled"
    STOPPED = "stopped", "Stopped"


class OwnerType(models.TextChoices):
    STAFF = "staff", "A member of the care team"
    PATIENT = "patient", "The patient"
    CAREGIVER = "caregiver", "A caregiver"


class BarrierKind(models.TextChoices):
    COST = "cost", "Cost"
    TRANSPORT = "transport", "Transport"
    LITERACY = "literacy", "Reading and health literacy"
    LANGUAGE = "language", "Language"
    HEALTH_BELIEFS = "health-beliefs", "Health beliefs"
    CAREGIVER = "caregiver", "Caregiver availability"
    MOTIVATION = "motivation", "Motivation or mood"
    MEMORY = "memory", "Memory"
    OTHER = "other", "Other"


class AgreementMethod(models.TextChoices):
    IN_PERSON = "in-person", "In person"
    PHONE = "phone", "By phone"
    VIDEO = "video", "By video"
    PORTAL = "portal", "Through the portal"


class AgreedBy(models.TextChoices):
    PATIENT = "patient", "The patient"
    PROXY = "proxy", "A proxy for the patient"


class ReadingSource(models.TextChoices):
    LAB = "lab", "Lab result"
    SELF_REPORT = "self-report", "Reported by the patient"
    CLINIC = "clinic", "Measured at a visit"
    STAFF = "staff", "Observed by staff"
