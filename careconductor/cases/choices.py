from __future__ import annotations

from django.db import models


class CaseStatus(models.TextChoices):
    REFERRED = "referred", "Referred"
    SCREENING = "screening", "Screening"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    CLOSED = "closed", "Closed"
    DECLINED = "declined", "Declined"
    INELIGIBLE = "ineligible", "Ineligible"


class Program(models.TextChoices):
    COMPLEX = "complex_cm", "Complex case management"
    CCM = "ccm", "Chronic care management"
    TCM = "tcm", "Transitional care"
    BEHAVIOURAL = "behavioural", "Behavioural health"


class ReferralSource(models.TextChoices):
    PCP = "pcp", "Primary care provider"
    HOSPITAL = "hospital", "Hospital discharge planner"
    SPECIALIST = "specialist", "Specialist"
    HEALTH_PLAN = "health_plan", "Health plan"
    UTILISATION = "utilisation", "Utilisation management (a prior authorisation)"
    RISK_LIST = "risk_list", "Risk stratification list"
    SELF = "self", "Patient or family"
    COMMUNITY = "community", "Community organisation"
    INTERFACE = "interface", "Another system (FHIR or HL7 interface)"

    @property
    def label_in_a_sentence(self) -> str:
        """The label after "Referred by": its first letter lower-cased, acronyms (FHIR, HL7) kept."""
        label = str(self.label)
        return label[:1].lower() + label[1:]


class ClosureReason(models.TextChoices):
    GOALS_MET = "goals_met", "Goals met"
    PATIENT_DECLINED = "patient_declined", "Patient declined further services"
    UNABLE_TO_REACH = "unable_to_reach", "Unable to reach"
    TRANSFERRED = "transferred", "Transferred to another programme or provider"
    MOVED = "moved", "Moved out of the service area"
    DECEASED = "deceased", "Deceased"
    OTHER = "other", "Other"
