"""A care plan per case (FHIR CarePlan): problems → goals → interventions, written with the patient.

The rows below are the plan as it is being worked on. What is in force is a *version*: a snapshot of the
whole plan, numbered, with who made it, when and why, and (where the programme asks for it) who approved it.
The patient's printout, the FHIR CarePlan and any comparison read versions, so a change that is still being
drafted or awaits approval never reaches the patient by accident. Changes only through careplans.actions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.assessments.models import Finding
from careconductor.cases.models import Case
from careconductor.coordination.models import Task
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Condition, Patient

from .choices import (
    Achievement,
    AgreedBy,
    AgreementMethod,
    BarrierKind,
    GoalAgreement,
    GoalLifecycle,
    InterventionKind,
    InterventionStatus,
    OwnerType,
    PlanStatus,
    ProblemSource,
    Proposer,
    ReadingSource,
    VersionStatus,
)
from .measures import MEASURE_CHOICES, Measure, measure


class CarePlan(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_plans")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="care_plans")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Copied from the programme when the plan is made, so a later change of policy does not strand a plan.
    requires_approval = models.BooleanField(default=False)
    # The number of the version in force (0: none yet) and whether the working rows differ from it.
    current_version = models.PositiveIntegerField(default=0)
    has_changes = models.BooleanField(default=False)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "status"], name="careplan_patient_status_idx")]
        constraints = [
            # One plan being worked on per case; a completed or revoked plan can be followed by a new one.
            models.UniqueConstraint(
                fields=["case"],
                condition=models.Q(status__in=["draft", "active"]),
                name="one_open_plan_per_case",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (PlanStatus.DRAFT, PlanStatus.ACTIVE)


class PlanVersion(models.Model):
    """One numbered state of the whole plan, kept for ever: what was in force, or proposed, and why."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=16, choices=VersionStatus.choices)
    content = models.JSONField()
    reason = models.TextField()
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    made_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number")]

    def __str__(self) -> str:
        return f"version {self.number} of plan {self.plan_id}"


class PlanAgreement(models.Model):
    """The patient (or their proxy) reviewed this version of the plan and agreed to it."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="agreements")
    version = models.ForeignKey(PlanVersion, on_delete=models.PROTECT, related_name="agreements")
    agreed_on = models.DateField()
    method = models.CharField(max_length=16, choices=AgreementMethod.choices)
    agreed_by = models.CharField(max_length=16, choices=AgreedBy.choices)
    proxy_name = models.CharField(max_length=200, blank=True)
    proxy_relationship = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"agreement to version {self.version.number} on {self.agreed_on}"

    @property
    def who(self) -> str:
        if self.agreed_by == AgreedBy.PROXY:
            return f"{self.proxy_name} ({self.proxy_relationship})"
        return "the patient"


class Problem(TimestampedModel):
    """A problem or need the plan addresses; points at the Condition (problem-list entry or health concern)."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="problems")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=16, choices=ProblemSource.choices)
    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=200)
    patient_priority = models.BooleanField(default=False, help_text="The patient says this matters most.")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-patient_priority", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["plan", "condition"], name="problem_once_per_plan")]

    def __str__(self) -> str:
        return self.title


