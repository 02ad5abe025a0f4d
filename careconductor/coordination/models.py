from __future__ import annotations

from django.conf import settings
from django.db import models

from careconductor.accounts.models import Organization, Team
from careconductor.cases.choices import ClosureReason
from careconductor.core.models import TimestampedModel
from careconductor.patients.models import Patient
from careconductor.privacy.choices import Sensitivity

from . import hooks
from .choices import (
    INTERACTIVE_MODES,
    ClosureStatus,
    ContactDirection,
    ContactMode,
    ContactParty,
    FlagCategory,
    FlagStatus,
    InterpreterUse,
    MedsTaken,
    NotificationKind,
    OutreachStep,
    TaskKind,
    TaskPriority,
    TaskStatus,
    TeachBack,
    TimeActivity,
)
from .rules import OPEN


class TaskQuerySet(models.QuerySet["Task"]):
    def open(self) -> TaskQuerySet:
        return self.filter(status__in=OPEN)


class Task(TimestampedModel):
    """A work item for a person (FHIR Task), raised by a rule or by hand. Changed only through
    coordination.actions; its status moves only along rules.TRANSITIONS."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="tasks")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    kind = models.CharField(max_length=24, choices=TaskKind.choices, default=TaskKind.OTHER)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.REQUESTED)
    priority = models.CharField(max_length=8, choices=TaskPriority.choices, default=TaskPriority.ROUTINE)
    # A task belongs to a person, or waits in a team's queue until someone claims it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="task_queue")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rule = models.CharField(max_length=64, blank=True, help_text="The rule that raised it, if any")
    # An open task lets its owner open the patient's chart only when it was given by someone with a standing
    # relationship (privacy.policy): work given under one's own emergency access passes no access on.
    grants_access = models.BooleanField(default=True)
    focus = models.CharField(
        max_length=100, blank=True, help_text='What it is about, e.g. "QuestionnaireResponse/12"'
    )
    due_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # One piece of work given to several people (a same-day safety follow-up for the case manager and a copy for
    # the supervisor): the copies point at the first task, and completing any of them completes them all.
    copy_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    # Work about a sensitive record (a step of a goal for a Part 2 problem) carries its label: its title names
    # it. Shown, like the record, only as privacy.policy allows; given only to someone who may read it.
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, blank=True, default="")

    objects = TaskQuerySet.as_manager()
    OPEN_STATUSES = sorted(OPEN)  # for privacy.policy, which reaches this model through apps.get_model

    class Meta:
        indexes = [
            models.Index(fields=["owner", "status", "due_at"], name="task_owner_status_due_idx"),
            models.Index(fields=["team", "status", "due_at"], name="task_team_status_due_idx"),
            models.Index(fields=["patient", "status"], name="task_patient_status_idx"),
            models.Index(fields=["status", "due_at"], name="task_status_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(owner__isnull=False) | models.Q(team__isnull=False),
                name="task_has_owner_or_team",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def in_queue(self) -> bool:
        return self.owner_id is None

    @property
    def rule_label(self) -> str:
        return hooks.rule_label(self.rule) if self.rule else ""

    def owner_label(self) -> str:
        if self.owner_id and self.owner:
            return self.owner.display_name()
        return f"{self.team} queue" if self.team_id else "nobody"


class Flag(TimestampedModel):
    """An alert on a patient (FHIR Flag) raised by a rule, shown on the chart until a person acknowledges it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="flags")
    category = models.CharField(max_length=16, choices=FlagCategory.choices, default=FlagCategory.SAFETY)
    text = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=FlagStatus.choices, default=FlagStatus.ACTIVE)
    rule = models.CharField(max_length=64, blank=True)
    focus = models.CharField(max_length=100, blank=True)
    raised_at = models.DateTimeField()
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledgement = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["patient", "status"], name="flag_patient_status_idx")]

    def __str__(self) -> str:
        return self.text


