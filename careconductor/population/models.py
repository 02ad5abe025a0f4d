"""Population health's rows (issue 22): each member's latest risk tier with its reasons and the facts behind it
(written whole by each stratification run), and the runs themselves (when, how long, how many per tier)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.patients.models import Patient


class MemberRisk(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="risk_tier")
    tier = models.PositiveSmallIntegerField(help_text="4 intensive, 3 high, 2 rising, 1 low (stratify_rules)")
    reasons = models.JSONField(default=list, help_text="The facts that put the member in the tier, in words")
    admissions_12m = models.PositiveSmallIntegerField(default=0)
    ed_visits_12m = models.PositiveSmallIntegerField(default=0)
    readmitted_30d = models.BooleanField(default=False)
    chronic_conditions = models.PositiveSmallIntegerField(default=0)
    charlson = models.PositiveSmallIntegerField(default=0)
    ambulatory_visits_12m = models.PositiveSmallIntegerField(default=0)
    last_lace = models.SmallIntegerField(null=True, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["organization", "tier"], name="member_risk_tier_idx")]

    def __str__(self) -> str:
        return f"tier {self.tier} for patient {self.patient_id}"


class StratificationRun(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    seconds = models.FloatField()
    members = models.PositiveIntegerField()
    tiers = models.JSONField(default=dict, help_text='Members per tier: {"4": 120, "3": 800, …}')
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["organization", "-started_at"], name="stratification_run_idx")]

    def __str__(self) -> str:
        return f"stratification of {self.members} members at {self.started_at:%Y-%m-%d %H:%M}"