class Goal(TimestampedModel):
    """A goal (FHIR Goal) in the patient's own words, with the clinical statement beside it."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="goals")
    problems = models.ManyToManyField(Problem, blank=True, related_name="goals")
    patient_words = models.TextField()
    statement = models.TextField(blank=True)
    proposed_by = models.CharField(max_length=16, choices=Proposer.choices, default=Proposer.PATIENT)
    agreement = models.CharField(
        max_length=16, choices=GoalAgreement.choices, default=GoalAgreement.NOT_ASKED
    )
    patient_rank = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="1 = what the patient wants to work on first."
    )
    measure = models.CharField(max_length=20, choices=MEASURE_CHOICES, default="other")
    measure_text = models.CharField(max_length=200, blank=True)
    baseline_value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    baseline_text = models.CharField(max_length=200, blank=True)
    baseline_on = models.DateField(null=True, blank=True)
    target_value = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    target_text = models.CharField(max_length=200, blank=True)
    due_on = models.DateField(null=True, blank=True)
    lifecycle = models.CharField(max_length=20, choices=GoalLifecycle.choices, default=GoalLifecycle.PROPOSED)
    achievement = models.CharField(max_length=20, choices=Achievement.choices, blank=True)
    achievement_set_at = models.DateTimeField(null=True, blank=True)
    template = models.CharField(max_length=60, blank=True, help_text="The library template it started from.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = [models.F("patient_rank").asc(nulls_last=True), "pk"]
        indexes = [models.Index(fields=["patient", "lifecycle"], name="goal_patient_lifecycle_idx")]

    def __str__(self) -> str:
        return self.patient_words[:80]

    @property
    def measure_def(self) -> Measure:
        return measure(self.measure)

    @property
    def measure_label(self) -> str:
        return self.measure_text if self.measure == "other" and self.measure_text else self.measure_def.label

    @property
    def target_label(self) -> str:
        m = self.measure_def
        if self.target_value is not None and m.numeric:
            sign = "≤" if m.better == "lower" else "≥"
            return f"{m.label} {sign} {_number(self.target_value)}"
        return self.target_text

    @property
    def baseline_label(self) -> str:
        if self.baseline_value is not None:
            return _number(self.baseline_value)
        return self.baseline_text


def _number(value: Any) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class GoalStep(TimestampedModel):
    """A small step towards a large goal, with its own date."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="steps")
    text = models.CharField(max_length=300)
    due_on = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class Barrier(TimestampedModel):
    """What stands in the way of a goal, and what is being done about it."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="barriers")
    kind = models.CharField(max_length=20, choices=BarrierKind.choices)
    description = models.CharField(max_length=300)
    response = models.TextField(blank=True)
    resolved = models.BooleanField(default=False)

    class Meta:
        ordering = ["resolved", "pk"]

    def __str__(self) -> str:
        return self.description


class Intervention(TimestampedModel):
    """What someone does for a goal (FHIR CarePlan.activity). A member of staff who owns one gets a Task when
    the plan (or the version adding it) comes into force; its progress is then the Task's."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="interventions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="interventions"
    )
    kind = models.CharField(max_length=20, choices=InterventionKind.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    owner_type = models.CharField(max_length=16, choices=OwnerType.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    owner_name = models.CharField(max_length=200, blank=True, help_text="The caregiver's name.")
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=InterventionStatus.choices, default=InterventionStatus.NOT_STARTED
    )
    task = models.OneToOneField(
        Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="intervention"
    )

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def owner_label(self) -> str:
        if self.owner_type == OwnerType.STAFF and self.owner is not None:
            return self.owner.display_name()
        if self.owner_type == OwnerType.CAREGIVER:
            return self.owner_name or "A caregiver"
        return "The patient"


class SharedDecision(TimestampedModel):
    """A decision made with the patient: the options weighed, what matters most to them, who took part."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="decisions")
    question = models.CharField(max_length=300)
    # [{"option": str, "benefits": str, "burdens": str}, …] — checked at the edge by forms.SharedDecisionForm.
    options = models.JSONField(default=list)
    what_matters = models.TextField(help_text="In the patient's words.")
    decision = models.TextField()
    participants = models.CharField(max_length=300)
    decided_on = models.DateField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-decided_on", "-pk"]

    def __str__(self) -> str:
        return self.question


class GoalProgress(models.Model):
    """A progress note on a goal, and any achievement status the case manager set with it."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="progress")
    written_at = models.DateTimeField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    achievement = models.CharField(max_length=20, choices=Achievement.choices, blank=True)
    suggested = models.CharField(max_length=20, choices=Achievement.choices, blank=True)

    class Meta:
        ordering = ["-written_at", "-pk"]

    def __str__(self) -> str:
        return f"progress on goal {self.goal_id} at {self.written_at:%Y-%m-%d}"


class Reading(TimestampedModel):
    """A measured value typed in by staff: a lab result, a reading the patient gave by phone, a measurement at a
    visit. Goals whose measure matches pick it up, as they pick up assessment totals (AssessmentScore) without
    a copy here."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="readings")
    measure = models.CharField(max_length=20, choices=MEASURE_CHOICES)
    value = models.DecimalField(max_digits=9, decimal_places=2)
    taken_at = models.DateTimeField()
    source = models.CharField(max_length=16, choices=ReadingSource.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    # The key of a row brought in by a population import ("<source>|<id in the source>"): importing the same file
    # again finds it and writes nothing (population/importing.py). Empty for rows made here.
    source_key = models.CharField(max_length=110, blank=True, editable=False)

    class Meta:
        ordering = ["taken_at", "pk"]
        indexes = [
            models.Index(fields=["patient", "measure", "taken_at"], name="reading_patient_measure_idx")
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.value} at {self.taken_at:%Y-%m-%d}"

    @property
    def day(self) -> dt.date:
        return self.taken_at.date()


class PlanReview(models.Model):
    """A scheduled or event-driven review of the plan with the patient; a review that changes the plan also
    makes a new version."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="reviews")
    reviewed_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField()
    version_number = models.PositiveIntegerField(help_text="The version in force when it was reviewed.")

    class Meta:
        ordering = ["-reviewed_at", "-pk"]

    def __str__(self) -> str:
        return f"review of plan {self.plan_id} at {self.reviewed_at:%Y-%m-%d}"
