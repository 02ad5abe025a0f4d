from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Patient

from .choices import FlagCategory, FlagStatus, TaskKind, TaskPriority, TaskStatus
from .rules import OPEN


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        return self.filter(status__in=OPEN)


class Task(TimestampedModel):
    """A work item for a person (FHIR Task), raised by a rule or by hand. Changed only through
    coordination.actions; its status moves only along rules.TRANSITIONS."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="tasks")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    kind = models.CharField(max_length=24, choices=TaskKind.choices, default=TaskKind.OTHER)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.REQUESTED)
    priority = models.CharField(max_length=8, choices=TaskPriority.choices, default=TaskPriority.ROUTINE)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tasks")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule = models.CharField(max_length=64, blank=True, help_text="The rule that raised it, if any")
    focus = models.CharField(
        max_length=100, blank=True, help_text='What it is about, e.g. "QuestionnaireResponse/12"'
    )
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="task_owner_status_due_idx"),
            models.Index(fields=["patient", "status"], name="task_patient_status_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


class Flag(TimestampedModel):
    """An alert on a patient (FHIR Flag) raised by a rule, shown on the chart until a person acknowledges it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    category = models.CharField(max_length=16, choices=FlagCategory.choices, default=FlagCategory.SAFETY)
    text = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=FlagStatus.choices, default=FlagStatus.ACTIVE)
    rule = models.CharField(max_length=64, blank=True)
    focus = models.CharField(max_length=100, blank=True)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledgement = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "status"], name="flag_patient_status_idx")]

    def __str__(self) -> str:
        return self.text
