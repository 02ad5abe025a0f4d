"""The monthly time and billing report (clinical.md §7, CMS care-management billing): hand-computed months for
the pure rules, properties of the minute buckets, and the report built from real contacts, time entries,
conditions, consents, care plans and discharges, with who may see it, its audit and its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Team
from careconductor.careplans import actions as plan_actions
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.coordination import billing, billing_rules
from careconductor.coordination.actions import ContactInput, do_log_contact, do_log_time
from careconductor.coordination.billing import month_facts, monthly_report, report_csv
from careconductor.coordination.billing_rules import (
    LineStatus,
    MinuteEntry,
    MonthFacts,
    bill_month,
)
from careconductor.coordination.choices import ContactDirection, ContactMode, TimeActivity
from careconductor.coordination.models import Holiday
from careconductor.medications import actions as med_actions
from careconductor.patients.actions import (
    PatientDetails,
    do_add_care_team_member,
    do_add_condition,
    do_add_encounter,
)
from careconductor.patients.choices import DischargeDisposition, EncounterClass, Sex
from careconductor.patients.models import Patient
from careconductor.privacy.actions import do_record_consent, do_revoke_consent
from careconductor.privacy.choices import AuditAction, ConsentMethod, ConsentType
from careconductor.privacy.models import AuditEvent
from tests.personas import World, build_world, make_staff

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
FEB = dt.date(2025, 2, 1)
LATER = dt.date(2025, 6, 1)  # "today" for months long finished
FRIDAY = dt.date(2025, 1, 17)  # a discharge before Martin Luther King Day (test_billing_tcm.py has its rules)


# --- Pure rules: hand-computed months (clinical.md §7) ---------------------------------------------------------
def staff(minutes: int, program: str = Program.CCM) -> MinuteEntry:
    return MinuteEntry(minutes, program)


def doctor(minutes: int) -> MinuteEntry:
    return MinuteEntry(minutes, Program.CCM, by_physician=True)


def in_person(minutes: int) -> MinuteEntry:
    return MinuteEntry(minutes, Program.CCM, face_to_face=True)


def month(
    *entries: MinuteEntry, conditions: int = 2, consent: bool = True, revised: bool = False
) -> MonthFacts:
    return MonthFacts(FEB, entries, conditions, consent, revised)


def codes(facts: MonthFacts, today: dt.date = LATER) -> list[tuple[str, int, int]]:
    return [(line.code, line.units, line.minutes) for line in bill_month(facts, today).lines]


CCM_1, CCM_2 = ("99490", 1, 20), "99439"
HAND_COMPUTED = [
    # (facts, expected lines as (code, units, minutes counted)); every row is clinical.md §7.
    pytest.param(month(staff(19)), [], id="19 min: under 99490's 20"),
    pytest.param(month(staff(20)), [CCM_1], id="20 min: 99490"),
    pytest.param(month(staff(39)), [CCM_1], id="39 min: 99490, no full second 20"),
    pytest.param(month(staff(40)), [CCM_1, (CCM_2, 1, 20)], id="40 min: 99490 + 99439x1"),
    pytest.param(month(staff(60)), [CCM_1, (CCM_2, 2, 40)], id="60 min: 99490 + 99439x2"),
    pytest.param(month(staff(85)), [CCM_1, (CCM_2, 2, 40)], id="85 min: 99439 stops at 2 units"),
    pytest.param(month(staff(25), staff(15), staff(20)), [CCM_1, (CCM_2, 2, 40)], id="minutes add up"),
    pytest.param(month(staff(60), revised=True), [("99487", 1, 60)], id="complex: 60 min, plan revised"),
    pytest.param(month(staff(89), revised=True), [("99487", 1, 60)], id="complex: 89 min, 99489 needs 90"),
    pytest.param(
        month(staff(95), revised=True), [("99487", 1, 60), ("99489", 1, 30)], id="complex: 95 min → 99489x1"
    ),
    pytest.param(
        month(staff(130), revised=True), [("99487", 1, 60), ("99489", 2, 60)], id="complex: 130 min → 99489x2"
    ),
    pytest.param(month(staff(59), revised=True), [CCM_1, (CCM_2, 1, 20)], id="complex: 59 min is CCM"),
    pytest.param(month(staff(60)), [CCM_1, (CCM_2, 2, 40)], id="60 min, plan not revised: not complex"),
    pytest.param(month(staff(29), conditions=1), [], id="PCM: 29 min"),
    pytest.param(month(staff(30), conditions=1), [("99426", 1, 30)], id="PCM: 30 min → 99426"),
    pytest.param(
        month(staff(60), conditions=1), [("99426", 1, 30), ("99427", 1, 30)], id="PCM: 60 min → 99427x1"
    ),
    pytest.param(month(doctor(30), conditions=1), [("99424", 1, 30)], id="PCM physician 30 → 99424"),
    pytest.param(
        month(doctor(60), conditions=1), [("99424", 1, 30), ("99425", 1, 30)], id="PCM physician 60 → 99425"
    ),
    pytest.param(month(doctor(30)), [("99491", 1, 30)], id="physician 30 → 99491"),
    pytest.param(month(doctor(60)), [("99491", 1, 30), ("99437", 1, 30)], id="physician 60 → 99437x1"),
    pytest.param(month(doctor(90)), [("99491", 1, 30), ("99437", 2, 60)], id="physician 90 → 99437x2"),
    pytest.param(month(doctor(25)), [CCM_1], id="physician 25: counts as clinical-staff time"),
    pytest.param(
        month(doctor(30), staff(31)), [CCM_1, (CCM_2, 2, 40)], id="physician 30 + staff 31: 99490 counts more"
    ),
    pytest.param(month(doctor(45)), [CCM_1, (CCM_2, 1, 20)], id="physician 45: 99490+99439 counts 40 > 30"),
    pytest.param(month(doctor(60), staff(10)), [("99491", 1, 30), ("99437", 1, 30)], id="tie: physician"),
    pytest.param(month(in_person(30), staff(10)), [], id="face-to-face minutes are not CCM time"),
    pytest.param(month(in_person(30), staff(20)), [CCM_1], id="face-to-face excluded, 20 remain"),
    pytest.param(month(staff(40, Program.TCM), staff(10)), [], id="TCM-case minutes are not CCM time"),
    pytest.param(month(staff(40, Program.TCM), staff(20)), [CCM_1], id="CCM and TCM, separate minutes"),
    pytest.param(month(staff(20, Program.BEHAVIOURAL)), [CCM_1], id="behavioural-case minutes count"),
    pytest.param(month(staff(20, "")), [CCM_1], id="minutes on no case count"),
    pytest.param(month(staff(20, Program.COMPLEX)), [CCM_1], id="complex-CM-case minutes count"),
    pytest.param(month(staff(60), consent=False), [], id="no consent: nothing"),
    pytest.param(month(staff(60), conditions=1, consent=False), [], id="PCM without consent: nothing"),
    pytest.param(month(staff(60), conditions=0), [], id="no chronic condition: nothing"),
]


@pytest.mark.parametrize(("facts", "expected"), HAND_COMPUTED)
def test_hand_computed_months(facts: MonthFacts, expected: list[tuple[str, int, int]]) -> None:
    assert codes(facts) == expected


@pytest.mark.parametrize(
    ("facts", "reasons"),
    [
        (month(staff(14)), ("14 of 20 minutes",)),
        (month(staff(14), consent=False), ("14 of 20 minutes", "no CCM consent in force this month")),
        (month(staff(60), consent=False), ("no CCM consent in force this month",)),
        (month(staff(20), conditions=1), ("1 chronic condition: PCM rules apply", "20 of 30 minutes")),
        (month(staff(40), conditions=0), ("no chronic condition on the problem list",)),
        (month(staff(60)), ()),
    ],
)
def test_the_report_says_what_is_missing(facts: MonthFacts, reasons: tuple[str, ...]) -> None:
    assert bill_month(facts, LATER).reasons == reasons


def test_minutes_not_counted_are_explained() -> None:
    result = bill_month(month(staff(85), in_person(30), staff(12, Program.TCM)), LATER)
    assert result.minutes == billing_rules.Buckets(staff=85, physician=0, tcm=12, face_to_face=30)
    assert any("25 minutes over 99439's limit" in n for n in result.notes)
    assert any("30 face-to-face minutes not counted" in n for n in result.notes)
    assert any("12 minutes on a transitional-care case" in n for n in result.notes)
    assert any("complex CCM (99487) needs the care plan" in n for n in result.notes)
    chosen = bill_month(month(doctor(60), staff(10)), LATER)
    assert any("10 clinical-staff minutes not counted" in n for n in chosen.notes)
    pooled = bill_month(month(doctor(25)), LATER)
    assert pooled.lines[0].note == "includes 25 physician minutes counted as clinical-staff time"


def test_ccm_without_a_care_plan_in_force_is_flagged() -> None:
    facts = MonthFacts(FEB, (staff(20),), 2, True, False, (), care_plan_in_force=False)
    assert any("needs a comprehensive care plan" in n for n in bill_month(facts, LATER).notes)


def test_facts_are_for_a_whole_month() -> None:
    with pytest.raises(ValueError):
        MonthFacts(dt.date(2025, 2, 3))


# --- Properties -------------------------------------------------------------------------------------------------
entries = st.lists(
    st.builds(
        MinuteEntry,
        minutes=st.integers(1, 120),
        program=st.sampled_from(["", *Program.values]),
        by_physician=st.booleans(),
        face_to_face=st.booleans(),
    ),
    max_size=8,
)
monthly = st.builds(
    lambda e, n, consent, revised: MonthFacts(FEB, tuple(e), n, consent, revised),
    entries,
    st.integers(0, 4),
    st.booleans(),
    st.booleans(),
)
PHYSICIAN_CODES = {"99491", "99437", "99424", "99425"}


@given(monthly)
def test_no_minute_is_counted_twice(facts: MonthFacts) -> None:
    """clinical.md §7: time is not double-counted; code lines never count more minutes than their bucket holds."""
    result = bill_month(facts, LATER)
    assert result.minutes.total == sum(e.minutes for e in facts.entries)
    assert result.counted_minutes <= result.minutes.care_management
    physician = sum(line.minutes for line in result.lines if line.code in PHYSICIAN_CODES)
    assert physician <= result.minutes.physician
    assert len({line.service for line in result.lines}) <= 1  # one of CCM, complex CCM, PCM


@given(monthly, entries)
def test_adding_minutes_never_takes_billing_away(facts: MonthFacts, more: list[MinuteEntry]) -> None:
    """More minutes may move a month to another code (60 minutes with a revised plan: 99487 instead of
    99490 + 99439), but never to fewer counted minutes, and a month with a CCM/PCM code keeps one."""
    before = bill_month(facts, LATER)
    grown = MonthFacts(
        FEB, facts.entries + tuple(more), facts.chronic_conditions, facts.ccm_consent, facts.plan_revised
    )
    after = bill_month(grown, LATER)
    assert after.counted_minutes >= before.counted_minutes
    assert after.has_care_management_code or not before.has_care_management_code


# --- The report from the database ------------------------------------------------------------------------------
def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def march(db: None, settings) -> Iterator[World]:  # type: ignore[no-untyped-def]
    """Early March 2025 in New York, with US public holidays: February is finished and its TCM periods have
    ended."""
    settings.TIME_ZONE = "America/New_York"
    settings.HOLIDAY_COUNTRY, settings.HOLIDAY_SUBDIVISION = "US", None
    with time_machine.travel(at(dt.date(2025, 3, 5), 12), tick=False):
        yield build_world()


def register(user, given: str, family: str, program: Program = Program.COMPLEX) -> Patient:  # type: ignore[no-untyped-def]
    return do_register_and_refer(
        user,
        PatientDetails(given_name=given, family_name=family, birth_date=dt.date(1950, 5, 1), sex=Sex.MALE),
        program=program,
        referral_source=ReferralSource.PCP,
        referral_reason="Two chronic conditions, frequent calls",
    )


def eligible(user, patient: Patient, *, consent_on: dt.date = dt.date(2025, 1, 6)) -> None:  # type: ignore[no-untyped-def]
    do_add_condition(user, patient, icd10_code="E11.9", display="Type 2 diabetes")
    do_add_condition(user, patient, icd10_code="I50.22", display="Chronic systolic heart failure")
    do_record_consent(
        user, patient, consent_type=ConsentType.CCM_BILLING, method=ConsentMethod.VERBAL, given_on=consent_on
    )


def call(user, patient: Patient, when: dt.datetime, minutes: int, mode: str = ContactMode.PHONE) -> None:  # type: ignore[no-untyped-def]
    case = Case.objects.filter(patient=patient).order_by("pk").first()
    data = ContactInput(when, mode, ContactDirection.OUTBOUND, reached=True, minutes=minutes)
    do_log_contact(user, patient, data, case=case)


def work(user, patient: Patient, on: dt.date, minutes: int) -> None:  # type: ignore[no-untyped-def]
    case = Case.objects.filter(patient=patient).order_by("pk").first()
    do_log_time(user, patient, on=on, activity=TimeActivity.RECORDS, minutes=minutes, case=case)


def stay(user, patient: Patient, discharged: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    do_add_encounter(
        user,
        patient,
        encounter_class=EncounterClass.INPATIENT,
        start=discharged - dt.timedelta(days=3),
        end=discharged,
        discharge_disposition=DischargeDisposition.HOME,
    )


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def february(march: World) -> World:
    """Paula: CCM minutes, some face to face, some just outside February. Terry: a TCM discharge on Friday
    Jan 17 before Martin Luther King Day, contacted on Wednesday, medicines reconciled on Thursday, seen on
    Friday. Quinn: Bob's patient."""
    w = march
    eligible(w.alice, w.paula)
    do_add_condition(w.alice, w.paula, icd10_code="J06.9", display="Cold", chronic=False)
    call(w.alice, w.paula, at(dt.date(2025, 2, 3)), 25)
    call(w.alice, w.paula, at(dt.date(2025, 2, 10)), 30, mode=ContactMode.IN_PERSON)
    work(w.alice, w.paula, dt.date(2025, 2, 12), 20)
    call(w.alice, w.paula, at(dt.date(2025, 2, 28), 23, 30), 5)  # 04:30 UTC on March 1: still February
    call(w.alice, w.paula, at(dt.date(2025, 3, 1), 0, 30), 40)  # March
    call(w.alice, w.paula, at(dt.date(2025, 1, 31), 23, 30), 40)  # January
    terry = register(w.alice, "Terry", "Nolan", Program.TCM)
    stay(w.alice, terry, at(FRIDAY, 15))
    call(w.alice, terry, at(dt.date(2025, 1, 22), 9), 15)
    reconcile(w.alice, terry, at(dt.date(2025, 1, 23), 10))  # the day before the visit
    do_add_encounter(
        w.alice, terry, encounter_class=EncounterClass.AMBULATORY, start=at(dt.date(2025, 1, 24), 11)
    )
    work(w.alice, terry, dt.date(2025, 2, 3), 10)
    quinn = register(w.bob, "Quinn", "Abbott")
    eligible(w.bob, quinn)
    call(w.bob, quinn, at(dt.date(2025, 2, 5)), 20)
    return w


