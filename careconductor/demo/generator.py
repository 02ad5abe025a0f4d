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

from django.db import connection, transaction

from careconductor.accounts.choices import ExperienceLevel
from careconductor.accounts.models import Organization
from careconductor.cases.models import Case
from careconductor.core.bulk_rows import reserve_ids
from careconductor.patients.choices import (
    AdmissionType,
    ContactMethod,
    EncounterClass,
    LearningPreference,
    Sex,
)
from careconductor.patients.models import Patient
from careconductor.patients.rules import digits, search_key
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from . import clinical, data
from .adt_traffic import add_adt_traffic
from .appointments import add_appointments
from .assessments import add_assessment_scenarios
from .builder import Writer
from .careplans import add_care_plan_scenarios
from .case_history import HOSPITAL, CaseHistory
from .case_work import HISTORY_DAYS
from .caseloads import add_caseload_scenarios
from .clinical import SHOWCASE, History
from .coordination import add_coordination_scenarios
from .data import Weighted
from .directory import add_directory
from .education import add_education_scenarios
from .engagement import add_engagement_scenarios
from .fhir import add_fhir_scenario
from .fhir import usage as fhir_usage
from .letters import add_letters
from .mentions import add_mention_scenarios
from .merge import add_merge_scenario
from .patient_details import PatientDetails
from .population import add_population
from .privacy import add_privacy_scenarios
from .reconciliation import add_reconciliation_in_progress
from .referrals import add_referral_scenarios
from .setup import add_allergy_scenarios, add_setup_scenarios
from .smart import add_portal_app_connection, add_smart_scenario
from .staff import PASSWORD, DemoError, Login, demo_logins
from .um import add_prior_authorisations

__all__ = ["DEFAULT_PATIENTS", "DEFAULT_SEED", "ORGANIZATION_NAME", "PASSWORD", "DemoError", "build_demo"]

ORGANIZATION_NAME = "Riverside Health Partners"
DEFAULT_PATIENTS = 200
DEFAULT_SEED = 2026
CHUNK = 5_000  # patients built and inserted together, to bound memory
PROGRESS_EVERY = 10_000

LANGUAGE = Weighted(data.PATIENT_LANGUAGES)
TOWN = Weighted(data.TOWNS)
CONTACT_METHOD = Weighted(data.CONTACT_METHODS)
LEARNING = tuple(LearningPreference.values)
DISPOSITION = Weighted(data.DISCHARGE_DISPOSITIONS)
ADMISSION = Weighted({AdmissionType.EMERGENCY: 70, AdmissionType.URGENT: 20, AdmissionType.ELECTIVE: 10})


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
        apps = add_smart_scenario(org)
        out.write(
            f"SMART apps: {apps} registered (Set-up → Connected apps; the feed's key is in the data folder).\n"
        )
        assessed = add_assessment_scenarios(org)
        out.write(
            f"Assessment scenarios: {assessed} assessments (PHQ-9 trend, social needs, a safety task, a complex grid).\n"
        )
        planned = add_care_plan_scenarios(org)
        out.write(
            f"Care plan scenarios: {planned} plans (from a social-needs screen, a goal the PHQ-9s say is met, "
            "one awaiting approval, an overdue review with a goal a partner proposed through the FHIR API).\n"
        )
        coordinated = add_coordination_scenarios(org)
        out.write(
            f"Coordination scenarios: {coordinated} records (a morning's worklist: overdue and due contacts, "
            "a discharge on the last business day, an unable-to-reach patient, urgent and queued tasks, a closure to approve, "
            "care teams and a month of time).\n"
        )
        taught = add_education_scenarios(org)
        engaged = add_engagement_scenarios(org)
        connected = add_portal_app_connection(org)
        out.write(
            f"Portal and education scenarios: {engaged} reports, messages and log-ins (a blood pressure past its "
            f"limit this morning, unread messages, a proxy, a heart-failure weight gain), {taught} materials given"
            + (
                ", the blood pressure app connected to the patient's record (People who help me)"
                if connected
                else ""
            )
            + ".\n"
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
        add_adt_traffic(org, out)
        add_reconciliation_in_progress(org, out)
        add_directory(org, out)
        add_referral_scenarios(org, out)
        add_appointments(org, out)
        add_letters(org, out)
        add_prior_authorisations(org, out)
        add_population(org, out, patients)
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


class _Builder(CaseHistory, PatientDetails):
    """One patient at a time: who they are, their stays, their case and its work; each chunk inserted together."""

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
        self.tables.patients.add(
            **details, deceased_date=deceased, last_reached_at=self.last_reached.pop(patient_id, None)
        )
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
