from __future__ import annotations

from django.db import models


class TimestampedModel(models.Model):
    """Creation and last-change times for every domain row (FHIR meta.lastUpdated comes from here)."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True
