from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from careconductor.accounts.choices import Role
from careconductor.core.models import TimestampedModel

from .choices import (
    PURPOSE_WORDS,
    AuditAction,
    AuditOutcome,
    ConsentMethod,
    ConsentStatus,
    ConsentType,
    EmergencyReason,
    ReviewOutcome,
    Sensitivity,
)


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("Audit events are append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only")


class AuditEvent(models.Model):
    """Who did what to which patient's data, when, from where, why, and whether it was allowed.

    Append-only: the queryset and the instance refuse update and delete. Holds ids and codes,
    never free text typed by or about the patient. Hash-chained: `hash` covers every field and the
    previous event's hash, in `seq` order (see privacy.chain), so altering, removing or inserting a row
    breaks the chain that `careconductor audit verify` checks.
    """

    seq = models.BigIntegerField(unique=True, help_text="Position in the hash chain, from 1 with no gaps")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    recorded_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True, help_text="Kept as typed for failed log-ins")
    role = models.CharField(max_length=32, blank=True)
    organization_id_value = models.BigIntegerField(null=True, blank=True, db_column="organization_id")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=50, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    purpose = models.CharField(max_length=32, blank=True, help_text="Purpose of use, e.g. TREAT, OPERATIONS")
    client_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=1, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS)
    detail = models.CharField(max_length=200, blank=True, help_text="A code or short reason, never PHI")

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["patient", "recorded_at"], name="audit_patient_time_idx"),
            models.Index(fields=["user", "recorded_at"], name="audit_user_time_idx"),
        ]
        # The chain starts at 1: an event numbered 0 or below would sit before the genesis, where the walk of
        # `audit verify` (which reads from 1 up) never looked for one (issue 23).
        constraints = [models.CheckConstraint(condition=models.Q(seq__gt=0), name="audit_seq_positive")]

    def __str__(self) -> str:
        return f"{self.recorded_at:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.object_type}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("Audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit events are append-only")

    @property
    def role_words(self) -> str:
        return Role(self.role).label if self.role in Role.values else self.role

    @property
    def purpose_words(self) -> str:
        return PURPOSE_WORDS.get(self.purpose, self.purpose)


class Consent(TimestampedModel):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="consents")
    consent_type = models.CharField(max_length=16, choices=ConsentType.choices)
    status = models.CharField(max_length=16, choices=ConsentStatus.choices, default=ConsentStatus.ACTIVE)
    method = models.CharField(max_length=16, choices=ConsentMethod.choices, default=ConsentMethod.VERBAL)
    given_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    recipient = models.CharField(
        max_length=200, blank=True, help_text="For sharing: the named person or body"
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="When the recipient is a member of staff (e.g. a care team member)",
    )
    scope_note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set from the type (choices.SENSITIVITY_OF_CONSENT) so the policy filters consents like any labelled record.
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.get_consent_type_display()} ({self.get_status_display()})"

    def is_in_force(self, on: dt.date) -> bool:
        return (
            self.status == ConsentStatus.ACTIVE
            and self.given_on <= on
            and (self.expires_on is None or self.expires_on >= on)
        )


class AuditChainHead(models.Model):
    """One row: the last event of the chain. Writers lock it, so events are chained one at a time, and
    `audit verify` compares it with the last row to notice events removed from the end."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    # HMAC over (last_seq, last_hash): moving the head back to an earlier row's (readable) hash is detectable.
    head_mac = models.CharField(max_length=64, default="")

    def __str__(self) -> str:
        return f"audit chain at {self.last_seq}"


class EmergencyAccess(models.Model):
    """Break-the-glass: time-limited access to a patient without a relationship, with a stated reason,
    on the privacy officer's review queue until reviewed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="emergency_accesses"
    )
    reason = models.CharField(max_length=24, choices=EmergencyReason.choices)
    explanation = models.TextField()
    started_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_outcome = models.CharField(max_length=16, choices=ReviewOutcome.choices, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "patient", "expires_at"], name="emergency_user_patient_idx")]

    def __str__(self) -> str:
        return f"emergency access by {self.user_id} to patient {self.patient_id} at {self.started_at:%Y-%m-%d %H:%M}"


class Disclosure(TimestampedModel):
    """A disclosure of a patient's information outside treatment, payment and operations, kept for the
    patient's accounting of disclosures (45 CFR 164.528: date, recipient, what, purpose; 6 years)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="disclosures")
    disclosed_on = models.DateField()
    recipient_name = models.CharField(max_length=200)
    recipient_address = models.CharField(max_length=300, blank=True)
    description = models.CharField(max_length=300, help_text="What information was disclosed")
    purpose = models.CharField(max_length=300, help_text="Why, or a reference to the written request")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A disclosure of a Part 2 record (a letter to a substance use programme) tells that the record exists: the
    # chart shows it only to those who may read the patient's Part 2 records. The accounting lists it whole.
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, blank=True, default="")

    class Meta:
        indexes = [models.Index(fields=["patient", "disclosed_on"], name="disclosure_patient_date_idx")]

    def __str__(self) -> str:
        return f"to {self.recipient_name} on {self.disclosed_on}"
