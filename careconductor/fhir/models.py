from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.core.models import TimestampedModel


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


class Subscription(TimestampedModel):
    """An R4 Subscriptions backport subscription (interop.md §6) of an API client, staff or a partner
    organisation's system, to the referral Task topic: notifications are POSTed to its rest-hook endpoint
    (subscriptions.py). Changed only through subscriptions.do_* functions."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACTIVE = "active", "Active"
        ERROR = "error", "Error"
        OFF = "off", "Off"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.REQUESTED)
    topic = models.CharField(max_length=200)
    # Each filter as (parameter, modifier, value), all of which must match (backport-filter-criteria, AND).
    filters = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    endpoint = models.URLField(max_length=500)
    # "Name: value" lines sent with every POST (channel.header); never shown back in full.
    headers = models.JSONField(default=list, blank=True)
    content = models.CharField(max_length=16, default="id-only")
    timeout_seconds = models.PositiveSmallIntegerField(default=10)
    end = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    events_since_start = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"Subscription/{self.pk} ({self.status})"


class SubscriptionEvent(models.Model):
    """One event of a subscription, numbered from 1 (events-since-subscription-start), kept so that a subscriber
    who missed a notification can find the gap and ask for it again."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="events")
    number = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    focus = models.CharField(max_length=100, help_text="e.g. Task/referral-12")
    context = models.CharField(max_length=100, blank=True, help_text="e.g. ServiceRequest/12")
    attempts = models.PositiveSmallIntegerField(default=0)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["subscription", "number"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "number"], name="subscription_event_number_once")
        ]

    def __str__(self) -> str:
        return f"event {self.number} of {self.subscription_id}"


class ExportJob(models.Model):
    """A FHIR Bulk Data `$export` (interop.md §2): asked for by an API client, run by the worker through the same
    mappers and access policy as a search (bulk.py), its NDJSON files kept in the data folder until the client
    deletes the job or it expires."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        RUNNING = "running", "Running"
        COMPLETED = "completed", "Completed"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True)
    # Who may poll and fetch it: the API token that asked, or the SMART client (its tokens last minutes).
    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE, null=True, related_name="+")
    app = models.ForeignKey("smart.SmartApp", on_delete=models.CASCADE, null=True, related_name="+")
    scopes = models.JSONField(default=list, help_text="The scopes granted when it was asked for")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, help_text="system, patient or group")
    group_id = models.CharField(max_length=64, blank=True)
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    progress = models.CharField(max_length=100, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(
        default=list, help_text='[{"type": "Patient", "file": "Patient.ndjson", "count": 12}]'
    )
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"$export {self.id} ({self.status})"