def test_the_month_of_a_case_manager(february: World) -> None:
    report = monthly_report(february.alice, dt.date(2025, 2, 14))
    assert (report.month, report.whole_organisation) == (FEB, False)
    by_name = {row.name: row.result for row in report.rows}
    assert list(by_name) == ["Terry Nolan", "Paula Reyes"]  # by family name; not Bob's Quinn
    paula = by_name["Paula Reyes"]
    assert paula.minutes == billing_rules.Buckets(staff=50, physician=0, tcm=0, face_to_face=30)
    assert [(x.code, x.units, x.minutes) for x in paula.lines] == [("99490", 1, 20), ("99439", 1, 20)]
    terry = by_name["Terry Nolan"]
    assert terry.minutes == billing_rules.Buckets(tcm=10)
    [line] = terry.lines
    assert (line.code, line.status, line.bill_from) == ("99495", LineStatus.BILLABLE, dt.date(2025, 2, 15))
    assert line.note.startswith("contact Jan 22; visit Jan 24; medicines reconciled Jan 23; 99496 if")
    assert report.units_by_code() == {"99439": 1, "99490": 1, "99495": 1}


def test_each_patient_shown_is_an_audited_read(february: World) -> None:
    report = monthly_report(february.alice, FEB)
    reads = AuditEvent.objects.filter(user=february.alice, action=AuditAction.READ, object_type="TimeReport")
    assert sorted(reads.values_list("patient_id", flat=True)) == sorted(r.patient_id for r in report.rows)


