"""The patient's medications as the care team lists them for the patient, and the doses the patient (or a
proxy, or staff) reports taken. Not a prescribing record: it is what the patient is asked to take and when,
so adherence can be followed. Changes only through medications.actions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Patient


class Medication(TimestampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    dose = models.CharField(max_length=200, help_text='e.g. "500 mg tablet"')
    instructions = models.TextField(blank=True, help_text="In plain words, for the patient.")
    # The daily dose times, "HH:MM", sorted (rules.times_problem checks them). Empty: taken as needed, which
    # never counts towards adherence.
    times = models.JSONField(default=list, blank=True)
    start_date = models.DateField()
    # The last day a dose is due (inclusive); empty while the medication goes on.
    end_date = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stopped_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [models.Index(fields=["patient", "start_date"], name="medication_patient_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True) | models.Q(end_date__gte=models.F("start_date")),
                name="medication_ends_after_it_starts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.dose}"

    @property
    def as_needed(self) -> bool:
        return not self.times

    @property
    def stopped(self) -> bool:
        return bool(self.stopped_reason)

    def active_on(self, day: dt.date) -> bool:
        """A dose is due (or, as needed, may be taken) on this day."""
        return self.start_date <= day and (self.end_date is None or day <= self.end_date)

    def current_on(self, day: dt.date) -> bool:
        """On the patient's list as of this day: neither stopped nor past its last day (a course still to
        start is current)."""
        return not self.stopped and (self.end_date is None or day <= self.end_date)


class DoseReport(models.Model):
    """Whether one scheduled dose was taken. One row per medication, day and dose time: answering again for
    the same dose replaces the answer (the last answer counts)."""

    medication = models.ForeignKey(Medication, on_delete=models.PROTECT, related_name="dose_reports")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="+"
    )  # for the (patient, day) index
    day = models.DateField()
    slot = models.CharField(max_length=5)  # "HH:MM", one of the medication's times
    taken = models.BooleanField()
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["day", "slot", "medication_id"]
        indexes = [models.Index(fields=["patient", "day"], name="dosereport_patient_day_idx")]
        constraints = [
            models.UniqueConstraint(fields=["medication", "day", "slot"], name="dose_report_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"medication {self.medication_id} on {self.day} at {self.slot}: {'taken' if self.taken else 'not taken'}"
