from __future__ import annotations

from typing import Any

from django.db import models


class TimestampedModel(models.Model):
    """Creation and last-change times and a version number for every domain row. FHIR's meta.lastUpdated
    and meta.versionId come from here, so `If-Match` works whichever screen or client made the change."""

    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            self.version = (self.version or 0) + 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version", "updated_at"}
        super().save(*args, **kwargs)