class TaskReassignment(models.Model):
    """Each hand-over of a task (to a person, to a queue, or claimed from a queue), with the reason."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reassignments")
    from_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    from_team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_team = models.ForeignKey(Team, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"task {self.task_id} reassigned at {self.at:%Y-%m-%d %H:%M}"


class Contact(TimestampedModel):
    """One contact or attempt with the patient or about them (FHIR Communication). Reached contacts reset the
    follow-up cadence; failed attempts feed the unable-to-reach protocol."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="contact_log")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    contact_at = models.DateTimeField()
    mode = models.CharField(max_length=12, choices=ContactMode.choices)
    direction = models.CharField(max_length=10, choices=ContactDirection.choices)
    party = models.CharField(max_length=12, choices=ContactParty.choices, default=ContactParty.PATIENT)
    party_name = models.CharField(max_length=200, blank=True)
    interpreter = models.CharField(max_length=16, choices=InterpreterUse.choices, blank=True)
    reached = models.BooleanField()
    minutes = models.PositiveSmallIntegerField(default=0)
    patient_words = models.TextField(blank=True, help_text="What the patient said, in their own words")
    meds_taken = models.CharField(max_length=8, choices=MedsTaken.choices, blank=True)
    symptoms = models.TextField(blank=True)
    goal_progress = models.TextField(blank=True)
    barriers = models.TextField(blank=True)
    education = models.TextField(blank=True)
    teach_back = models.CharField(max_length=16, choices=TeachBack.choices, blank=True)
    next_steps = models.TextField(blank=True)
    # A contact about a sensitive record (a call with the opioid treatment programme) carries its label.
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, blank=True, default="")

    class Meta:
        indexes = [
            models.Index(fields=["patient", "-contact_at"], name="contact_patient_time_idx"),
            models.Index(fields=["case", "reached", "-contact_at"], name="contact_case_reached_idx"),
            models.Index(fields=["organization", "contact_at"], name="contact_org_time_idx"),
            # Failed attempts alone, for the unable-to-reach steps (the worklist, the team view): a fifth of the
            # log, read without the rows (issue 18: 125 -> 18 ms for the team's count at 100,000 patients).
            models.Index(
                fields=["patient", "contact_at"],
                condition=models.Q(reached=False, direction=ContactDirection.OUTBOUND),
                name="contact_failed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(minutes__lte=600), name="contact_minutes_sane"),
        ]

    def __str__(self) -> str:
        outcome = "reached" if self.reached else "not reached"
        return f"{self.get_mode_display()} {self.contact_at:%Y-%m-%d %H:%M}, {outcome}"

    @property
    def is_interactive(self) -> bool:
        return self.reached and self.mode in INTERACTIVE_MODES


class TimeEntry(TimestampedModel):
    """Care-management minutes that are not a contact (reviewing records, calling the pharmacy, planning).
    Together with contact minutes they make the monthly time report; a minute is entered once."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="time_entries")
    case = models.ForeignKey(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="time_entries"
    )
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    on = models.DateField()
    activity = models.CharField(max_length=16, choices=TimeActivity.choices)
    minutes = models.PositiveSmallIntegerField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "on"], name="time_org_on_idx"),
            models.Index(fields=["patient", "on"], name="time_patient_on_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gte=1, minutes__lte=600), name="time_minutes_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.minutes} min {self.activity} on {self.on}"


class CadenceRule(TimestampedModel):
    """How often a programme's patients at an acuity tier must be contacted, how and by whom. Without a row
    the defaults in rules.DEFAULT_CADENCE_DAYS apply."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    program = models.CharField(max_length=16)
    acuity_tier = models.PositiveSmallIntegerField()
    interval_days = models.PositiveSmallIntegerField()
    mode = models.CharField(max_length=12, choices=ContactMode.choices, default=ContactMode.PHONE)
    by_whom = models.CharField(max_length=100, blank=True, help_text="e.g. nurse case manager")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "program", "acuity_tier"], name="cadence_one_per_tier"
            ),
            models.CheckConstraint(
                condition=models.Q(interval_days__gte=1, interval_days__lte=366), name="cadence_days_sane"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} tier {self.acuity_tier}: every {self.interval_days} days"


class Holiday(models.Model):
    """A day the organisation does not count as a business day, besides the public holidays of its country
    (settings.HOLIDAY_COUNTRY)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "date"], name="holiday_once")]
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class OutreachAttempt(TimestampedModel):
    """A step of the unable-to-reach protocol done for a case (the letter, the caregiver, the PCP)."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="outreach_steps")
    step = models.CharField(max_length=12, choices=OutreachStep.choices)
    done_at = models.DateTimeField()
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["done_at", "pk"]

    def __str__(self) -> str:
        return f"{self.step} for case {self.case_id}"


class ClosureRequest(TimestampedModel):
    """A case manager's request to close a case in a programme that needs the supervisor's approval, with the
    closing summary the approval sends to the care team."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="closure_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=ClosureReason.choices)
    reason_other = models.CharField(max_length=200, blank=True)
    summary = models.TextField()
    takes_over = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ClosureStatus.choices, default=ClosureStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(status="pending"), name="closure_one_pending"
            )
        ]

    def __str__(self) -> str:
        return f"closure of case {self.case_id} ({self.status})"


class Notification(models.Model):
    """A message for one user: always shown in the app; sent by e-mail or SMS as the user chose."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    # The patient it is about, if any: the inbox shows the details only while the user may still read them.
    patient = models.ForeignKey(Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    sms_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_idx")]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """What a user wants by e-mail or SMS, per kind. No row: e-mail on, SMS off."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    email = models.BooleanField(default=True)
    sms = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}"


class NoteMention(models.Model):
    """A colleague named with @username in a chart note (coordination.mentions). Made with the note, in its
    transaction, only for someone who may read that note; the staff inbox lists them. Read or unread is the
    notification's `read_at`, so the inbox, the notifications page and the top bar's count agree."""

    note = models.ForeignKey("patients.Note", on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    notification = models.OneToOneField(
        Notification, on_delete=models.SET_NULL, null=True, blank=True, related_name="mention"
    )
    notified_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["note", "user"], name="note_mention_once")]
        indexes = [models.Index(fields=["user", "-notified_at"], name="note_mention_user_idx")]

    def __str__(self) -> str:
        return f"note {self.note_id} mentions {self.user_id}"
