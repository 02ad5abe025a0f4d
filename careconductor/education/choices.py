"""The kinds of things education records hold: topics, formats, teach-back results, assignment states."""

from __future__ import annotations

from django.db import models


class Topic(models.TextChoices):
    DIABETES = "diabetes", "Diabetes"
    HEART_FAILURE = "heart-failure", "Heart failure"
    HYPERTENSION = "hypertension", "High blood pressure"
    DEPRESSION = "depression", "Depression"
    MEDICATIONS = "medications", "Medicine schedules"


class MaterialFormat(models.TextChoices):
    PRINT = "print", "Print"
    VIDEO = "video", "Video"
    AUDIO = "audio", "Audio"
    VISUAL = "visual", "Picture guide"
    INTERACTIVE = "interactive", "Interactive (hands-on)"
    TEACH_BACK = "teach-back", "Teach-back script"


class TeachBackResult(models.TextChoices):
    """clinical.md §6.5: a confirmation technique, not a test of the patient."""

    CONFIRMED = "confirmed", "Teach-back: understanding confirmed"
    NOT_CONFIRMED = "not-confirmed", "Teach-back: not yet understood (re-explain and check again)"
    NOT_DONE = "not-done", "Teach-back not done"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    DELIVERED = "delivered", "Delivered"
    WITHDRAWN = "withdrawn", "Withdrawn"
