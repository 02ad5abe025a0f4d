from __future__ import annotations

from django.db import models


class AssessmentStatus(models.TextChoices):
    # FHIR QuestionnaireResponse.status
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    AMENDED = "amended", "Amended"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"
    STOPPED = "stopped", "Stopped"


class AssessmentSource(models.TextChoices):
    STAFF = "staff", "Staff, with the patient"
    PATIENT = "patient", "The patient, on their own"
    INTERFACE = "interface", "Another system (FHIR)"


class FindingDomain(models.TextChoices):
    """The needs an assessment can find. Each becomes a health concern on the patient."""

    DEPRESSION = "depression", "Depression symptoms"
    SELF_HARM_RISK = "self-harm-risk", "Thoughts of self-harm"
    ANXIETY = "anxiety", "Anxiety symptoms"
    HOUSING_INSTABILITY = "housing-instability", "Housing instability"
    HOUSING_QUALITY = "housing-quality", "Problems with housing quality"
    FOOD_INSECURITY = "food-insecurity", "Food insecurity"
    TRANSPORTATION = "transportation", "Transportation insecurity"
    UTILITIES = "utilities", "Utility insecurity"
    INTERPERSONAL_SAFETY = "interpersonal-safety", "Interpersonal safety concern"
    ALCOHOL_MISUSE = "alcohol-misuse", "Unhealthy alcohol use"
    LIMITED_LITERACY = "limited-literacy", "Possible limited reading ability"
    ADL_DEPENDENCE = "adl-dependence", "Needs help with daily activities (ADL)"
    IADL_DEPENDENCE = "iadl-dependence", "Needs help with instrumental activities (IADL)"
    COMPLEXITY = "complexity", "Complex biopsychosocial needs"
    COMPLEXITY_BARRIER = "complexity-barrier", "Severe risk on the complexity grid"


class FindingStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RESOLVED = "resolved", "Resolved"
    ENTERED_IN_ERROR = "entered-in-error", "Entered in error"


class Signal(models.TextChoices):
    """What a result says that a safety rule acts on (see rules.safety_actions)."""

    SELF_HARM_THOUGHTS = "self-harm-thoughts", "Thoughts of self-harm (PHQ-9 item 9 above 0)"
    INTERPERSONAL_SAFETY = "interpersonal-safety", "Positive interpersonal-safety screen"
    SEVERE_DEPRESSION = "severe-depression", "Severe depression (PHQ-9 20 or more)"
