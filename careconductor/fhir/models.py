from __future__ import annotations

from django.db import models


class ResourceVersion(models.Model):
    """One kept version of a resource as the API served it: what `vread` and `_history` answer.

    Written when a change commits (versions.py), whichever screen, client or job made it, so a version holds
    the resource with all its parts as they were then. Rows loaded in bulk (the demo) have no kept first
    version; the current version is always built from the live row."""

    resource_type = models.CharField(max_length=40)
    resource_id = models.CharField(max_length=64)
    version_id = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()
    method = models.CharField(max_length=8, help_text="POST for the first version, PUT after")
    patient_id = models.BigIntegerField(null=True, blank=True, help_text="Whose data, for the access check")
    body = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource_type", "resource_id", "version_id"], name="resource_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource_type}/{self.resource_id}/_history/{self.version_id}"
