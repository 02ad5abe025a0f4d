"""The patient's medications as the care team lists them for the patient, and the doses the patient (or a
proxy, or staff) reports taken. Not a prescribing record: it is what the patient is asked to take and when,
so adherence can be followed. Reconciliations compare that list with a discharge list, line by line, and
their completion makes the confirmed list the schedule. Changes only through medications.actions."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from careconductor.coordination.models import Task
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Encounter, Patient

from .choices import Decision, Discrepancy, OrderSource, ReconciliationStatus


class Medication(TimestampedModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=200)
    rxnorm = models.CharField(max_length=20, blank=True, help_text="RxNorm code (RXCUI), when known")
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


class Reconciliation(TimestampedModel):
    """Medication reconciliation of a patient, at a transition (a discharge Encounter) or on its own: the
    patient's own list and the discharge list side by side, a decision on every line, done with the patient
    and whoever else took part. At most one in progress per patient."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="reconciliations")
    # A cancelled discharge (A13) deletes its Encounter; the reconciliation stays, no longer tied to a visit.
    encounter = models.ForeignKey(
        Encounter, on_delete=models.SET_NULL, null=True, blank=True, related_name="reconciliations"
    )
    status = models.CharField(
        max_length=16, choices=ReconciliationStatus.choices, default=ReconciliationStatus.IN_PROGRESS
    )
    started_at = models.DateTimeField()
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    participants = models.CharField(
        max_length=300,
        blank=True,
        help_text='Who took part, e.g. "the patient, her daughter, Kevin Tran PharmD"',
    )

    class Meta:
        verbose_name = "medication reconciliation"
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="in-progress"),
                name="reconciliation_one_in_progress",
            ),
            models.CheckConstraint(
                condition=models.Q(status="in-progress") | models.Q(completed_at__isnull=False),
                name="reconciliation_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"medication reconciliation {self.pk} of patient {self.patient_id} ({self.status})"

    @property
    def completed(self) -> bool:
        return self.status == ReconciliationStatus.COMPLETED


class ReconciliationLine(TimestampedModel):
    """One medicine in a reconciliation: as the patient's own list has it (with its Medication row), as the
    discharge list has it, whether the patient says they take it, the discrepancy between them (kept up to date
    by the actions from reconciliation_rules), and what was decided."""

    reconciliation = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="lines")
    name = models.CharField(max_length=200)
    rxnorm = models.CharField(max_length=20, blank=True, help_text="RxNorm code (RXCUI), when given")
    # The patient's own list: the Medication row and its dose; no row and no dose when it is not on it.
    medication = models.ForeignKey(
        Medication, on_delete=models.PROTECT, null=True, blank=True, related_name="reconciliation_lines"
    )
    own_dose = models.CharField(max_length=200, blank=True)
    # The discharge list: whether it names the medicine, the dose it gives, or that it says to stop it.
    on_discharge_list = models.BooleanField(default=False)
    discharge_dose = models.CharField(max_length=200, blank=True)
    discharge_says_stop = models.BooleanField(default=False)
    patient_takes = models.BooleanField(null=True, blank=True)  # None: not asked yet
    discrepancy = models.CharField(max_length=20, choices=Discrepancy.choices, default=Discrepancy.NONE)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    new_dose = models.CharField(max_length=200, blank=True)
    new_times = models.JSONField(default=list, blank=True)  # "HH:MM" daily times for a new or changed dose
    note = models.TextField(blank=True)
    barrier = models.CharField(
        max_length=200, blank=True, help_text='A cost or access barrier, e.g. "can\'t afford", "no ride"'
    )
    # The barrier as the care plan keeps it (kind and response), when it was put on a goal of the plan.
    plan_barrier = models.ForeignKey(
        "careplans.Barrier", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["reconciliation", "pk"]

    def __str__(self) -> str:
        return f"{self.name} in reconciliation {self.reconciliation_id}"

    @property
    def on_own_list(self) -> bool:
        return self.medication_id is not None

    @property
    def decided(self) -> bool:
        return bool(self.decision)


class DischargeMedication(TimestampedModel):
    """A medicine on a discharge list as it came: typed on the reconciliation screen, posted as a FHIR
    MedicationRequest, or sent on the ADT feed (RXE/RXO segments). The reconciliation of its stay takes it as a
    discharge-list line (`line`); one that arrives while a reconciliation is in progress joins it at once.
    Kept as sent even when the line is decided otherwise: it is what the hospital said (FHIR MedicationRequest,
    intent order, category discharge)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="discharge_medications")
    # The stay it ends; a cancelled discharge (A13) deletes the Encounter and the list stays, no longer tied.
    encounter = models.ForeignKey(
        Encounter, on_delete=models.SET_NULL, null=True, blank=True, related_name="discharge_medications"
    )
    name = models.CharField(max_length=200)
    rxnorm = models.CharField(max_length=20, blank=True, help_text="RxNorm code (RXCUI), when given")
    dose = models.CharField(max_length=200, blank=True)
    instructions = models.TextField(blank=True)
    says_stop = models.BooleanField(default=False)  # the list says to stop it (FHIR doNotPerform)
    source = models.CharField(max_length=8, choices=OrderSource.choices)
    reference = models.CharField(max_length=200, blank=True, help_text="The feed and message, or the client")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    line = models.ForeignKey(
        "ReconciliationLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="discharge_orders",
    )

    class Meta:
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["patient", "recorded_at"], name="dischargemed_patient_idx")]

    def __str__(self) -> str:
        return f"{self.name} {'(stop)' if self.says_stop else self.dose} on a discharge list"


class PharmacyFill(models.Model):
    """A dispensing a pharmacy reported on the feed (RDS^O13, RXD): what was filled, when, for how many days.
    The reconciliation screen shows the last fill of each medicine, so "takes it" can be weighed against
    whether it was ever picked up."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="pharmacy_fills")
    name = models.CharField(max_length=200)
    rxnorm = models.CharField(max_length=20, blank=True)
    dose = models.CharField(max_length=200, blank=True)
    quantity = models.CharField(max_length=40, blank=True)
    days_supply = models.PositiveIntegerField(null=True, blank=True)
    filled_on = models.DateField()
    pharmacy = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-filled_on", "pk"]
        indexes = [models.Index(fields=["patient", "filled_on"], name="pharmacyfill_patient_idx")]

    def __str__(self) -> str:
        return f"{self.name} filled {self.filled_on}"
