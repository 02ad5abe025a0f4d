"""The state a demo run builds patients into: the rows of one chunk (`Tables`), an open case as its work needs it
(`OpenCase`), and what every step of the builder shares: the random generators, the staff, the dates
(`BuilderBase`). The steps build on it: patient_details, case_work, case_history, then generator's `_Builder`."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Protocol

from django.utils import timezone

from careconductor.accounts.models import Organization, User
from careconductor.cases.choices import Program
from careconductor.cases.models import Case, CaseAssignment, CaseStatusChange
from careconductor.coordination.escalation import escalation_delays
from careconductor.coordination.models import Contact, OutreachAttempt, Task, TimeEntry
from careconductor.core import clock
from careconductor.core.bulk_rows import Table
from careconductor.patients.models import (
    CareTeamMember,
    Condition,
    Coverage,
    Encounter,
    Patient,
    PatientContact,
    PatientIdentifier,
)
from careconductor.privacy.models import Consent

from .staff import Assigner, create_staff


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


class Tables:
    """The rows of one chunk, by model; flushed parents first."""

    def __init__(self, moment: dt.datetime) -> None:
        m = moment
        self.patients = Table(
            Patient,
            "id organization_id given_name family_name birth_date sex preferred_language interpreter_needed "
            "phone email address_line city state postal_code preferred_contact_method preferred_contact_times "
            "learning_preferences health_literacy_concern deceased_date search_names phone_digits last_reached_at",
            m,
        )
        self.cases = Table(
            Case,
            "id organization_id patient_id program status referral_source referral_reason referred_at team_id "
            "primary_case_manager_id acuity_tier enrolled_at closed_at closure_reason closure_reason_other "
            "closing_summary",
            m,
        )
        self.identifiers = Table(PatientIdentifier, "patient_id organization_id system value label", m)
        self.contacts = Table(
            PatientContact, "patient_id name relationship phone is_caregiver is_emergency_contact", m
        )
        self.coverages = Table(Coverage, "patient_id kind payer plan_name member_id start_date end_date", m)
        self.conditions = Table(Condition, "patient_id icd10_code display onset_date", m)
        self.encounters = Table(
            Encounter,
            "patient_id encounter_class facility start end admission_type discharge_disposition reason source",
            m,
        )
        self.care_team = Table(CareTeamMember, "patient_id user_id role start_date", m)
        self.consents = Table(
            Consent, "patient_id consent_type status method given_on recorded_by_id scope_note", m
        )
        self.status_changes = Table(
            CaseStatusChange, "case_id from_status to_status changed_at changed_by_id note", m
        )
        self.assignments = Table(
            CaseAssignment,
            "case_id case_manager_id assigned_by_id assigned_at suggested_rank was_eligible",
            m,
        )
        self.contact_log = Table(
            Contact,
            "organization_id patient_id case_id staff_id contact_at mode direction party party_name reached "
            "minutes patient_words meds_taken goal_progress next_steps",
            m,
        )
        self.outreach = Table(OutreachAttempt, "case_id step done_at done_by_id note", m)
        self.time_entries = Table(
            TimeEntry, "organization_id patient_id case_id staff_id on activity minutes note", m
        )
        self.tasks = Table(
            Task,
            "organization_id patient_id case_id kind title status priority owner_id team_id requester_id "
            "due_at completed_at escalated_at escalated_to_id note",
            m,
        )

    def all(self) -> dict[str, Table]:
        return {name: table for name, table in vars(self).items() if isinstance(table, Table)}


@dataclass(frozen=True, slots=True)
class OpenCase:
    """An open case, as its contact log, time entries and tasks need it."""

    case_id: int
    patient_id: int
    staff_id: int  # the case manager
    team: int  # index into the teams
    supervisor_id: int
    program: Program
    tier: int


class BuilderBase:
    """One run's generators, staff and dates, and the rows of the chunk being built."""

    def __init__(
        self,
        org: Organization,
        rng: random.Random,
        n_patients: int,
        out: Writer,
        started: float,
        activity: random.Random,
    ) -> None:
        self.org_id = org.pk
        self.rng = rng
        self.activity = activity
        self.n_patients = n_patients
        self.out = out
        self.started = started
        self.now = clock.now()
        self.today = clock.today()
        self.tz = timezone.get_current_timezone()
        self.tables = Tables(self.now)
        self.staff = create_staff(org, rng, n_patients)
        self.casemanager = self.staff.managers[0]
        self.assigner = Assigner(rng, self.staff.managers)
        # Care team members are drawn so that each keeps a believable panel at any size.
        self.p_physician = min(0.3, 1500 / n_patients)
        self.p_pharmacist = min(0.25, 600 / n_patients)
        self.p_social_worker = min(0.2, 400 / n_patients)
        self.case_ids: list[int] = []
        # Each patient's latest reached contact, as the contact actions store it (Patient.last_reached_at): the
        # case work writes the contacts before the patient's row is added, which takes it from here.
        self.last_reached: dict[int, dt.datetime] = {}
        self.escalation = {p: dt.timedelta(hours=h) for p, h in escalation_delays().items()}
        self.supervisor_names = {
            u.pk: u.display_name() for u in User.objects.filter(pk__in=self.staff.supervisor_ids)
        }

    def counts(self) -> dict[str, int]:
        return {"users": self.staff.user_count} | {name: t.inserted for name, t in self.tables.all().items()}

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def at(self, days_ago: int, first_hour: int, last_hour: int) -> dt.datetime:
        """A moment on that day between the hours, never later than now."""
        hour, minute = (
            self.rng.randint(first_hour, last_hour),
            self.rng.choice((0, 10, 15, 20, 30, 40, 45, 50)),
        )
        return min(dt.datetime.combine(self.day(days_ago), dt.time(hour, minute), tzinfo=self.tz), self.now)

    def _moment(self, days_ago: int, hour: int, minute: int) -> dt.datetime:
        moment = dt.datetime.combine(self.day(days_ago), dt.time(hour, minute), tzinfo=self.tz)
        return min(moment, self.now) if days_ago <= 0 else moment
