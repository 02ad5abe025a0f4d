"""Population health's rows (issue 22): each member's latest risk tier with its reasons and the facts behind it
(written whole by each stratification run), and the runs themselves (when, how long, how many per tier)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization
from careconductor.patients.models import Patient


class MemberRisk(models.Model):
    # No foreign key constraints in the database: a run writes up to a million rows, each taken from a member read
    # in the same transaction, and PostgreSQL checked two deferred constraints per row at commit (a third of a
    # first run's time). Django's on_delete still removes a member's row with them.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, related_name="risk_tier", db_constraint=False
    )
    tier = models.PositiveSmallIntegerField(help_text="4 intensive, 3 high, 2 rising, 1 low (stratify_rules)")
    reasons = models.JSONField(default=list, help_text="The facts that put the member in the tier, in words")
    admissions_12m = models.PositiveSmallIntegerField(default=0)
    ed_visits_12m = models.PositiveSmallIntegerField(default=0)
    readmitted_30d = models.BooleanField(default=False)
    chronic_conditions = models.PositiveSmallIntegerField(default=0)
    charlson = models.PositiveSmallIntegerField(default=0)
    ambulatory_visits_12m = models.PositiveSmallIntegerField(default=0)
    last_lace = models.SmallIntegerField(null=True, blank=True)
    conditions = models.JSONField(
        default=list, help_text="Condition words (registry_rules.CONDITIONS) the member has"
    )
    active_medications = models.PositiveSmallIntegerField(default=0)
    last_hospital = models.SmallIntegerField(null=True, blank=True)
    # Since when the facts are as they are: a run writes only the members whose facts or tier changed.
    social_needs = models.PositiveSmallIntegerField(
        default=0, help_text="Open social needs: health concerns and ICD-10-CM Z55-Z65 codes, each need once"
    )
    hba1c_gap = models.BooleanField(default=False, help_text="Diabetes and no HbA1c result in 6 months")
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
    changed = models.PositiveIntegerField(
        default=0, help_text="Members whose facts or tier were new or changed"
    )
    tiers = models.JSONField(default=dict, help_text='Members per tier: {"4": 120, "3": 800, …}')
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["organization", "-started_at"], name="stratification_run_idx")]

    def __str__(self) -> str:
        return f"stratification of {self.members} members at {self.started_at:%Y-%m-%d %H:%M}"


class Registry(models.Model):
    """A named list of members defined by a rule (registry_rules), re-run nightly after the stratification and on
    demand. A FHIR Group of its current members."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    rule = models.TextField(help_text="As written (registry_rules); parsed again at each run")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        auto_now=True, help_text="Its last run or change (FHIR Group _lastUpdated)"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="registry_name_unique")]

    def __str__(self) -> str:
        return self.name


class RegistryMember(models.Model):
    """A member's stay in a registry: entered on the run that first found them, left on the first that did not
    (left_on empty while they are in it). A member who comes back gets a new row."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="stays")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    entered_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["registry", "left_on"], name="registry_member_idx")]

    def __str__(self) -> str:
        return f"patient {self.patient_id} in {self.registry_id} from {self.entered_on}"


class RegistryCount(models.Model):
    """The registry's size after each day's run (the last run of the day), for its chart."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="counts")
    on = models.DateField()
    members = models.PositiveIntegerField()
    entered = models.PositiveIntegerField(default=0)
    left = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registry", "on"], name="registry_count_day")]

    def __str__(self) -> str:
        return f"{self.members} in {self.registry_id} on {self.on}"


class RegistryReferral(models.Model):
    """A case opened from a registry: the referral the outcomes count back to the list that found the member."""

    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="referrals")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="registry_referral")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    referred_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"case {self.case_id} from registry {self.registry_id}"


class ImportRun(models.Model):
    """An import an administrator started on the import page: the files wait in the data folder until the worker
    has imported them (then they are removed), and the page follows its progress and shows the report."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for the worker"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Stopped by an error"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=40)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    files = models.JSONField(default=list, help_text="The uploaded files' names, in import order")
    lines_total = models.PositiveBigIntegerField(default=0)
    lines_read = models.PositiveBigIntegerField(default=0)
    current_file = models.CharField(max_length=255, blank=True)
    reports = models.JSONField(default=list, help_text="One report a file (importing.FileReport as a dict)")
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-started_at"], name="import_run_idx")]

    def __str__(self) -> str:
        return f"import of {len(self.files)} files from {self.source} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return min(99, round(100 * self.lines_read / self.lines_total)) if self.lines_total else 0


class Campaign(models.Model):
    """An outreach campaign to members a registry found (campaigns.py): a call list the team works through on the
    campaign's page, letters by mail or text-message invitations; each member's answer tracked, and those who say
    yes referred into the programme it invites them to."""

    class Channel(models.TextChoices):
        CALL = "call", "Phone calls from the campaign's call list"
        LETTER = "letter", "Letters by mail"
        SMS = "sms", "Text-message invitations"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=120)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    program = models.CharField(max_length=20, help_text="The programme the members are invited to")
    team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        help_text="The team that makes the calls and records the answers (policy.campaign_rows)",
    )  # fmt: skip
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="campaign_name_unique")]

    def __str__(self) -> str:
        return self.name


class CampaignMember(models.Model):
    """A member in a campaign: invited (on the call list, or a letter or a text sent), then what they answered
    (campaign_rules.RESPONSES), and the case opened when they said yes."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="members")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, help_text="campaign_rules.STATUSES")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Calls that reached no one")
    letter = models.OneToOneField(
        "letters.Letter", on_delete=models.SET_NULL, null=True, blank=True, related_name="campaign_invitation"
    )
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the letter or text went out")
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    case = models.OneToOneField(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="campaign_member"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "patient"], name="campaign_member_unique")]
        indexes = [models.Index(fields=["campaign", "status"], name="campaign_member_status_idx")]

    def __str__(self) -> str:
        return f"patient {self.patient_id} in campaign {self.campaign_id}: {self.status}"
