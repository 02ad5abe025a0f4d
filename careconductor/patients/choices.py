from __future__ import annotations

from django.db import models

MRN_SYSTEM = "urn:careconductor:mrn"


class IdentifierUse(models.TextChoices):
    # FHIR identifier-use. "old" marks an identifier that no longer identifies the patient but is kept so
    # records that still carry it can be found (a duplicate's MRN after the records were merged).
    USUAL = "usual", "In use"
    OLD = "old", "Old (kept so old papers can be found)"


# Identifiers staff give on the chart's details page: the URI each label stands for. A system that is not
# listed can still arrive through the FHIR API and is shown with its own label.
IDENTIFIER_SYSTEMS: dict[str, tuple[str, str]] = {
    "medicaid": ("urn:careconductor:medicaid", "Medicaid ID"),
    "medicare": ("urn:careconductor:medicare-mbi", "Medicare number (MBI)"),
    "member": ("urn:careconductor:health-plan-member", "Health plan member number"),
    "hospital-mrn": ("urn:careconductor:hospital-mrn", "Hospital MRN"),
    "other": ("urn:careconductor:other", "Other identifier"),
}


class Sex(models.TextChoices):
    # FHIR administrative-gender
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Patient portal"
    MAIL = "mail", "Letter"
    IN_PERSON = "in_person", "In person"


class LearningPreference(models.TextChoices):
    PRINT = "print", "Print"
    VERBAL = "verbal", "Verbal"
    VISUAL = "visual", "Visual"
    VIDEO = "video", "Video"
    DEMONSTRATION = "demonstration", "Demonstration"


class ContactRelationship(models.TextChoices):
    SPOUSE = "spouse", "Spouse or partner"
    CHILD = "child", "Adult child"
    PARENT = "parent", "Parent"
    SIBLING = "sibling", "Sibling"
    FRIEND = "friend", "Friend"
    NEIGHBOUR = "neighbour", "Neighbour"
    GUARDIAN = "guardian", "Legal guardian"
    OTHER = "other", "Other"


class CoverageKind(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Commercial"
    DUAL = "dual", "Medicare-Medicaid (dual)"
    SELF_PAY = "self_pay", "Self-pay"


class ConditionCategory(models.TextChoices):
    # FHIR condition-category (problem-list-item) and US Core's health-concern
    PROBLEM_LIST = "problem-list-item", "Problem list"
    HEALTH_CONCERN = "health-concern", "Health concern"


class ClinicalStatus(models.TextChoices):
    # FHIR condition-clinical
    ACTIVE = "active", "Active"
    RECURRENCE = "recurrence", "Recurrence"
    RELAPSE = "relapse", "Relapse"
    INACTIVE = "inactive", "Inactive"
    REMISSION = "remission", "Remission"
    RESOLVED = "resolved", "Resolved"


class EncounterClass(models.TextChoices):
    # HL7 v3 ActCode subset used by FHIR Encounter.class
    INPATIENT = "IMP", "Inpatient"
    EMERGENCY = "EMER", "Emergency"
    OBSERVATION = "OBSENC", "Observation"
    AMBULATORY = "AMB", "Ambulatory"
    HOME = "HH", "Home health"
    VIRTUAL = "VR", "Virtual"


class AdmissionType(models.TextChoices):
    EMERGENCY = "emergency", "Emergency (via ED)"
    URGENT = "urgent", "Urgent"
    ELECTIVE = "elective", "Elective"


class DischargeDisposition(models.TextChoices):
    HOME = "home", "Home"
    HOME_HEALTH = "home_health", "Home with home health"
    SNF = "snf", "Skilled nursing facility"
    REHAB = "rehab", "Rehabilitation facility"
    HOSPICE = "hospice", "Hospice"
    AMA = "ama", "Left against medical advice"
    EXPIRED = "expired", "Died"
    OTHER_FACILITY = "other_facility", "Another hospital or facility"


class CareTeamCategory(models.TextChoices):
    PHYSICIAN = "physician", "Physician (PCP)"
    NURSE_CM = "nurse_cm", "Nurse case manager"
    SOCIAL_WORKER = "social_worker", "Social worker"
    PHARMACIST = "pharmacist", "Pharmacist"
    THERAPIST = "therapist", "Therapist"
    CHW = "chw", "Community health worker"
    SPECIALIST = "specialist", "Specialist"
    CAREGIVER = "caregiver", "Family caregiver"
    COMMUNITY = "community", "Community worker"
    OTHER = "other", "Other"


class AllergyCategory(models.TextChoices):
    # FHIR allergy-intolerance-category
    MEDICATION = "medication", "Medication"
    FOOD = "food", "Food"
    ENVIRONMENT = "environment", "Environment (latex, pollen, insect stings…)"
    BIOLOGIC = "biologic", "Biologic (vaccine, blood product)"


class AllergyCriticality(models.TextChoices):
    # FHIR allergy-intolerance-criticality: the potential for a serious reaction next time
    LOW = "low", "Low risk"
    HIGH = "high", "High risk"
    UNABLE_TO_ASSESS = "unable-to-assess", "Unable to assess"


class AllergyStatus(models.TextChoices):
    # FHIR allergyintolerance-clinical
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    RESOLVED = "resolved", "Resolved"


class AllergyVerification(models.TextChoices):
    # FHIR allergyintolerance-verification (entered-in-error is a status change kept in the audit trail)
    CONFIRMED = "confirmed", "Confirmed"
    UNCONFIRMED = "unconfirmed", "Reported, not confirmed"
    REFUTED = "refuted", "Refuted"


class ReactionSeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe (anaphylaxis)"


SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# SNOMED CT 716186003 "No known allergy": recorded as an entry so that "asked, none" differs from "not asked".
NO_KNOWN_ALLERGIES = (SNOMED, "716186003", "No known allergies")
