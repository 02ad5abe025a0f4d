"""Prior-authorisation requests and what happens to them (issue 21). Changes only through um.actions; reads through
um.queries, which ask the access policy (a UM reviewer or medical director reads the requests of their own
organisation, never the chart; the member's case staff read them on the chart)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Coverage, Patient
from careconductor.privacy.choices import Sensitivity

from . import rules
from .choices import (
    DONE_LABELS,
    PEND_RULE_LABELS,
    PLAN_TYPE_LABELS,
    REASON_LABELS,
    STATUS_LABELS,
    STEP_LABELS,
    URGENCY_LABELS,
    AppealOutcome,
    AskedBy,
    ExtensionAskedBy,
    NoticeKind,
    NoticeRecipient,
    Setting,
    Source,
    choices,
)


class UmSettings(models.Model):
    """An organisation's UM rules: which clock applies, what it does while a request waits for information,
    and how long a member or provider has to appeal."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="um_settings")
    plan_type = models.CharField(
        max_length=24, choices=choices(PLAN_TYPE_LABELS), default=rules.PlanType.MEDICARE_ADVANTAGE.value
    )
    pend_rule = models.CharField(
        max_length=16, choices=choices(PEND_RULE_LABELS), default=rules.PendRule.CLOCK_RUNS.value
    )
    appeal_days = models.PositiveSmallIntegerField(default=rules.APPEAL_DAYS)

    def __str__(self) -> str:
        return f"UM settings of organisation {self.organization_id}"


