"""A letter printed or sent from the chart, kept as it went out: what was sent is what is shown later, whatever
the templates say by then. Changes only through letters.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Patient

from .choices import Delivery, LetterKind, RecipientKind


class Letter(TimestampedModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="letters")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, null=True, blank=True, related_name="letters"
    )
    kind = models.CharField(max_length=20, choices=LetterKind.choices)
    language = models.CharField(max_length=8)
    recipient_kind = models.CharField(max_length=12, choices=RecipientKind.choices)
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.TextField(blank=True)
    # The letter as it went out: the letterhead's words at the time, the subject and the body.
    letterhead = models.JSONField(default=dict)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    template_source = models.CharField(max_length=10, help_text="shipped, or the deployer's own file")
    delivery = models.CharField(max_length=10, choices=Delivery.choices)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # What the letter is about.
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.PROTECT, null=True, blank=True, related_name="letters"
    )
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="letters"
    )
    outreach = models.OneToOneField(
        "coordination.OutreachAttempt",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="letter",
        help_text="The unable-to-reach protocol's letter step this letter is.",
    )
    # Set when the letter went to someone other than the patient (the accounting of disclosures).
    disclosure = models.OneToOneField(
        "privacy.Disclosure", on_delete=models.PROTECT, null=True, blank=True, related_name="letter"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["patient", "sent_at"], name="letter_patient_sent_idx")]

    def __str__(self) -> str:
        return f"{self.kind} letter {self.pk}"
