from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization, Team
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Patient

from .choices import CaseStatus, ClosureReason, Program, ReferralSource
from .rules import ACUITY_LABELS, OPEN_STATUSES, acuity_points, allowed_targets


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Case(TimestampedModel):
    """A case management episode (FHIR EpisodeOfCare). Status changes only through cases.actions."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases")
    program = models.CharField(max_length=16, choices=Program.choices)
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.REFERRED)
    referral_source = models.CharField(max_length=16, choices=ReferralSource.choices)
    # Kept whole, as the referrer wrote it (cases.rules.MAX_REFERRAL_REASON bounds a paste by mistake).
    referral_reason = models.TextField()
    referred_at = models.DateTimeField()
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="cases")
    primary_case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="managed_cases",
    )
    acuity_tier = models.PositiveSmallIntegerField(default=2, choices=sorted(ACUITY_LABELS.items()))
    enrolled_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(max_length=20, choices=ClosureReason.choices, blank=True)
    closure_reason_other = models.CharField(max_length=200, blank=True)
    closing_summary = models.TextField(blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["primary_case_manager", "status"], name="case_manager_status_idx"),
            models.Index(fields=["organization", "status", "program"], name="case_org_status_prog_idx"),
            models.Index(fields=["organization", "-referred_at", "-id"], name="case_org_referred_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(acuity_tier__gte=1, acuity_tier__lte=4), name="case_tier_1_4"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed") | ~models.Q(closure_reason=""),
                name="closed_case_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_program_display()} for {self.patient}"

    @property
    def acuity_points(self) -> int:
        return acuity_points(self.acuity_tier)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def allowed_targets(self) -> list[CaseStatus]:
        return sorted(allowed_targets(CaseStatus(self.status)), key=list(CaseStatus).index)


class CaseStatusChange(models.Model):
    """Who moved the case, when and why. Written by the action that changes the status."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=CaseStatus.choices)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or 'new'} → {self.to_status} at {self.changed_at:%Y-%m-%d %H:%M}"


class CaseAssignment(models.Model):
    """Each assignment of a case manager, with the suggestion's rank and any override reason."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    case_manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField()
    suggested_rank = models.PositiveIntegerField(null=True, blank=True, help_text="1 = the top suggestion")
    was_eligible = models.BooleanField(default=True)
    override_reason = models.TextField(blank=True)
    # Why the case changed hands (a bulk reassignment or a deactivation), kept with each case it moved.
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["assigned_at", "pk"]

    def __str__(self) -> str:
        return f"case {self.case_id} to user {self.case_manager_id} at {self.assigned_at:%Y-%m-%d %H:%M}"


class ProgramSetting(TimestampedModel):
    """One organisation's rules for one programme, set on the administrator's Programmes page. A programme
    without a row follows the installation's defaults (CARECONDUCTOR_PLAN_APPROVAL and _CLOSURE_APPROVAL)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="program_settings")
    program = models.CharField(max_length=16, choices=Program.choices)
    plan_approval = models.BooleanField(help_text="A supervisor approves each care plan and revision")
    closure_approval = models.BooleanField(help_text="A supervisor approves closing a case")
    # Days between reassessments by instrument slug, where the programme differs from the default.
    reassessment_days = models.JSONField(default=dict, blank=True)
    discharge_referral_lace = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Refer a patient discharged without an open case when LACE is at least this (empty: never)",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "program"], name="program_setting_unique_in_org")
        ]

    def __str__(self) -> str:
        return f"{self.get_program_display()} in organisation {self.organization_id}"


class CoverQuerySet(models.QuerySet["Cover"]):
    def in_force(self, day: dt.date) -> CoverQuerySet:
        """Covers running on `day` (both ends inclusive), not cancelled."""
        return self.filter(start_date__lte=day, end_date__gte=day, cancelled_at__isnull=True)


class Cover(TimestampedModel):
    """A colleague covers an absent case manager's due work between two dates (both inclusive, in the
    organisation's time zone). Written only by cases.cover; privacy.policy lets the delegate open the absent
    person's patients while it is in force, and the delegate's worklist shows their due work."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    absent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covers")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="covering")
    start_date = models.DateField()
    end_date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = CoverQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "pk"]
        indexes = [
            models.Index(fields=["delegate", "end_date"], name="cover_delegate_end_idx"),
            models.Index(fields=["absent", "end_date"], name="cover_absent_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="cover_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~models.Q(absent=models.F("delegate")), name="cover_not_oneself"
            ),
        ]

    def __str__(self) -> str:
        return f"user {self.delegate_id} covers user {self.absent_id} {self.start_date}–{self.end_date}"
