from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.db import models

from careconductor.core.languages import language_name
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy.choices import Sensitivity

from .choices import AssessmentSource, AssessmentStatus, FindingDomain, FindingStatus
from .engine import interpretation


class Questionnaire(TimestampedModel):
    """A loaded instrument version (FHIR Questionnaire). Shipped files are synced after each migrate; a
    deployer's files (e.g. PRAPARE, licensed grid anchors) are loaded with `careconductor instruments load`."""

    slug = models.SlugField(max_length=64, unique=True, help_text="The Questionnaire's id")
    url = models.CharField(max_length=200)
    # Questionnaire.version (the instrument's business version); `version` is the row's change counter.
    business_version = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    panel_system = models.CharField(max_length=200)
    panel_code = models.CharField(max_length=64)
    resource = models.JSONField()
    shipped = models.BooleanField(default=True, help_text="False for a deployer's file")
    current = models.BooleanField(default=True, help_text="The version new assessments use")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["url", "business_version"], name="questionnaire_url_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.business_version}"

    @property
    def short_title(self) -> str:
        """What people call it: the abbreviation the title ends its brackets with ("AHC HRSN", "PHQ-9"), else
        the title. Not the resource's `name`, which is a code for computers ("AHCHRSNCore")."""
        found = re.findall(r"\(([^()]+)\)", self.title)
        return found[-1].strip() if found else self.title


class Assessment(TimestampedModel):
    """One completion of an instrument for a patient (FHIR QuestionnaireResponse). Changed only through
    assessments.actions; scored when complete, never before."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="assessments"
    )
    questionnaire = models.ForeignKey(Questionnaire, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(
        max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.IN_PROGRESS
    )
    answers = models.JSONField(default=dict, blank=True, help_text="linkId → list of answers")
    language = models.CharField(max_length=8, default="en")
    source = models.CharField(max_length=12, choices=AssessmentSource.choices, default=AssessmentSource.STAFF)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True, help_text="What the result means, in plain words")
    missing = models.JSONField(default=list, blank=True, help_text="linkIds still unanswered")
    details = models.JSONField(default=dict, blank=True, help_text="Scorer details, e.g. items of dependence")

    class Meta:
        indexes = [
            models.Index(
                fields=["patient", "questionnaire", "-completed_at"], name="assessment_patient_q_idx"
            ),
            models.Index(fields=["status", "-started_at"], name="assessment_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire.title} for patient {self.patient_id} ({self.status})"

    @property
    def language_display(self) -> str:
        return language_name(self.language)

    @property
    def authored_at(self) -> dt.datetime:
        return self.completed_at or self.started_at


class AssessmentScore(TimestampedModel):
    """A score from a completed assessment (FHIR Observation, category survey, derivedFrom the response)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessment_scores")
    code_system = models.CharField(max_length=200)
    code = models.CharField(max_length=64)
    display = models.CharField(max_length=200)
    value = models.IntegerField()
    minimum = models.IntegerField()
    maximum = models.IntegerField()
    band = models.CharField(max_length=40, blank=True)
    positive = models.BooleanField(null=True, blank=True)
    bands = models.JSONField(default=list, blank=True, help_text="[[lowest value, band], …] for the chart")
    effective_at = models.DateTimeField()
    status = models.CharField(max_length=20, default="final")

    class Meta:
        indexes = [
            models.Index(fields=["patient", "code", "-effective_at"], name="score_patient_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display} {self.value}"

    @property
    def interpretation(self) -> str:
        return interpretation(self.band, self.positive)


class Finding(TimestampedModel):
    """A need an assessment found (a health concern): one active finding per patient and domain, pointing
    at the assessment that first found it and the last that confirmed it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="findings")
    domain = models.CharField(max_length=32, choices=FindingDomain.choices)
    detail = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=20, choices=FindingStatus.choices, default=FindingStatus.ACTIVE)
    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="findings")
    last_assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="+")
    found_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "status"], name="finding_patient_status_idx")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """e.g. "Food insecurity (AHC HRSN, 2026-11-02)"."""
        name = FindingDomain(self.domain).label
        if self.detail:
            name = f"{name}: {self.detail}"
        short = self.assessment.questionnaire.short_title
        when = (self.assessment.completed_at or self.found_at).date().isoformat()
        return f"{name} ({short}, {when})"


class RiskScore(TimestampedModel):
    """A risk score computed from the chart (FHIR RiskAssessment): LACE, HOSPITAL or Charlson, with the inputs
    that produced each point and the inputs that were missing."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="risk_scores")
    model = models.CharField(max_length=16)  # risk.MODELS key
    value = models.IntegerField(null=True, blank=True, help_text="Empty when inputs are missing")
    band = models.CharField(max_length=40, blank=True)
    basis = models.JSONField(default=list, help_text="[{component, input, points}, …]")
    missing = models.JSONField(default=list, blank=True)
    encounter = models.ForeignKey(
        Encounter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    computed_at = models.DateTimeField()
    computed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The label of the sensitive records (42 CFR Part 2, psychotherapy) the score counted, if any: its basis
    # names their codes and its value depends on them, so it is shown only to those who may see them.
    sensitivity = models.CharField(
        max_length=16, choices=Sensitivity.choices, blank=True, default=Sensitivity.NORMAL
    )

    class Meta:
        indexes = [models.Index(fields=["patient", "model", "-computed_at"], name="risk_patient_model_idx")]

    def __str__(self) -> str:
        return f"{self.model} {self.value}"

    @property
    def title(self) -> str:
        title = RISK_TITLES.get(self.model, self.model)
        age_adjusted = self.model == "charlson" and any(p.get("component") == "age" for p in self.basis)
        return f"{title} (age-adjusted)" if age_adjusted else title


RISK_TITLES = {"lace": "LACE index", "hospital": "HOSPITAL score", "charlson": "Charlson comorbidity index"}
