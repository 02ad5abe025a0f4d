"""What patients and their proxies bring through the portal: invitations and proxy grants, goal and
well-being check-ins, thresholds for their readings, secure messages with attachments, and the days they
used the portal. Readings themselves are careplans.Reading rows (source self-report), so goals measured by
them show the value at once; alerts are coordination.Flag rows with an urgent coordination.Task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from careconductor.accounts.models import Organization
from careconductor.cases.choices import Program
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Patient

from .choices import CheckInKind, GoalRating, InvitationKind, ProxyRelationship, ThresholdMeasure


class ProxyGrant(TimestampedModel):
    """A person the patient allows to use the portal for them (a caregiver, a daughter). Active from the moment
    the proxy accepts the invitation until the patient revokes it; the patient's word alone grants and revokes."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="proxy_grants")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=16, choices=ProxyRelationship.choices)
    email = models.EmailField(blank=True)
    proxy = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="proxy_for"
    )
    granted_at = models.DateTimeField()
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at", "-pk"]
        indexes = [models.Index(fields=["proxy", "revoked_at"], name="proxy_grant_proxy_idx")]

    def __str__(self) -> str:
        return f"{self.name} for patient {self.patient_id}"

    @property
    def is_active(self) -> bool:
        return self.proxy_id is not None and self.revoked_at is None

    @property
    def is_pending(self) -> bool:
        return self.proxy_id is None and self.revoked_at is None


class PortalInvitation(TimestampedModel):
    """A one-time link to make a portal log-in: for the patient (sent by the case manager) or for a proxy
    (sent by the patient). Only a hash of the secret is kept; the link works once, until it expires."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="portal_invitations")
    kind = models.CharField(max_length=8, choices=InvitationKind.choices)
    grant = models.ForeignKey(
        ProxyGrant, on_delete=models.PROTECT, null=True, blank=True, related_name="invitations"
    )
    email = models.EmailField(blank=True)
    secret_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=InvitationKind.PATIENT, grant__isnull=True)
                | Q(kind=InvitationKind.PROXY, grant__isnull=False),
                name="invitation_proxy_has_grant",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} invitation for patient {self.patient_id}"


class CheckIn(TimestampedModel):
    """A quick report between contacts: how a goal went this week, or mood and symptoms today (FHIR Observation,
    category survey)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="check_ins")
    kind = models.CharField(max_length=12, choices=CheckInKind.choices)
    goal = models.ForeignKey(
        "careplans.Goal", on_delete=models.PROTECT, null=True, blank=True, related_name="check_ins"
    )
    rating = models.CharField(max_length=12, choices=GoalRating.choices, blank=True)
    mood = models.PositiveSmallIntegerField(null=True, blank=True, help_text="1 (very low) to 5 (very good)")
    symptoms = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    reported_at = models.DateTimeField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-reported_at", "-pk"]
        indexes = [models.Index(fields=["patient", "reported_at"], name="checkin_patient_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=CheckInKind.GOAL, goal__isnull=False) | Q(kind=CheckInKind.WELLBEING),
                name="checkin_goal_has_goal",
            ),
            models.CheckConstraint(
                condition=Q(mood__isnull=True) | Q(mood__gte=1, mood__lte=5), name="checkin_mood_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} check-in of patient {self.patient_id}"


class Threshold(TimestampedModel):
    """When a self-reported value should raise an alert. A row with a patient is that patient's own; a row
    without one is the organisation's default for a programme (blank programme: every programme). Without
    a row, the defaults in rules.DEFAULT_THRESHOLDS apply."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="thresholds"
    )
    program = models.CharField(max_length=32, blank=True)
    measure = models.CharField(max_length=20, choices=ThresholdMeasure.choices)
    low = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    high = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "measure"],
                condition=Q(patient__isnull=False),
                name="threshold_one_per_patient",
            ),
            models.UniqueConstraint(
                fields=["organization", "program", "measure"],
                condition=Q(patient__isnull=True),
                name="threshold_one_per_program",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=False) | Q(high__isnull=False), name="threshold_has_a_limit"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.measure} threshold ({self.low}–{self.high})"

    @property
    def program_label(self) -> str:
        return Program(self.program).label if self.program in Program.values else self.program


class Message(TimestampedModel):
    """A secure message between the patient (or their proxy) and the care team (FHIR Communication). Read
    once by the other side: a patient's message is read when someone on the team opens it."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="portal_messages")
    from_patient = models.BooleanField(help_text="Sent by the patient or their proxy, not by staff")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(max_length=120)
    body = models.TextField()
    sent_at = models.DateTimeField()
    reply_to = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replies"
    )
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "sent_at"], name="message_patient_idx"),
            models.Index(fields=["from_patient", "read_at", "patient"], name="message_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.subject


class MessageAttachment(models.Model):
    """A picture or PDF sent with a message. Kept outside the static files and served only through a view
    that checks access."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="attachments/%Y/%m/")
    name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class PortalUse(models.Model):
    """One row per person and day they opened the portal for a patient: engagement is 'days since last use'."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="portal_use")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["patient", "user", "day"], name="portal_use_once_a_day")
        ]
        indexes = [models.Index(fields=["patient", "day"], name="portal_use_patient_idx")]

    def __str__(self) -> str:
        return f"portal use for patient {self.patient_id} on {self.day}"