def test_admins_see_the_whole_organisation_and_supervisors_their_teams(february: World) -> None:
    w = february
    south = Team.objects.create(organization=w.riverside, name="South")
    cara = make_staff("cara", Role.CASE_MANAGER, w.riverside, team=south)
    sid = register(cara, "Sid", "Young")
    work(cara, sid, dt.date(2025, 2, 4), 12)
    names = {"Paula Reyes", "Terry Nolan", "Quinn Abbott", "Sid Young"}
    assert {r.name for r in monthly_report(w.adam, FEB).rows} == names
    # Sam does not supervise South: like every page, the report shows only patients he has a relationship to.
    assert {r.name for r in monthly_report(w.sam, FEB).rows} == names - {"Sid Young"}
    assert {r.name for r in monthly_report(w.bob, FEB).rows} == {"Quinn Abbott"}
    assert {r.name for r in monthly_report(cara, FEB).rows} == {"Sid Young"}
    assert monthly_report(w.charlie, FEB).rows == ()
    for refused in (w.uma, w.pia, w.mo, w.dana):
        with pytest.raises(PermissionDenied):
            monthly_report(refused, FEB)


def test_the_csv_has_a_row_per_code_line_and_per_patient_without_a_code(february: World) -> None:
    w = february
    short = register(w.alice, "=cmd", "Zed")  # a name a spreadsheet would run as a formula
    eligible(w.alice, short)
    call(w.alice, short, at(dt.date(2025, 2, 6)), 14)
    got = rows(report_csv(monthly_report(w.alice, FEB)))
    mrn = {p.full_name: p.mrn for p in Patient.objects.prefetch_related("identifiers")}
    assert [(r["Patient"], r["Code"], r["Units"], r["Minutes"], r["Status"]) for r in got] == [
        ("Terry Nolan", "99495", "1", "0", "billable"),
        ("Paula Reyes", "99490", "1", "20", "billable"),
        ("Paula Reyes", "99439", "1", "20", "billable"),
        ("'=cmd Zed", "", "0", "14", "not billable"),
    ]
    assert got[1]["MRN"] == mrn["Paula Reyes"] and {r["Month"] for r in got} == {"2025-02"}
    assert got[3]["Note"] == "14 of 20 minutes"


