"""A deterministic synthetic organisation for demos, training and benchmarks (`careconductor demo`).

Everything is drawn from one `random.Random(seed)` and dated relative to the clock, so a seed always builds the
same staff, patients, conditions, encounters and cases. Rows are inserted a chunk of patients at a time in one
transaction. The `do_*` actions are bypassed on purpose: they check access and write an audit row per change,
which would take hours at 100,000 patients. The generator keeps their invariants itself instead: status
histories follow cases.rules.TRANSITIONS, an enrolled case has a case manager and an enrolment consent given no
later than enrolment, tier 3-4 cases go to proficient or expert staff. One audit event records the run.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from dataclasses import dataclass
from typing import Protocol

from django.db import connection, transaction
from django.utils import timezone

from careconductor.accounts.choices import ExperienceLevel
from careconductor.accounts.models import Organization, User
from careconductor.cases.choices import CaseStatus, ClosureReason, Program, ReferralSource
from careconductor.cases.models import Case, CaseAssignment, CaseStatusChange
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.coordination.choices import (
    ContactDirection,
    ContactMode,
    ContactParty,
    MedsTaken,
    OutreachStep,
    TaskKind,
    TaskPriority,
    TaskStatus,
    TimeActivity,
)
from careconductor.coordination.escalation import escalation_delays
from careconductor.coordination.models import Contact, OutreachAttempt, Task, TimeEntry
from careconductor.coordination.rules import DEFAULT_CADENCE_DAYS
from careconductor.core import clock
from careconductor.patients.choices import (
    MRN_SYSTEM,
    AdmissionType,
    ContactMethod,
    ContactRelationship,
    CoverageKind,
    EncounterClass,
    LearningPreference,
    Sex,
)
from careconductor.patients.models import (
    CareTeamMember,
    Condition,
    Coverage,
    Encounter,
    Patient,
    PatientContact,
    PatientIdentifier,
)
from careconductor.patients.rules import digits, search_key
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentStatus, ConsentType
from careconductor.privacy.models import Consent

from . import clinical, data, narrative
from .assessments import add_assessment_scenarios
from .careplans import add_care_plan_scenarios
from .caseloads import add_caseload_scenarios
from .clinical import SHOWCASE, History, Timeline
from .coordination import add_coordination_scenarios
from .data import BEHAVIORAL, Weighted, medicare_id, member_number
from .education import add_education_scenarios
from .engagement import add_engagement_scenarios
from .fhir import add_fhir_scenario
from .fhir import usage as fhir_usage
from .mentions import add_mention_scenarios
from .merge import add_merge_scenario
from .privacy import add_privacy_scenarios
from .rows import Table, reserve_ids
from .setup import add_allergy_scenarios, add_setup_scenarios
from .staff import PASSWORD, Assigner, DemoError, Login, Manager, create_staff, demo_logins

__all__ = ["DEFAULT_PATIENTS", "DEFAULT_SEED", "ORGANIZATION_NAME", "PASSWORD", "DemoError", "build_demo"]

ORGANIZATION_NAME = "Riverside Health Partners"
DEFAULT_PATIENTS = 200
DEFAULT_SEED = 2026
CHUNK = 5_000  # patients built and inserted together, to bound memory
PROGRESS_EVERY = 10_000
MEDICARE_SYSTEM = "http://hl7.org/fhir/sid/us-mbi"
MEDICAID_SYSTEM = "urn:careconductor:demo:medicaid"
S = CaseStatus

LANGUAGE = Weighted(data.PATIENT_LANGUAGES)
TOWN = Weighted(data.TOWNS)
CONTACT_METHOD = Weighted(data.CONTACT_METHODS)
LEARNING = tuple(LearningPreference.values)
OLD_COVERAGE = Weighted({"medicare": 30, "medicare_advantage": 40, "dual": 18, "commercial": 12})
YOUNG_COVERAGE = Weighted({"medicaid": 55, "commercial": 37, "dual": 8})
HOSPITAL = Weighted(dict(zip(data.HOSPITALS, (60, 25, 15), strict=True)))
DISPOSITION = Weighted(data.DISCHARGE_DISPOSITIONS)
ADMISSION = Weighted({AdmissionType.EMERGENCY: 70, AdmissionType.URGENT: 20, AdmissionType.ELECTIVE: 10})
SOURCES = {program: Weighted(weights) for program, weights in data.REFERRAL_SOURCES.items()}
CLOSURE = Weighted(data.CLOSURE_REASONS)
CONSENT_METHOD = Weighted({ConsentMethod.VERBAL: 60, ConsentMethod.WRITTEN: 30, ConsentMethod.ELECTRONIC: 10})
CONTACT_COUNT = Weighted({0: 30, 1: 50, 2: 20})
RELATIONSHIP = Weighted(data.RELATIONSHIPS)
FAMILY = (ContactRelationship.SPOUSE, ContactRelationship.CHILD)

# The work on open cases (contact log, time entries, tasks) covers about four months.
HISTORY_DAYS = 120
# Days between reached contacts: coordination.rules.DEFAULT_CADENCE_DAYS, and the behavioural programme's own
# tier-3 row that coordination.py adds.
CADENCE_OVERRIDES = {(Program.BEHAVIOURAL, 3): 10}
UNREACHABLE, OVERDUE = 0.05, 0.10  # of active cases: 3+ failed attempts since the last success; simply late
MISSED_FIRST = 0.25  # a reached contact that took one or two failed attempts first
OPEN_TASK, DONE_TASK, QUEUE_TASK = 0.13, 0.3, 0.0008  # per active or on-hold case
MINUTES = (0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55)
BANDS = ((8, 11), (12, 16), (17, 19))  # morning, afternoon, evening (coordination.rules.time_of_day)
REACHED_MODE = Weighted(
    {ContactMode.PHONE: 80, ContactMode.IN_PERSON: 10, ContactMode.VIDEO: 5, ContactMode.PORTAL: 5}
)
MEDS = Weighted({MedsTaken.ALL: 55, MedsTaken.NOT_DISCUSSED: 25, MedsTaken.SOME: 17, MedsTaken.NONE: 3})
OPEN_TASK_STATUS = Weighted({TaskStatus.REQUESTED: 55, TaskStatus.ACCEPTED: 10, TaskStatus.IN_PROGRESS: 35})
URGENT_PRIORITY = Weighted({TaskPriority.URGENT: 80, TaskPriority.ASAP: 20})
TIME_ACTIVITY = tuple(TimeActivity.values)
PATIENT_WORDS = (
    "About the same as last time.",
    "My sugars are better since I eat breakfast.",
    "I ran out of the water pill for two days.",
    "The new inhaler helps at night.",
    "I'm tired of all these appointments.",
    "My son drives me to the clinic now.",
    "I weigh myself every morning like you said.",
    "The pharmacy mixed up my refill again.",
    "I've been walking after dinner.",
    "I don't sleep well; my knees hurt.",
)
GOAL_PROGRESS = ("On track.", "Some progress; keeps trying.", "No progress this time.", "This step is met.")
NEXT_STEPS = (
    "Call again at the usual time.",
    "Check the refill went through.",
    "Confirm the PCP appointment.",
    "Mail the low-salt recipes.",
    "Ask the pharmacist about the pill times.",
    "Review the weight log on the next call.",
)
NOT_REACHED = (
    "Left a voicemail with the call-back number.",
    "No answer, no voicemail.",
    "Line busy.",
    "A relative answered; the patient was out.",
)
CAREGIVERS = ("Daughter", "Son", "Wife", "Husband", "Granddaughter", "Neighbour")
TIME_NOTES = (
    "Reviewed the discharge papers and labs",
    "Called the pharmacy about refills",
    "Updated the care plan",
    "Sent records to the specialist",
    "Arranged transport for an appointment",
    "",
)
ROUTINE_TASKS = (
    (TaskKind.FOLLOW_UP, "Confirm the PCP follow-up appointment"),
    (TaskKind.FOLLOW_UP, "Check the lab results came back"),
    (TaskKind.FOLLOW_UP, "Follow up on the home-health referral"),
    (TaskKind.OTHER, "Call the pharmacy about the refill"),
    (TaskKind.OTHER, "Arrange transport to the cardiology visit"),
    (TaskKind.OTHER, "Send the blood-pressure log to the PCP"),
    (TaskKind.OTHER, "Request the hospital records"),
    (TaskKind.OTHER, "Check the scale was delivered"),
)
URGENT_TASKS = (
    "Swelling and weight gain reported: confirm the PCP saw the message",
    "Out of insulin since yesterday: get an emergency supply",
    "Caregiver says the patient is confused: arrange a same-day review",
)


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...


class _Silent:
    def write(self, text: str, /) -> object:
        return None


def build_demo(
    *, patients: int = DEFAULT_PATIENTS, seed: int = DEFAULT_SEED, out: Writer | None = None
) -> dict[str, int]:
    """Build the demo organisation unless it exists, printing progress and the logins to `out`.
    Returns the rows created by table (empty when the demo was already there)."""
    if patients < 1:
        raise DemoError("The demo needs at least one patient.")
    out = out or _Silent()
    started = time.perf_counter()
    with transaction.atomic():
        org = Organization.objects.filter(name=ORGANIZATION_NAME).first()
        if org is not None:
            present = Patient.objects.filter(organization=org).count()
            out.write(f"demo data already present: {ORGANIZATION_NAME} with {present:,} patients\n")
            write_logins(out, demo_logins(org))
            return {}
        # A newcomer should see the product at once, not first set up an authenticator app: the demo
        # organisation asks for no second factor (an admin turns it on under Security). Real
        # organisations start with it required for every staff role.
        org = Organization.objects.create(name=ORGANIZATION_NAME, mfa_required_roles=[])
        # The case work comes from its own generator, so adding it left the rest of the demo as it was.
        activity = random.Random(f"{seed}:activity")
        builder = _Builder(org, random.Random(seed), patients, out, started, activity)
        builder.run()
        scenarios = add_privacy_scenarios(org)
        out.write(
            f"Privacy scenarios: {scenarios} records (emergency access to review, disclosures, Part 2).\n"
        )
        add_fhir_scenario(org)
        assessed = add_assessment_scenarios(org)
        out.write(
            f"Assessment scenarios: {assessed} assessments (PHQ-9 trend, social needs, a safety task, a complex grid).\n"
        )
        planned = add_care_plan_scenarios(org)
        out.write(
            f"Care plan scenarios: {planned} plans (from a social-needs screen, a goal the PHQ-9s say is met, "
            "one awaiting approval, an overdue review).\n"
        )
        coordinated = add_coordination_scenarios(org)
        out.write(
            f"Coordination scenarios: {coordinated} records (a morning's worklist: overdue and due contacts, "
            "a discharge on the last business day, an unable-to-reach patient, urgent and queued tasks, a closure to approve, "
            "care teams and a month of time).\n"
        )
        taught = add_education_scenarios(org)
        engaged = add_engagement_scenarios(org)
        out.write(
            f"Portal and education scenarios: {engaged} reports, messages and log-ins (a blood pressure past its "
            f"limit this morning, unread messages, a proxy, a heart-failure weight gain), {taught} materials given.\n"
        )
        set_up = add_setup_scenarios(org)
        add_merge_scenario(org, out)
        add_caseload_scenarios(org, out)
        add_mention_scenarios(org, out)
        allergies = add_allergy_scenarios(org)
        out.write(
            f"Set-up scenarios: {set_up} (teams receiving their programmes, transitional care's own rules, "
            f"a community health worker invited who has not joined yet); {allergies} allergy entries.\n"
        )
        audit.record(
            None,
            AuditAction.CREATE,
            object_type="DemoData",
            object_id=str(org.pk),
            detail=f"demo seed {seed}, {patients} patients",
        )
        logins = demo_logins(org)
    # Fresh planner statistics after a bulk load: without them PostgreSQL chose a plan that took 20 s for the
    # unassigned-referrals list at 100,000 patients (0.4 s with them).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    out.write(f"Done in {seconds:.1f} s ({patients / seconds:,.0f} patients/s).\n")
    write_logins(out, logins)
    return builder.counts()


def write_logins(out: Writer, logins: list[Login]) -> None:
    out.write(fhir_usage())
    out.write(f"Demo logins (password: {PASSWORD})\n")
    for login in logins:
        out.write(f"  {login.username:<20} {login.description}\n")
    out.write(
        "Second-factor log-in is off for the demo organisation; log in as admin, Security, to require it.\n"
    )


class _Tables:
    """The rows of one chunk, by model; flushed parents first."""

    def __init__(self, moment: dt.datetime) -> None:
        m = moment
        self.patients = Table(
            Patient,
            "id organization_id given_name family_name birth_date sex preferred_language interpreter_needed "
            "phone email address_line city state postal_code preferred_contact_method preferred_contact_times "
            "learning_preferences health_literacy_concern deceased_date search_names phone_digits",
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
class _Work:
    """An open case, as its contact log, time entries and tasks need it."""

    case_id: int
    patient_id: int
    staff_id: int  # the case manager
    team: int  # index into the teams
    supervisor_id: int
    program: Program
    tier: int


class _Builder:
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
        self.tables = _Tables(self.now)
        self.staff = create_staff(org, rng, n_patients)
        self.casemanager = self.staff.managers[0]
        self.assigner = Assigner(rng, self.staff.managers)
        # Care team members are drawn so that each keeps a believable panel at any size.
        self.p_physician = min(0.3, 1500 / n_patients)
        self.p_pharmacist = min(0.25, 600 / n_patients)
        self.p_social_worker = min(0.2, 400 / n_patients)
        self.case_ids: list[int] = []
        self.escalation = {p: dt.timedelta(hours=h) for p, h in escalation_delays().items()}
        self.supervisor_names = {
            u.pk: u.display_name() for u in User.objects.filter(pk__in=self.staff.supervisor_ids)
        }

    def counts(self) -> dict[str, int]:
        return {"users": self.staff.user_count} | {name: t.inserted for name, t in self.tables.all().items()}

    def run(self) -> None:
        self.out.write(
            f"{ORGANIZATION_NAME}: {len(data.TEAM_NAMES)} teams, {self.staff.user_count} staff "
            f"({len(self.staff.managers)} case managers); building {self.n_patients:,} patients\n"
        )
        for first in range(0, self.n_patients, CHUNK):
            size = min(CHUNK, self.n_patients - first)
            patient_ids = reserve_ids(Patient, size)
            self.case_ids = reserve_ids(Case, size)[::-1]  # popped from the end, lowest first
            for offset in range(size):
                self._patient(first + offset, patient_ids[offset])
            with connection.cursor() as cursor:
                for table in self.tables.all().values():
                    table.flush(cursor)
            done = first + size
            if done % PROGRESS_EVERY == 0 or done == self.n_patients:
                elapsed = time.perf_counter() - self.started
                self.out.write(f"  {done:>9,} of {self.n_patients:,} patients  ({elapsed:.1f} s)\n")
        self._report()

    def day(self, days_ago: int) -> dt.date:
        return self.today - dt.timedelta(days=days_ago)

    def at(self, days_ago: int, first_hour: int, last_hour: int) -> dt.datetime:
        """A moment on that day between the hours, never later than now."""
        hour, minute = (
            self.rng.randint(first_hour, last_hour),
            self.rng.choice((0, 10, 15, 20, 30, 40, 45, 50)),
        )
        return min(dt.datetime.combine(self.day(days_ago), dt.time(hour, minute), tzinfo=self.tz), self.now)

    # -- one patient

    def _patient(self, index: int, patient_id: int) -> None:
        rng = self.rng
        language = LANGUAGE(rng)
        group = data.GROUP_BY_LANGUAGE.get(language) or data.ENGLISH_SPEAKER_GROUPS(rng)
        sex = Sex.FEMALE if rng.random() < 0.55 else Sex.MALE
        given, family = data.person_name(rng, group, sex == Sex.FEMALE)
        age = int(rng.triangular(45, 92, 71)) if rng.random() < 0.9 else rng.randint(24, 44)
        birth = self.today - dt.timedelta(days=int(age * 365.25) + rng.randint(1, 364))
        town, postal_code, team = TOWN(rng)
        method = CONTACT_METHOD(rng)
        wants_email = method in (ContactMethod.EMAIL, ContactMethod.PORTAL) or rng.random() < 0.2
        apartment = f", Apt {rng.randint(1, 40)}" if rng.random() < 0.15 else ""
        details = {
            "id": patient_id,
            "organization_id": self.org_id,
            "given_name": given,
            "family_name": family,
            "birth_date": birth,
            "sex": sex,
            "preferred_language": language,
            "interpreter_needed": language != "en" and rng.random() < 0.85,
            "phone": f"(541) 555-{rng.randint(0, 9999):04d}",
            "email": f"{data.ascii_name(given)}.{data.ascii_name(family)}{rng.randint(1, 99)}@mail.example"
            if wants_email
            else "",
            "address_line": f"{rng.randint(1, 2999)} {rng.choice(data.STREETS)}{apartment}",
            "city": town,
            "state": data.STATE,
            "postal_code": postal_code,
            "preferred_contact_method": method,
            "preferred_contact_times": rng.choice(data.CONTACT_TIMES),
            "learning_preferences": sorted(rng.sample(LEARNING, rng.randint(1, 3)), key=LEARNING.index),
            "health_literacy_concern": rng.random() < (0.3 if language != "en" else 0.17),
        }
        # What Patient.save() keeps for search; bulk inserts skip save().
        details["search_names"] = search_key(given, family)
        details["phone_digits"] = digits(str(details["phone"]))
        coded = clinical.conditions(rng, age)
        for _, code in coded:
            onset = self.day(rng.randint(1, max(1, min(25, age - 30))) * 365 + rng.randint(0, 364))
            self.tables.conditions.add(
                patient_id=patient_id, icd10_code=code, display=data.ICD10[code], onset_date=onset
            )
        categories = [c for c, _ in coded]
        history = self._encounters(patient_id, index, categories, team)
        deceased = self._case(patient_id, index, coded, history, language, team)
        self.tables.patients.add(**details, deceased_date=deceased)
        self._coverage(patient_id, index, age, birth, deceased)
        self._contacts(patient_id, family, sex, group, age)
        if deceased is None:
            self._care_team(patient_id, categories)

    def _encounters(self, patient_id: int, index: int, categories: list[str], team: int) -> History:
        rng = self.rng
        add = self.tables.encounters.add
        history = History()
        for _ in range(rng.randint(1, 4)):
            days = rng.randint(2, 365)
            category = rng.choice(categories)
            specialist = data.SPECIALISTS[category]
            start = self.at(days, 8, 16)
            add(
                patient_id=patient_id,
                encounter_class=EncounterClass.VIRTUAL if rng.random() < 0.1 else EncounterClass.AMBULATORY,
                facility=specialist if specialist and rng.random() < 0.35 else data.CLINICS[team],
                start=start,
                end=start + dt.timedelta(minutes=30),
                admission_type="",
                discharge_disposition="",
                reason=f"Follow-up: {data.SHORT_NAMES[category]}",
                source="demo",
            )
            history.last_seen = min(history.last_seen, days)
        for _ in range(rng.randint(1, 3) if rng.random() < 0.2 else 0):
            days = rng.randint(1, 365)
            start = self.at(days, 0, 20)
            add(
                patient_id=patient_id,
                encounter_class=EncounterClass.EMERGENCY,
                facility=HOSPITAL(rng),
                start=start,
                end=min(start + dt.timedelta(hours=rng.randint(2, 8)), self.now),
                admission_type="",
                discharge_disposition="",
                reason=rng.choice(data.ED_REASONS),
                source="demo",
            )
            history.last_seen = min(history.last_seen, days)
            history.ed_visits_6_months += days <= 182
        if index == 2 or (index >= SHOWCASE and rng.random() < 0.05):
            history.recent_discharge = discharged = 3 if index == 2 else rng.randint(1, 14)
        elif rng.random() < 0.12:
            history.older_discharge = discharged = rng.randint(20, 365)
        else:
            return history
        admitted = self._stay(patient_id, categories, discharged, history)
        if rng.random() < (0.2 if history.recent_discharge else 0.1):
            # A readmission: the earlier stay ended within 30 days of this admission.
            self._stay(patient_id, categories, admitted + rng.randint(3, 27), history)
            history.readmission = True
        return history

    def _stay(self, patient_id: int, categories: list[str], discharged: int, history: History) -> int:
        """An inpatient stay ending `discharged` days ago; returns the days since admission."""
        rng = self.rng
        admitted = discharged + rng.randint(2, 7)
        category = rng.choice(categories)
        reasons = data.INPATIENT_REASONS[category] if rng.random() < 0.75 else data.GENERAL_INPATIENT_REASONS
        reason, facility = rng.choice(reasons), HOSPITAL(rng)
        self.tables.encounters.add(
            patient_id=patient_id,
            encounter_class=EncounterClass.INPATIENT,
            facility=facility,
            start=self.at(admitted, 0, 20),
            end=self.at(discharged, 10, 17),
            admission_type=ADMISSION(rng),
            discharge_disposition=DISPOSITION(rng),
            reason=reason,
            source="demo",
        )
        if history.last_stay == ("", ""):
            history.last_stay = (facility, reason)
        history.admissions_last_year += admitted <= 365
        history.last_seen = min(history.last_seen, discharged)
        return admitted

    # -- the case

    def _manager(self, index: int, status: CaseStatus, tier: int, team: int, language: str) -> Manager | None:
        if index < SHOWCASE:
            self.assigner.take(self.casemanager, tier)
            return self.casemanager
        if status == S.REFERRED and self.rng.random() < 0.5:
            return None  # waiting in the team's queue for assignment
        return self.assigner.choose(team, tier, language, open_case=status in OPEN_STATUSES)

    def _case(
        self,
        patient_id: int,
        index: int,
        coded: list[tuple[str, str]],
        history: History,
        language: str,
        town_team: int,
    ) -> dt.date | None:
        """The case with its status history, assignment and consents. Returns the date of death when the case
        closed because the patient died."""
        rng = self.rng
        categories = [c for c, _ in coded]
        program = clinical.program(rng, index, categories, history)
        if program is None:
            return None
        status, days = clinical.course(rng, index, program, history)
        tier = clinical.acuity_tier(rng, program, coded, history)
        if index < SHOWCASE:
            tier = max(tier, 2 if index == 1 else 3)
        wanted_team = BEHAVIORAL if program == Program.BEHAVIOURAL else town_team
        manager = self._manager(index, status, tier, wanted_team, language)
        team = manager.team if manager is not None else wanted_team
        supervisor_id = self.staff.supervisor_ids[team]
        worker_id = manager.user_id if manager is not None else supervisor_id
        source = ReferralSource.HOSPITAL if program == Program.TCM else ReferralSource(SOURCES[program](rng))
        if source == ReferralSource.HOSPITAL and program != Program.TCM and not history.admissions_last_year:
            source = ReferralSource.PCP
        # Disjoint hours keep same-day steps in order (screening and enrolment often share a day).
        referred_at = self.at(days.referred, 8, 9)
        screened_at = self.at(days.screening, 10, 11) if days.screening is not None else None
        enrolled_at = self.at(days.enrolled, 12, 15) if days.enrolled is not None else None
        on_hold_at = self.at(days.on_hold, 9, 17) if days.on_hold is not None else None
        ended_at = self.at(days.ended, 9, 17) if days.ended is not None else None
        closure, deceased = self._closure(status, program, categories, days, history)
        case_id = self.case_ids.pop()
        self.tables.cases.add(
            id=case_id,
            organization_id=self.org_id,
            patient_id=patient_id,
            program=program,
            status=status,
            referral_source=source,
            referral_reason=narrative.referral_reason(rng, program, coded, history)[:300],
            referred_at=referred_at,
            team_id=self.staff.team_ids[team],
            primary_case_manager_id=manager.user_id if manager is not None else None,
            acuity_tier=tier,
            enrolled_at=enrolled_at,
            closed_at=ended_at,
            **closure,
        )
        # The history, step by step along cases.rules.TRANSITIONS, with the notes the actions require.
        steps: list[tuple[str, CaseStatus, dt.datetime, int, str]] = [
            ("", S.REFERRED, referred_at, supervisor_id, f"Referred by {source.label.lower()}")
        ]
        if screened_at is not None:
            steps.append((S.REFERRED, S.SCREENING, screened_at, worker_id, ""))
        if enrolled_at is not None:
            steps.append((S.SCREENING, S.ACTIVE, enrolled_at, worker_id, "Consent recorded; enrolled"))
        if on_hold_at is not None:
            steps.append((S.ACTIVE, S.ON_HOLD, on_hold_at, worker_id, rng.choice(data.ON_HOLD_NOTES)))
        if ended_at is not None:
            notes = {S.DECLINED: data.DECLINED_NOTES, S.INELIGIBLE: data.INELIGIBLE_NOTES}
            note = (
                ClosureReason(closure["closure_reason"]).label
                if status == S.CLOSED
                else rng.choice(notes[status])
            )
            steps.append((steps[-1][1], status, ended_at, worker_id, note))
        for from_status, to_status, at, by, note in steps:
            self.tables.status_changes.add(
                case_id=case_id,
                from_status=from_status,
                to_status=to_status,
                changed_at=at,
                changed_by_id=by,
                note=note,
            )
        if manager is not None:
            self.tables.assignments.add(
                case_id=case_id,
                case_manager_id=manager.user_id,
                assigned_by_id=supervisor_id,
                assigned_at=referred_at,
                suggested_rank=1,
                was_eligible=True,
            )
        self._consents(patient_id, index, program, status, days, worker_id)
        if manager is not None and status in OPEN_STATUSES and index >= SHOWCASE:  # the showcase as it is
            work = _Work(case_id, patient_id, manager.user_id, team, supervisor_id, program, tier)
            self._work(work, status, days, history)
        return deceased

    def _closure(
        self, status: CaseStatus, program: Program, categories: list[str], days: Timeline, history: History
    ) -> tuple[dict[str, str], dt.date | None]:
        """The closure fields of the case, and the date of death when that is why it closed."""
        rng = self.rng
        if status != S.CLOSED or days.ended is None:
            return {"closure_reason": "", "closure_reason_other": "", "closing_summary": ""}, None
        if program == Program.TCM:
            reason = ClosureReason.GOALS_MET if rng.random() < 0.7 else ClosureReason.TRANSFERRED
        else:
            reason = ClosureReason(CLOSURE(rng))
        died = days.ended + rng.randint(1, 4)
        deceased = self.day(died) if reason == ClosureReason.DECEASED and died < history.last_seen else None
        if reason == ClosureReason.DECEASED and deceased is None:
            reason = ClosureReason.GOALS_MET  # seen alive after that day: closed for another reason
        return {
            "closure_reason": reason,
            "closure_reason_other": rng.choice(data.OTHER_CLOSURE_REASONS)
            if reason == ClosureReason.OTHER
            else "",
            "closing_summary": narrative.closing_summary(rng, reason, program, categories, deceased),
        }, deceased

    def _consents(
        self,
        patient_id: int,
        index: int,
        program: Program,
        status: CaseStatus,
        days: Timeline,
        recorded_by: int,
    ) -> None:
        rng = self.rng
        given: int | None = None
        if days.enrolled is not None and days.screening is not None:
            given = rng.randint(days.enrolled, days.screening)  # during screening, at the latest on enrolment
        elif status == S.SCREENING and days.screening is not None and (index == 0 or rng.random() < 0.5):
            given = rng.randint(0, days.screening)  # ready to enrol
        elif status == S.DECLINED and days.ended is not None and rng.random() < 0.4:
            self.tables.consents.add(
                patient_id=patient_id,
                consent_type=ConsentType.CM_ENROLMENT,
                status=ConsentStatus.REJECTED,
                method=ConsentMethod.VERBAL,
                given_on=self.day(days.ended),
                recorded_by_id=recorded_by,
                scope_note="",
            )
        if given is None:
            return
        method = CONSENT_METHOD(rng)
        kinds = [(ConsentType.CM_ENROLMENT, f"{program.label}: assessment, care planning and coordination")]
        if program == Program.CCM and days.enrolled is not None:
            kinds.append(
                (ConsentType.CCM_BILLING, "Told of cost sharing; one practitioner bills CCM each month")
            )
        for kind, scope in kinds:
            self.tables.consents.add(
                patient_id=patient_id,
                consent_type=kind,
                status=ConsentStatus.ACTIVE,
                method=method,
                given_on=self.day(given),
                recorded_by_id=recorded_by,
                scope_note=scope,
            )

    # -- the work on an open case: contact log, unable-to-reach steps, time entries, tasks

    def _work(self, w: _Work, status: CaseStatus, days: Timeline, history: History) -> None:
        """About four months of work on an open case, drawn from `self.activity`. Active cases are called at
        their tier's cadence (tier 4 weekly, 3 every 2 weeks, 2 monthly, 1 every 2 months, with jitter), some
        calls only at the second or third try; 5% have not been reached after 3-5 tries on different days and
        at different times since the last success (some with the letter sent), another 10% are simply late.
        A patient just discharged was called within two business days (80%)."""
        a = self.activity
        if status == S.REFERRED:
            if a.random() < 0.5:
                self._missed(w, a.randint(0, days.referred), a.randint(9, 16))
            return
        if status == S.SCREENING:
            assert days.screening is not None
            if a.random() < 0.3:
                self._missed(w, days.screening + 1, a.randint(9, 16))
            self._reached(w, days.screening, days.screening)
            return
        assert days.enrolled is not None
        window = min(days.enrolled, HISTORY_DAYS)
        if status == S.ON_HOLD:
            assert days.on_hold is not None
            self._calls(w, days.on_hold + a.randint(0, 5), window)
        elif history.recent_discharge is not None and w.program == Program.TCM:
            if a.random() < 0.8:
                called = max(0, history.recent_discharge - a.randint(1, 2))
                if a.random() < 0.3:
                    self._missed(w, called, a.randint(8, 11))
                self._reached(w, called, window)
        else:
            self._cadence(w, window)
            for _ in range(a.choice((0, 1, 1, 2, 2, 3))):
                on = a.randint(0, min(window, 62))
                self.tables.time_entries.add(
                    organization_id=self.org_id,
                    patient_id=w.patient_id,
                    case_id=w.case_id,
                    staff_id=w.staff_id,
                    on=self.day(on),
                    activity=a.choice(TIME_ACTIVITY),
                    minutes=a.choice((5, 10, 10, 15, 15, 20, 30, 45)),
                    note=a.choice(TIME_NOTES),
                )
        self._tasks(w, window)

    def _cadence(self, w: _Work, window: int) -> None:
        a = self.activity
        interval = CADENCE_OVERRIDES.get((w.program, w.tier)) or DEFAULT_CADENCE_DAYS[w.tier]
        r = a.random()
        if r < UNREACHABLE:
            last = interval + a.randint(4, interval + 8)
        elif r < UNREACHABLE + OVERDUE:
            last = interval + a.randint(1, max(3, interval // 2))
        else:
            last = a.randint(0, interval)  # due today at the latest
        self._calls(w, last, window, interval)
        since = min(last, window)  # days since the last success (or enrolment)
        if r < UNREACHABLE and since >= 3:
            tries = sorted(a.sample(range(since), min(since, a.randint(3, 5))))
            bands = [*BANDS]
            a.shuffle(bands)
            for i, d in enumerate(tries):
                self._missed(w, d, a.randint(*bands[i % 3]))
            if a.random() < 0.4:  # the first step of the protocol, after the latest try
                self.tables.outreach.add(
                    case_id=w.case_id,
                    step=OutreachStep.LETTER,
                    done_at=self._moment(tries[0], 17, 30),
                    done_by_id=w.staff_id,
                    note="Letter asking the patient to call us",
                )
        elif r < UNREACHABLE + OVERDUE and since >= 1 and a.random() < 0.4:
            for d in a.sample(range(since), min(since, a.randint(1, 2))):
                self._missed(w, d, a.randint(9, 18))

    def _calls(self, w: _Work, last: int, window: int, interval: int = 0) -> None:
        """Reached contacts from `last` days ago back to the start of the window, at the case's cadence."""
        a = self.activity
        interval = interval or DEFAULT_CADENCE_DAYS[w.tier]
        jitter = interval // 5
        t = last
        while t <= window:
            if a.random() < MISSED_FIRST:
                for _ in range(1 if a.random() < 0.7 else 2):
                    if (before := t + a.randint(1, 3)) <= window:
                        self._missed(w, before, a.randint(8, 19))
            self._reached(w, t, window)
            t += interval + a.randint(-jitter, jitter)

    def _moment(self, days_ago: int, hour: int, minute: int) -> dt.datetime:
        moment = dt.datetime.combine(self.day(days_ago), dt.time(hour, minute), tzinfo=self.tz)
        return min(moment, self.now) if days_ago <= 0 else moment

    def _reached(self, w: _Work, days_ago: int, window: int) -> None:
        a = self.activity
        weekday = self.day(days_ago).weekday()
        if weekday >= 5 and days_ago + weekday - 4 <= window:
            days_ago += weekday - 4  # the Friday before
        caregiver = a.random() < 0.15
        inbound = a.random() < 0.12
        noted = a.random() < 0.6
        self.tables.contact_log.add(
            organization_id=self.org_id,
            patient_id=w.patient_id,
            case_id=w.case_id,
            staff_id=w.staff_id,
            contact_at=self._moment(days_ago, a.randint(9, 16), a.choice(MINUTES)),
            mode=ContactMode.PHONE if inbound else REACHED_MODE(a),
            direction=ContactDirection.INBOUND if inbound else ContactDirection.OUTBOUND,
            party=ContactParty.CAREGIVER if caregiver else ContactParty.PATIENT,
            party_name=a.choice(CAREGIVERS) if caregiver else "",
            reached=True,
            minutes=a.randint(8, 40),
            patient_words=a.choice(PATIENT_WORDS) if noted and not caregiver else "",
            meds_taken=MEDS(a) if noted else "",
            goal_progress=a.choice(GOAL_PROGRESS) if noted else "",
            next_steps=a.choice(NEXT_STEPS),
        )

    def _missed(self, w: _Work, days_ago: int, hour: int) -> None:
        a = self.activity
        self.tables.contact_log.add(
            organization_id=self.org_id,
            patient_id=w.patient_id,
            case_id=w.case_id,
            staff_id=w.staff_id,
            contact_at=self._moment(days_ago, hour, a.choice(MINUTES)),
            mode=ContactMode.PHONE,
            direction=ContactDirection.OUTBOUND,
            party=ContactParty.PATIENT,
            party_name="",
            reached=False,
            minutes=a.randint(1, 3),
            patient_words="",
            meds_taken="",
            goal_progress="",
            next_steps=a.choice(NOT_REACHED),
        )

    def _tasks(self, w: _Work, window: int) -> None:
        """Open tasks (a few urgent, a quarter overdue, escalated as the worker's sweep would have done), done
        tasks, and now and then one waiting in the team's queue."""
        a = self.activity
        if a.random() < OPEN_TASK:
            if a.random() < 0.15:
                kind, title, priority = TaskKind.OTHER, a.choice(URGENT_TASKS), URGENT_PRIORITY(a)
                due = a.randint(1, 4) if a.random() < 0.3 else -a.randint(0, 1)
            else:
                (kind, title), priority = a.choice(ROUTINE_TASKS), TaskPriority.ROUTINE
                due = a.randint(1, 14) if a.random() < 0.25 else -a.randint(0, 21)
            urgent = priority != TaskPriority.ROUTINE
            self._task(w, kind, title, OPEN_TASK_STATUS(a), priority, due, w.staff_id, urgent=urgent)
        if a.random() < DONE_TASK:
            kind, title = a.choice(ROUTINE_TASKS)
            self._task(w, kind, title, TaskStatus.COMPLETED, TaskPriority.ROUTINE, a.randint(3, window + 3))
        if w.staff_id != self.casemanager.user_id and a.random() < QUEUE_TASK:
            kind, title = a.choice(ROUTINE_TASKS)
            self._task(w, kind, title, TaskStatus.REQUESTED, TaskPriority.ROUTINE, -a.randint(0, 5), None)

    def _task(
        self,
        w: _Work,
        kind: TaskKind,
        title: str,
        status: TaskStatus,
        priority: TaskPriority,
        due_days_ago: int,
        owner_id: int | None = -1,
        *,
        urgent: bool = False,
    ) -> None:
        a = self.activity
        owner = w.staff_id if owner_id == -1 else owner_id
        due_at = dt.datetime.combine(
            self.today - dt.timedelta(days=due_days_ago), dt.time(a.randint(9, 17)), tzinfo=self.tz
        )
        # Drawn whatever the branch: which branch depends on the time of day, the draws must not.
        early, sweep = dt.timedelta(hours=a.randint(0, 72)), dt.timedelta(minutes=a.randint(1, 15))
        completed_at = escalated_at = escalated_to = None
        note = ""
        if status == TaskStatus.COMPLETED:
            completed_at = min(due_at - early, self.now)
        elif due_at + self.escalation[priority] <= self.now:
            # What coordination.escalation.do_escalate_overdue_tasks would have done by now.
            escalated_at = due_at + self.escalation[priority] + sweep
            escalated_to = w.supervisor_id
            late = escalated_at - due_at
            note = (
                f"{timezone.localtime(escalated_at):%Y-%m-%d %H:%M} escalated to "
                f"{self.supervisor_names[w.supervisor_id]}: overdue by {late.days * 24 + late.seconds // 3600} h"
            )
        self.tables.tasks.add(
            organization_id=self.org_id,
            patient_id=w.patient_id,
            case_id=w.case_id,
            kind=kind,
            title=title,
            status=status,
            priority=priority,
            owner_id=owner,
            team_id=self.staff.team_ids[w.team] if owner is None else None,
            requester_id=w.supervisor_id if urgent else w.staff_id,
            due_at=due_at,
            completed_at=completed_at,
            escalated_at=escalated_at,
            escalated_to_id=escalated_to,
            note=note,
        )

    # -- coverage, contacts, care team

    def _coverage(
        self, patient_id: int, index: int, age: int, birth: dt.date, deceased: dt.date | None
    ) -> None:
        rng = self.rng
        kind = OLD_COVERAGE(rng) if age >= 65 else YOUNG_COVERAGE(rng)
        payer, plan = rng.choice(data.PAYERS[kind])
        mbi, medicaid = medicare_id(index), f"RM{member_number(index, 7_919)}"
        identifiers = [(MRN_SYSTEM, f"D{index + 1:07d}", "MRN")]
        if kind in ("medicare", "medicare_advantage", "dual"):
            identifiers.append((MEDICARE_SYSTEM, mbi, "Medicare ID"))
            if age >= 65:
                start = max(dt.date(birth.year + 65, birth.month, min(birth.day, 28)), self.day(9000))
            else:  # on Medicare through disability
                start = self.day(rng.randint(200, 2000))
        else:
            start = self.day(rng.randint(200, 3000)).replace(day=1)
        if kind in ("medicaid", "dual"):
            identifiers.append((MEDICAID_SYSTEM, medicaid, "Medicaid ID"))
        if kind == "medicare_advantage":  # plan years start on 1 January
            start = max(start, self.day(rng.randint(30, 3650)).replace(month=1, day=1))
        if deceased is not None:
            start = min(start, deceased - dt.timedelta(days=30))
        plans = [(kind, payer, plan)]
        if kind == "medicare" and rng.random() < 0.4:
            plans.append((CoverageKind.COMMERCIAL, *data.MEDIGAP))
        member_ids = {
            "medicare": mbi,
            "medicaid": medicaid,
            "medicare_advantage": f"BWA{member_number(index, 7_001)}",
            "dual": f"BWD{member_number(index, 7_001)}",
            "commercial": f"NS{member_number(index, 6_007)}",
        }
        for i, (kind_, payer_, plan_) in enumerate(plans):
            self.tables.coverages.add(
                patient_id=patient_id,
                kind=kind_,
                payer=payer_,
                plan_name=plan_,
                member_id=member_ids[kind_] if i == 0 else f"KMS{member_number(index, 6_007)}",
                start_date=start,
                end_date=deceased,
            )
        for system, value, label in identifiers:
            self.tables.identifiers.add(
                patient_id=patient_id, organization_id=self.org_id, system=system, value=value, label=label
            )

    def _contacts(self, patient_id: int, family: str, sex: Sex, group: str, age: int) -> None:
        rng = self.rng
        used: set[str] = set()
        for n in range(CONTACT_COUNT(rng)):
            relationship = RELATIONSHIP(rng)
            if relationship in used or (relationship == ContactRelationship.SPOUSE and age > 88):
                is_child = relationship == ContactRelationship.CHILD
                relationship = ContactRelationship.FRIEND if is_child else ContactRelationship.CHILD
            used.add(relationship)
            female = sex == Sex.MALE if relationship == ContactRelationship.SPOUSE else rng.random() < 0.6
            first, last = data.person_name(rng, group, female)
            if relationship in FAMILY and rng.random() < 0.75:
                last = family
            self.tables.contacts.add(
                patient_id=patient_id,
                name=f"{first} {last}",
                relationship=relationship,
                phone=f"(541) 555-{rng.randint(0, 9999):04d}",
                is_caregiver=relationship in FAMILY and rng.random() < 0.5,
                is_emergency_contact=n == 0 or rng.random() < 0.5,
            )

    def _care_team(self, patient_id: int, categories: list[str]) -> None:
        rng = self.rng
        members = []
        if rng.random() < self.p_physician:
            members.append((self.staff.physician_id, "Primary care physician", rng.randint(60, 3000)))
        if len(categories) >= 3 and rng.random() < self.p_pharmacist:
            members.append((self.staff.pharmacist_id, "Clinical pharmacist", rng.randint(7, 700)))
        if "depression" in categories and rng.random() < self.p_social_worker:
            members.append((self.staff.social_worker_id, "Social worker", rng.randint(7, 700)))
        for user_id, role, since in members:
            self.tables.care_team.add(
                patient_id=patient_id, user_id=user_id, role=role, start_date=self.day(since)
            )

    def _report(self) -> None:
        c = self.counts()
        self.out.write(
            f"Created {c['patients']:,} patients, {c['cases']:,} cases, {c['encounters']:,} encounters, "
            f"{c['conditions']:,} conditions, {c['coverages']:,} coverages, {c['consents']:,} consents, "
            f"{c['status_changes']:,} status changes.\n"
            f"Work on open cases over {HISTORY_DAYS} days: {c['contact_log']:,} contacts and attempts, "
            f"{c['outreach']:,} unable-to-reach letters, {c['time_entries']:,} time entries, "
            f"{c['tasks']:,} tasks.\n"
        )
        managers = self.staff.managers
        open_cases = [m.open_cases for m in managers]
        by_level = ", ".join(
            f"{level.label.lower()} {statistics.median(m.load() for m in group):.0%}"
            for level in ExperienceLevel
            if (group := [m for m in managers if m.level == level])
        )
        self.out.write(
            f"Open cases per case manager: median {statistics.median(open_cases):.0f} "
            f"(range {min(open_cases)}-{max(open_cases)}); capacity used, median by level: {by_level}.\n"
        )