class AuthRequest(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="auth_requests")
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    source = models.CharField(max_length=12, choices=Source.choices)
    setting = models.CharField(max_length=12, choices=Setting.choices, default=Setting.OUTPATIENT)
    urgency = models.CharField(max_length=12, choices=choices(URGENCY_LABELS))
    expedited_asked_by = models.CharField(max_length=10, choices=AskedBy.choices, blank=True)
    plan_type = models.CharField(max_length=24, choices=choices(PLAN_TYPE_LABELS))
    pend_rule = models.CharField(max_length=16, choices=choices(PEND_RULE_LABELS))
    received_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="When the decision is due (rules.due_at), kept for the worklist.")
    # When what is awaited now is due: the decision while the request is open, the appeal's decision while it is
    # appealed, nothing once decided. The worklist reads it in order from its index, so it stays fast however
    # many requests were decided before.
    waiting_due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=choices(STATUS_LABELS), default=rules.Status.RECEIVED.value
    )
    requesting_provider = models.CharField(max_length=200)
    requesting_npi = models.CharField(max_length=10, blank=True)
    servicing_provider = models.CharField(max_length=200)
    place_of_service = models.CharField(max_length=2)
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes")
    clinical_notes = models.TextField(blank=True)
    sensitivity = models.CharField(max_length=20, choices=Sensitivity.choices, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A partner's own identifier (a PAS Claim's), so a request sent twice is recognised.
    external_id = models.CharField(max_length=100, blank=True)
    # Review.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    criteria_set = models.CharField(max_length=80, blank=True)
    criteria_answers = models.JSONField(default=dict, blank=True)
    criteria_met = models.BooleanField(null=True, blank=True)
    peer_to_peer_offered_at = models.DateTimeField(null=True, blank=True)
    peer_to_peer_held_at = models.DateTimeField(null=True, blank=True)
    peer_to_peer_note = models.TextField(blank=True)
    # Decision.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The first decision (approved, partially approved or denied), kept when an appeal moves the status on: the
    # yearly figures count it.
    decision = models.CharField(max_length=20, choices=choices(STATUS_LABELS), blank=True)
    reason = models.CharField(max_length=24, choices=choices(REASON_LABELS), blank=True)
    decision_note = models.TextField(blank=True)
    auth_number = models.CharField(max_length=20, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    breached_at = models.DateTimeField(
        null=True, blank=True, help_text="When the sweep found it past due and told the medical director."
    )
    # The decision's time frame extended once (rules.MAX_EXTENSION_DAYS), with its notice to the member.
    extended_at = models.DateTimeField(null=True, blank=True)
    extension_days = models.PositiveSmallIntegerField(default=0)
    extension_asked_by = models.CharField(max_length=8, choices=ExtensionAskedBy.choices, blank=True)
    extension_reason = models.TextField(blank=True)
    # Concurrent review of an inpatient stay.
    admitted_on = models.DateField(null=True, blank=True)
    expected_stay_days = models.PositiveSmallIntegerField(null=True, blank=True)
    next_review_on = models.DateField(null=True, blank=True)
    stay_days_denied = models.PositiveSmallIntegerField(
        default=0,
        help_text="Days a concurrent review did not grant (a partial denial; an overturned appeal adds them).",
    )
    referred_case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["organization", "status", "due_at"], name="um_request_work_idx"),
            # With the sensitivity and the member: the worklist's count (100,000 open requests) reads the index alone.
            models.Index(
                fields=["organization", "waiting_due_at", "sensitivity", "patient"],
                name="um_request_waiting_idx",
            ),
            models.Index(fields=["organization", "decided_at"], name="um_request_decided_idx"),
            models.Index(fields=["organization", "next_review_on"], name="um_request_review_idx"),
            models.Index(fields=["patient", "received_at"], name="um_request_patient_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.status in rules.OPEN:
            self.waiting_due_at = self.due_at
        elif self.status != rules.Status.APPEALED:  # an appeal's due time is set when it is filed
            self.waiting_due_at = None
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        return f"PA-{self.pk:06d}"

    @property
    def is_open(self) -> bool:
        """Waiting for a decision: the first one, or the appeal's."""
        return self.status in rules.OPEN or self.status == rules.Status.APPEALED

    @property
    def facts(self) -> rules.Facts:
        return rules.Facts(
            status=rules.Status(self.status),
            criteria_met=self.criteria_met,
            decided_by=self.decided_by_id,
            decided_at=self.decided_at,
            reviewer=self.reviewer_id,
            extended=self.extended_at is not None,
        )


class RequestedService(models.Model):
    request = models.ForeignKey(AuthRequest, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField(
        max_length=12, help_text="CPT or HCPCS (a wrong one is kept for the pend to name)"
    )
    description = models.CharField(max_length=200, blank=True)
    units = models.PositiveIntegerField()
    start = models.DateField(null=True, blank=True)
    end = models.DateField(null=True, blank=True)
    approved_units = models.PositiveIntegerField(null=True, blank=True)
    # The partner's item number (a PAS Claim's item.sequence), which its answers are matched by.
    sequence = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.code} x {self.units}"


class PendPeriod(models.Model):
    """A time the request waited for information from the provider."""

    request = models.ForeignKey(AuthRequest, on_delete=models.CASCADE, related_name="pends")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    asked = models.TextField(help_text="What the provider was asked for.")
    reply_due_on = models.DateField()

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return f"pended {self.started_at:%Y-%m-%d}"


class Attachment(models.Model):
    """A faxed or uploaded document kept with the request (checked by engagement's attachment rules)."""

    request = models.ForeignKey(AuthRequest, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="um/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Step(models.Model):
    """The request's history: every move, with who made it and why."""

    request = models.ForeignKey(AuthRequest, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    move = models.CharField(max_length=20, choices=[*STEP_LABELS.items(), *choices(DONE_LABELS)])
    to_status = models.CharField(max_length=20, choices=choices(STATUS_LABELS))
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.move} at {self.at:%Y-%m-%d %H:%M}"


class Appeal(TimestampedModel):
    request = models.OneToOneField(AuthRequest, on_delete=models.CASCADE, related_name="appeal")
    filed_by = models.CharField(max_length=10, choices=NoticeRecipient.choices)
    filed_at = models.DateTimeField()
    urgency = models.CharField(max_length=12, choices=choices(URGENCY_LABELS))
    due_at = models.DateTimeField()
    grounds = models.TextField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=12, choices=AppealOutcome.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)


class Notice(models.Model):
    """A letter sent about the request, kept as it went out (its PDF is made from this)."""

    request = models.ForeignKey(AuthRequest, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    recipient = models.CharField(max_length=10, choices=NoticeRecipient.choices)
    language = models.CharField(max_length=8)
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)
    letterhead = models.JSONField(default=dict)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return self.subject
