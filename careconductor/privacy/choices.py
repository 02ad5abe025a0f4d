from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "create", "Create"
    READ = "read", "Read"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    PRINT = "print", "Print"
    LOGIN = "login", "Log in"
    LOGOUT = "logout", "Log out"
    LOGIN_FAILED = "login_failed", "Failed log-in"
    LOCKED_OUT = "locked_out", "Log-in locked out"
    REFUSED = "refused", "Permission refused"


class AuditOutcome(models.TextChoices):
    # FHIR AuditEvent.outcome codes: 0 success, 4 minor failure, 8 serious failure
    SUCCESS = "0", "Success"
    MINOR_FAILURE = "4", "Refused or failed"
    SERIOUS_FAILURE = "8", "Serious failure"


class ConsentType(models.TextChoices):
    CM_ENROLMENT = "cm_enrolment", "Case management enrolment"
    CCM_BILLING = "ccm_billing", "Chronic care management billing"
    SHARING = "sharing", "Sharing with a named person or organisation"
    PART2 = "part2", "42 CFR Part 2 disclosure"


class ConsentStatus(models.TextChoices):
    # FHIR consent-state-codes subset
    ACTIVE = "active", "Active"
    REJECTED = "rejected", "Refused by the patient"
    INACTIVE = "inactive", "Revoked or expired"


class ConsentMethod(models.TextChoices):
    VERBAL = "verbal", "Verbal"
    WRITTEN = "written", "Written (signed)"
    ELECTRONIC = "electronic", "Electronic"


class EmergencyReason(models.TextChoices):
    EMERGENCY_CARE = "emergency_care", "Emergency: the patient needs care now"
    COVERING = "covering", "Covering for the patient's case manager"
    PATIENT_CALLED = "patient_called", "The patient or caregiver called and needs help"
    URGENT_COORDINATION = "urgent_coordination", "Urgent care coordination (e.g. discharge today)"
    OTHER = "other", "Other (explain below)"


class ReviewOutcome(models.TextChoices):
    APPROPRIATE = "appropriate", "Appropriate"
    INAPPROPRIATE = "inappropriate", "Not appropriate: follow up with the user"


EMERGENCY_PURPOSE = "ETREAT"  # HL7 v3 PurposeOfUse: emergency treatment
# The purposes of use the audit trail records, in words for its screen (the CSV export keeps the codes).
PURPOSE_WORDS = {"TREAT": "Treatment", EMERGENCY_PURPOSE: "Emergency treatment", "OPERATIONS": "Operations"}


class Sensitivity(models.TextChoices):
    NORMAL = "", "Normal"
    PART2 = "part2", "Substance use disorder record (42 CFR Part 2)"
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy note"


# The consent that lets a named care team member see each sensitive category.
CONSENT_FOR_SENSITIVITY = {
    Sensitivity.PART2: ConsentType.PART2,
    Sensitivity.PSYCHOTHERAPY: ConsentType.SHARING,
}

# A consent that itself tells what kind of record exists carries that record's label: a Part 2 disclosure consent
# says the patient is in a substance use disorder programme. A sharing consent says nothing of the kind.
SENSITIVITY_OF_CONSENT: dict[str, Sensitivity] = {ConsentType.PART2: Sensitivity.PART2}
