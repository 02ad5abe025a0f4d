"""The words of medication reconciliation: where a reconciliation stands, what is decided about a line, and
the discrepancy a line shows (reconciliation_rules.discrepancies decides it)."""

from __future__ import annotations

from django.db import models


class OrderSource(models.TextChoices):
    """Where a medicine on a discharge list, or a pharmacy fill, came from."""

    TYPED = "typed", "Typed in"
    FHIR = "fhir", "FHIR API"
    HL7 = "hl7", "ADT feed"


class ReconciliationStatus(models.TextChoices):
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"


class Decision(models.TextChoices):
    CONTINUE = "continue", "Continue"
    STOP = "stop", "Stop"
    CHANGE_DOSE = "change-dose", "Change dose"
    NEW = "new", "New"


class Discrepancy(models.TextChoices):
    NONE = "none", "None"
    OMISSION = "omission", "Omission"
    DUPLICATION = "duplication", "Duplication"
    DOSE_MISMATCH = "dose-mismatch", "Dose mismatch"
    STOPPED_BUT_TAKEN = "stopped-but-taken", "Stopped but taken"
