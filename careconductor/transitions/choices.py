from __future__ import annotations

from django.db import models


class Outcome(models.TextChoices):
    """What became of an ADT message (its acknowledgement in brackets)."""

    APPLIED = "applied", "Applied (AA)"
    HELD = "held", "Waiting for a patient match (AA)"
    ERROR = "error", "Not applied (AE)"
    REJECTED = "rejected", "Rejected, unreadable (AR)"


ACK_CODES = {Outcome.APPLIED: "AA", Outcome.HELD: "AA", Outcome.ERROR: "AE", Outcome.REJECTED: "AR"}