def test_consent_revoked_during_the_month_still_covers_it(march: World) -> None:
    w = march
    eligible(w.alice, w.paula)
    call(w.alice, w.paula, at(dt.date(2025, 1, 8)), 20)
    call(w.alice, w.paula, at(dt.date(2025, 2, 3)), 20)
    consent = w.paula.consents.get(consent_type=ConsentType.CCM_BILLING)
    with time_machine.travel(at(dt.date(2025, 1, 20)), tick=False):
        do_revoke_consent(w.alice, consent)
    [january] = month_facts(w.riverside.pk, dt.date(2025, 1, 1))
    [february] = month_facts(w.riverside.pk, FEB)
    assert (january.facts.ccm_consent, february.facts.ccm_consent) == (True, False)


GOAL = {
    "patient_words": "I want to walk to church on Sundays again.",
    "measure": "other",
    "measure_text": "Walks to church",
    "target_text": "Walks to church most Sundays",
}


def test_a_care_plan_version_in_force_this_month_makes_complex_ccm(march: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    w = march
    eligible(w.alice, w.paula)
    work(w.alice, w.paula, dt.date(2025, 2, 3), 60)
    work(w.alice, w.paula, dt.date(2025, 1, 3), 60)
    with time_machine.travel(at(dt.date(2025, 2, 14)), tick=False):
        plan = plan_actions.do_create_plan(w.alice, w.paula_case)
        plan_actions.do_add_goal(w.alice, plan, **GOAL)
        plan_actions.do_publish(w.alice, plan, reason="")
    [feb] = month_facts(w.riverside.pk, FEB)
    [jan] = month_facts(w.riverside.pk, dt.date(2025, 1, 1))
    assert (feb.facts.plan_revised, feb.facts.care_plan_in_force) == (True, True)
    assert (jan.facts.plan_revised, jan.facts.care_plan_in_force) == (False, False)
    assert codes(feb.facts) == [("99487", 1, 60)]
    assert codes(jan.facts) == [CCM_1, (CCM_2, 2, 40)]


def test_physician_minutes_come_from_the_staff_discipline(march: World) -> None:
    w = march
    phil = make_staff("phil", Role.CASE_MANAGER, w.riverside, team=w.north, discipline=Discipline.PHYSICIAN)
    do_add_care_team_member(w.alice, w.paula, member=phil, role="Primary care physician")
    eligible(w.alice, w.paula)
    call(phil, w.paula, at(dt.date(2025, 2, 3)), 30)
    work(phil, w.paula, dt.date(2025, 2, 4), 30)
    [pm] = month_facts(w.riverside.pk, FEB)
    assert codes(pm.facts) == [("99491", 1, 30), ("99437", 1, 30)]


def test_an_organisation_holiday_moves_the_tcm_contact(march: World) -> None:
    w = march
    terry = register(w.alice, "Terry", "Nolan", Program.TCM)
    thursday = dt.date(2025, 1, 30)  # contact due Mon Feb 3, but the organisation is closed that Monday
    Holiday.objects.create(organization=w.riverside, date=dt.date(2025, 2, 3), name="Staff day")
    stay(w.alice, terry, at(thursday, 15))
    call(w.alice, terry, at(dt.date(2025, 2, 4)), 10)
    [pm] = month_facts(w.riverside.pk, FEB)  # the period ends Feb 28
    [d] = pm.facts.discharges
    assert (d.clock.contact_due, d.clock.contact_on, d.clock.visit_on, d.clock.period_end) == (
        dt.date(2025, 2, 4),
        dt.date(2025, 2, 4),
        None,
        dt.date(2025, 2, 28),
    )
    [line] = bill_month(pm.facts, LATER).lines
    assert (line.status, line.note) == (LineStatus.NOT_BILLABLE, "visit missed: none by Feb 13")


def populate(w: World, start: int, count: int) -> None:
    """Patients with every kind of fact: minutes, a face-to-face contact, a time entry, conditions, a consent,
    a care plan version, a discharge with its contact and a visit."""
    for i in range(start, start + count):
        p = register(w.alice, f"Pat{i}", f"Many{i:02d}")
        eligible(w.alice, p)
        call(w.alice, p, at(dt.date(2025, 2, 3)), 15)
        call(w.alice, p, at(dt.date(2025, 2, 4)), 15, mode=ContactMode.IN_PERSON)
        work(w.alice, p, dt.date(2025, 2, 5), 10)
        stay(w.alice, p, at(dt.date(2025, 1, 10 + i % 5), 15))
        do_add_encounter(
            w.alice, p, encounter_class=EncounterClass.AMBULATORY, start=at(dt.date(2025, 1, 20), 11)
        )
        with time_machine.travel(at(dt.date(2025, 2, 14)), tick=False):
            plan = plan_actions.do_create_plan(w.alice, Case.objects.get(patient=p))
            plan_actions.do_add_goal(w.alice, plan, **GOAL)
            plan_actions.do_publish(w.alice, plan, reason="")


def reconcile(user, patient: Patient, when: dt.datetime) -> None:  # type: ignore[no-untyped-def]
    """A medication reconciliation completed at `when`: one new medicine from the discharge list."""
    with time_machine.travel(when, tick=False):
        reconciliation = med_actions.do_start_reconciliation(user, patient)
        line = med_actions.do_add_discharge_line(user, reconciliation, name="Furosemide", dose="40 mg")
        med_actions.do_decide_line(user, line, decision="new")
        med_actions.do_complete_reconciliation(user, reconciliation, participants="the patient")


def facts_queries(organization_id: int) -> tuple[int, list[billing.PatientMonth]]:
    with CaptureQueriesContext(connection) as queries:
        found = month_facts(organization_id, FEB)
        for pm in found:
            assert pm.mrn  # prefetched
    return len(queries.captured_queries), found


def test_month_facts_takes_the_same_queries_for_2_patients_and_20(march: World, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CARE_PLAN_APPROVAL_PROGRAMS = frozenset()
    populate(march, 0, 2)
    few, found = facts_queries(march.riverside.pk)
    assert len(found) == 2 and all(pm.facts.discharges and pm.facts.plan_revised for pm in found)
    populate(march, 2, 18)
    many, found = facts_queries(march.riverside.pk)
    assert (len(found), many) == (20, few)
    assert few <= 12


def test_a_month_with_nothing_to_report(march: World) -> None:
    assert month_facts(march.riverside.pk, FEB) == []
    assert month_facts(march.riverside.pk, FEB, patient_ids=[]) == []
    report = monthly_report(march.adam, FEB)
    assert report.rows == () and report_csv(report) == ",".join(billing.CSV_HEADER) + "\r\n"
