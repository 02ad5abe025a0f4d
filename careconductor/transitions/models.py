"""HL7 v2 ADT feeds, the messages they send (kept raw, with what each did) and the hospital stays they describe.
Changes only through transitions.actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Encounter, Patient

from .choices import ACK_CODES, Outcome


class Feed(TimestampedModel):
    """A hospital's interface engine sending ADT. Messages are matched to a feed by MSH-4 (sending facility);
    the feed's own account is the user its changes are recorded under."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="adt_feeds")
    name = models.CharField(max_length=200, help_text="The hospital, as staff know it")
    sending_facility = models.CharField(
        max_length=100, unique=True, help_text="MSH-4 of its messages, e.g. STMARYS"
    )
    mrn_authority = models.CharField(
        max_length=100, help_text="PID-3's assigning authority for the hospital's MRN, e.g. STMARYS"
    )
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="adt_feed"
    )
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name

    @property
    def mrn_system(self) -> str:
        """The identifier system under which the hospital's MRNs are kept on our patients."""
        return f"urn:careconductor:hl7v2:{self.sending_facility}:mrn"


class HospitalVisit(TimestampedModel):
    """One stay or visit as the hospital numbers it (PV1-19), and the Encounter it is recorded as."""

    feed = models.ForeignKey(Feed, on_delete=models.PROTECT, related_name="visits")
    visit_number = models.CharField(max_length=64)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="hospital_visits")
    encounter = models.OneToOneField(
        Encounter, on_delete=models.SET_NULL, null=True, blank=True, related_name="hospital_visit"
    )
    location = models.CharField(max_length=100, blank=True)
    prior_location = models.CharField(max_length=100, blank=True)
    attending = models.CharField(max_length=100, blank=True)
    hospital_service = models.CharField(max_length=40, blank=True)
    diagnoses = models.JSONField(default=list, blank=True, help_text="DG1 codes: code, text, system, kind")
    cancelled = models.BooleanField(
        default=False, help_text="The admission or registration was cancelled (A11)"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "visit_number"], name="hospital_visit_unique_in_feed")
        ]

    def __str__(self) -> str:
        return f"{self.feed} visit {self.visit_number}"


class AdtMessage(models.Model):
    """A message as received (raw), with its outcome and acknowledgement. A message sent again (same feed and
    MSH-10) is answered as the first time and changes nothing."""

    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    feed = models.ForeignKey(Feed, on_delete=models.PROTECT, null=True, blank=True, related_name="messages")
    sending_facility = models.CharField(max_length=100, blank=True)
    control_id = models.CharField(max_length=64, blank=True)
    trigger = models.CharField(max_length=8, blank=True, help_text="A01, A03 …")
    raw = models.TextField()
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why it was held, not applied or rejected"
    )
    effect = models.CharField(max_length=300, blank=True, help_text="What it did, in words")
    patient = models.ForeignKey(
        Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="adt_messages"
    )
    visit = models.ForeignKey(
        HospitalVisit, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages"
    )
    patient_key = models.CharField(
        max_length=100, blank=True, help_text="The hospital MRN the message names (held messages wait on it)"
    )
    candidates = models.JSONField(
        default=list, blank=True, help_text="Patients it may be, for the match queue"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["feed", "control_id"],
                condition=models.Q(feed__isnull=False),
                name="adt_message_once_per_feed",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "outcome", "received_at"], name="adt_message_outcome_idx"),
            models.Index(fields=["feed", "patient_key", "outcome"], name="adt_message_waiting_idx"),
        ]

    def __str__(self) -> str:
        return f"ADT^{self.trigger} {self.control_id} ({self.get_outcome_display()})"

    @property
    def ack_code(self) -> str:
        return ACK_CODES[Outcome(self.outcome)]
