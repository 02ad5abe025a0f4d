"""A referral (FHIR ServiceRequest with its referral-management Task, the Gravity SDOH pattern of clinical.md
§10.1) to a directory service or a person, its history of status changes, its attachments, the single-use links
a receiving organisation without an account answers through, and the partner log-ins that see only referrals sent
to their organisation. Changes only through referrals.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel
from careconductor.directory.choices import Need
from careconductor.patients.models import Patient
from careconductor.privacy.choices import Sensitivity

from .choices import Actor, DeclineReason, Origin, ReferralStatus, Urgency


class Referral(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    status = models.CharField(max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    need = models.CharField(max_length=32, choices=Need.choices)
    reason = models.TextField()
    # To a directory service, or to a person (a name and how to reach them) when the service is not listed.
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    recipient_name = models.CharField(max_length=200, blank=True)
    recipient_contact = models.CharField(
        max_length=200, blank=True, help_text="E-mail or phone of the person."
    )
    recipient_hipaa_covered = models.BooleanField(default=False)
    # Where it started.
    origin = models.CharField(max_length=16, choices=Origin.choices, default=Origin.CHART)
    intervention = models.ForeignKey(
        "careplans.Intervention", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    barrier = models.ForeignKey(
        "careplans.Barrier", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    goal = models.ForeignKey(
        "careplans.Goal", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    finding = models.ForeignKey(
        "assessments.Finding", on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals"
    )
    # A referral for substance use treatment says the patient has a substance use disorder: it is a Part 2 record
    # (clinical.md §9.4), read only by those who may read the patient's Part 2 records, and sent only with a
    # Part 2 consent naming the organisation.
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, blank=True, default="")
    shared = models.JSONField(default=list, blank=True)  # choices.SharedItem values
    consent = models.ForeignKey(
        "privacy.Consent", on_delete=models.PROTECT, null=True, blank=True, related_name="referrals"
    )
    patient_instructions = models.TextField(
        blank=True, help_text="What the patient should bring or do, shown to them in the portal."
    )
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # What the receiving side said.
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True, help_text="The date the organisation proposed.")
    outcome_note = models.TextField(blank=True)
    # Something came back (a decline, a no-show, an outcome, a cancellation by the organisation): it waits on
    # the case manager's worklist until they have read it and put it on the plan.
    needs_attention = models.BooleanField(default=False)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "status"], name="referral_patient_status_idx"),
            models.Index(fields=["service", "status"], name="referral_service_status_idx"),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.status})"

    @property
    def recipient(self) -> str:
        if self.service is not None:
            return f"{self.service.name} at {self.service.provider.name}"
        return self.recipient_name


class ReferralEvent(models.Model):
    """One change of a referral's status, with who made it and when (never changed or deleted)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    from_status = models.CharField(max_length=16, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    actor = models.CharField(max_length=16, choices=Actor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status}"


class ReferralAttachment(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    data = models.BinaryField()
    added_at = models.DateTimeField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class PartnerLink(models.Model):
    """A secure link for an organisation without an account: tied to one referral, good for one answer and
    until it expires. Only the token's SHA-256 is kept."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"link for referral {self.referral_id}"


class PartnerAccount(models.Model):
    """A limited log-in for a receiving organisation: its users see only referrals sent to its services."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner")
    provider = models.ForeignKey(
        "directory.Provider", on_delete=models.PROTECT, related_name="partner_accounts"
    )

    def __str__(self) -> str:
        return f"{self.user} for {self.provider}"
