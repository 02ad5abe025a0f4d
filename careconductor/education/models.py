"""Education given to a patient (FHIR DocumentReference per delivery): a material from the library assigned to
them, and each time staff went through it with them, in which format and whether teach-back confirmed
understanding. The materials themselves are files (library.py); an assignment copies what it needs of the
material (slug, title, format, language, reading level) so the record stays readable if the file goes.
Changes only through education.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Patient

from .choices import AssignmentStatus, MaterialFormat, TeachBackResult, Topic


class Assignment(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="education_assignments")
    material_slug = models.CharField(max_length=60)
    title = models.CharField(max_length=200)  # in the language assigned
    topic = models.CharField(max_length=20, choices=Topic.choices)
    format = models.CharField(max_length=20, choices=MaterialFormat.choices)
    language = models.CharField(max_length=8)
    language_fallback = models.BooleanField(
        default=False, help_text="Not in the patient's language: English was given instead."
    )
    reading_level = models.PositiveSmallIntegerField()
    reason = models.TextField(blank=True)
    due = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()
    # The first time the patient (or their proxy) opened it in the portal.
    opened_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-assigned_at", "-pk"]
        indexes = [models.Index(fields=["patient", "status"], name="edu_assignment_patient_idx")]
        constraints = [
            # One waiting assignment of a material per patient; once delivered it can be assigned again.
            models.UniqueConstraint(
                fields=["patient", "material_slug"],
                condition=models.Q(status="assigned"),
                name="edu_one_waiting_assignment",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status != AssignmentStatus.WITHDRAWN


class Delivery(TimestampedModel):
    """One time staff went through the material with the patient."""

    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="deliveries")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="education_deliveries")
    delivered_at = models.DateTimeField()
    delivered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    format_used = models.CharField(max_length=20, choices=MaterialFormat.choices)
    teach_back = models.CharField(max_length=16, choices=TeachBackResult.choices)
    note = models.TextField(blank=True)
    # Print handed over alone to someone who learns another way: the prompt was shown and staff went ahead.
    print_prompt_acknowledged = models.BooleanField(default=False)

    class Meta:
        ordering = ["-delivered_at", "-pk"]

    def __str__(self) -> str:
        return f"delivery {self.pk} of assignment {self.assignment_id}"
