"""A programme's outcomes (issue 22): the rules as tables (funnel, PHQ-9 at 12 weeks, enrolled time, goals, CCM
months), then one journey on the database — members a registry found referred into chronic care management, one
reached, enrolled, screened and seen again at 12 weeks, the other declining — counted on the page, the patients
behind a number limited to those the viewer may see, the CSV, and who may open it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_assign_case, do_transition_case
from careconductor.cases.choices import CaseStatus, Program
from careconductor.cases.models import Case
from careconductor.cases.rules import TransitionRequest
from careconductor.coordination.actions import ContactInput, do_log_contact, do_log_time
from careconductor.core import clock
from careconductor.patients.models import Condition, Encounter, Patient
from careconductor.population import outcomes_rules as rules
from careconductor.population.outcomes import programme_outcomes
from careconductor.population.registry_actions import do_create_registry, do_refer_from_registry
from careconductor.population.stratify import do_stratify
from careconductor.privacy import policy
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record
from tests.coordination.test_followup_actions import enrol
from tests.personas import World, make_staff

from .test_registries import HF_HIGH_USE, heart_failure
from .test_stratify import member

T = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)
W = dt.timedelta(weeks=1)


def case(n: int, *, reached: dt.datetime | None = None, enrolled: dt.datetime | None = None,
         status: str = "referred", reason: str = "") -> rules.CaseFacts:  # fmt: skip
    return rules.CaseFacts(n, 100 + n, T, enrolled, None, status, reason, reached)


def test_the_funnel_counts_each_stage_and_why_cases_ended() -> None:
    found = rules.funnel(
        [
            case(1),
            case(2, reached=T + W),
            case(3, reached=T + W, enrolled=T + 2 * W, status="active"),
            case(4, reached=T + W, status="declined"),
            case(5, reached=T, enrolled=T + W, status="closed", reason="goals_met"),
            case(6, status="closed", reason="unable_to_reach"),
        ]
    )
    assert (len(found.referred), len(found.reached), len(found.enrolled), len(found.ended)) == (6, 4, 2, 3)
    assert found.reasons == {"declined": [104], "goals_met": [105], "unable_to_reach": [106]}


@pytest.mark.parametrize(
    ("scores", "baseline", "follow_up", "response", "remission"),
    [
        ([], None, None, False, False),
        ([(T, 9), (T + 12 * W, 2)], None, None, False, False),  # under 10 at enrolment: not counted
        ([(T - 5 * W, 18), (T + 12 * W, 2)], None, None, False, False),  # more than 30 days before
        ([(T + 3 * W, 18)], None, None, False, False),  # more than 14 days after
        ([(T - 2 * W, 16)], 16, None, False, False),  # no second score
        ([(T, 16), (T + 7 * W, 2)], 16, None, False, False),  # too early for the 12-week one
        ([(T, 16), (T + 17 * W, 2)], 16, None, False, False),  # too late
        ([(T, 16), (T + 12 * W, 8)], 16, 8, True, False),  # exactly half: response
        ([(T, 16), (T + 12 * W, 9)], 16, 9, False, False),
        ([(T, 10), (T + 12 * W, 4)], 10, 4, True, True),
        ([(T, 20), (T + 9 * W, 3), (T + 13 * W, 12)], 20, 12, False, False),  # the one closest to 12 weeks
        ([(T, 20), (T + 10 * W, 3), (T + 14 * W, 12)], 20, 3, True, True),  # as close: the earlier
        # The first of 10 or more is the baseline; 14 weeks after it, 5 is half of 12 or less but not under 5.
        ([(T - W, 12), (T, 21), (T + 13 * W, 5)], 12, 5, True, False),
    ],
)
def test_phq9_response_and_remission_at_12_weeks(
    scores: list[tuple[dt.datetime, int]],
    baseline: int | None,
    follow_up: int | None,
    response: bool,
    remission: bool,
) -> None:
    assert rules.phq9_at_12_weeks(T, scores) == rules.Phq9(baseline, follow_up, response, remission)


@pytest.mark.parametrize(
    ("enrolled", "ended", "days"),
    [
        (None, None, 0.0),
        (T, None, 28.0),  # the period is 28 days from T
        (T - 10 * W, None, 28.0),
        (T + W, T + 2 * W, 7.0),
        (T + 5 * W, None, 0.0),
        (T - 2 * W, T - W, 0.0),
    ],
)
def test_enrolled_days_inside_the_period(
    enrolled: dt.datetime | None, ended: dt.datetime | None, days: float
) -> None:
    facts = rules.CaseFacts(1, 1, T, enrolled, ended, "active", "", None)
    assert rules.enrolled_days(facts, T, T + 4 * W) == days


@pytest.mark.parametrize(
    ("contacts", "days", "per_month"), [(0, 0.0, None), (3, 0.5, None), (2, 30.44, 2.0), (3, 60.88, 1.5)]
)
def test_contacts_per_case_month(contacts: int, days: float, per_month: float | None) -> None:
    assert rules.per_case_month(contacts, days) == per_month


def test_goals_met_leave_out_cancelled_ones_and_ccm_months_need_20_minutes() -> None:
    goals = [("active", "achieved"), ("completed", "sustaining"), ("active", "in-progress"), ("cancelled", "achieved"),
             ("entered-in-error", ""), ("active", "")]  # fmt: skip
    assert rules.goal_counts(goals) == (2, 4)
    first = dt.date(2026, 3, 1)
    assert rules.billable_months({(1, first): 20, (2, first): 19, (1, dt.date(2026, 4, 1)): 45}) == 2
    assert rules.median([]) is None and rules.median([1.0, 3.0, 10.0]) == 3.0


# --- one journey on the database ----------------------------------------------------------------------------------


def _enrol(user: User, found: Case) -> None:
    do_transition_case(user, found, TransitionRequest(CaseStatus.SCREENING))
    do_record_consent(
        user,
        found.patient,
        consent_type=ConsentType.CM_ENROLMENT,
        method=ConsentMethod.VERBAL,
        given_on=clock.today(),
    )
    do_transition_case(user, found, TransitionRequest(CaseStatus.ACTIVE))


@pytest.mark.django_db
def test_a_registrys_referrals_are_followed_to_enrolment_and_phq9_response(world: World, login) -> None:
    petra = make_staff("petra", Role.POPULATION_HEALTH, world.riverside)
    start = clock.now().replace(day=1, hour=12)
    with time_machine.travel(start, tick=False) as traveller:
        first, second = heart_failure(world, "First", 2), heart_failure(world, "Second", 3)
        do_stratify(world.adam)
        registry = do_create_registry(petra, name="HF", rule=HF_HIGH_USE)
        referred = do_refer_from_registry(petra, registry, [first.pk, second.pk], program=Program.CCM)
        first_case, second_case = sorted(referred.cases, key=lambda c: c.patient.given_name)
        for found in (first_case, second_case):
            do_assign_case(world.sam, found, world.alice, override_reason="She knows the family")
        traveller.shift(dt.timedelta(days=2))
        do_log_contact(
            world.alice, first, ContactInput(contact_at=clock.now(), mode="phone", direction="outbound", reached=True, minutes=10),
            case=first_case,
        )  # fmt: skip
        enrol(world, Case.objects.get(pk=first_case.pk))
        record(world.alice, first, "phq-9", phq9_answers(16))
        do_log_time(
            world.alice, first, on=clock.today(), activity="coordination", minutes=25, case=first_case
        )
        do_transition_case(world.alice, second_case, TransitionRequest(CaseStatus.DECLINED, note="Not now"))
        traveller.shift(dt.timedelta(weeks=12))
        record(world.alice, first, "phq-9", phq9_answers(7))
        end_day = clock.today()
    period = (start.date(), end_day)
    for viewer in (world.sam, petra, world.adam):
        found = programme_outcomes(viewer, Program.CCM, *period)
        f = found.funnel
        assert (len(f.referred), len(f.reached), len(f.enrolled), len(f.ended)) == (2, 1, 1, 1)
        assert sorted(found.from_registries) == sorted([first.pk, second.pk])
        assert found.median_days_to_contact == 2.0 and f.reasons == {"declined": [second.pk]}
        assert (found.phq9_baseline, found.phq9_follow_up, found.phq9_response, found.phq9_remission) == (
            [first.pk],
            [first.pk],
            [first.pk],
            [],
        )
        assert found.ccm_minutes == 25 + 10 and found.ccm_billable_months == 1  # the time entry and the call
    assert first.pk not in programme_outcomes(world.sam, Program.COMPLEX, *period).funnel.referred

    # The page, a number's patients (Sam supervises the team: he sees them; the analyst counts them only), the CSV.
    query = {"programme": "ccm", "start": f"{period[0]:%Y-%m}", "end": f"{period[1]:%Y-%m}"}
    page = login(world.sam).get(reverse("population:outcomes"), query)
    assert page.status_code == 200 and "Response: 50 % lower or more" in page.content.decode()
    names = login(world.sam).get(reverse("population:outcome_patients"), {**query, "measure": "enrolled"})
    assert "First" in names.content.decode()
    assert AuditEvent.objects.filter(user=world.sam, patient=first, action="read").exists()
    hidden = login(petra).get(reverse("population:outcome_patients"), {**query, "measure": "enrolled"})
    assert "First" not in hidden.content.decode() and "And 1 you may not open" in hidden.content.decode()
    rows = list(
        csv.reader(io.StringIO(login(petra).get(reverse("population:outcomes_csv"), query).content.decode()))
    )
    assert rows[0] == ["programme", "from", "to", "measure", "value", "of"]
    assert ["Chronic care management", period[0].isoformat(), "Enrolled", "1", "2"] in [
        [r[0], r[1], r[3], r[4], r[5]] for r in rows[1:]
    ]
    assert (
        login(petra).get(reverse("population:outcome_patients"), {**query, "measure": "nothing"}).status_code
        == 404
    )
    bad = login(world.sam).get(reverse("population:outcomes"), {**query, "start": "٢٠٢٦-01"})
    assert bad.status_code == 400 and "Give a month as YYYY-MM." in bad.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["alice", "dana", "uma", "pia"])
def test_only_supervisors_analysts_and_administrators_read_outcomes(
    world: World, persona: str, login
) -> None:
    with pytest.raises(PermissionError):
        policy.outcome_counted_rows(getattr(world, persona), "cases")
    assert login(getattr(world, persona)).get(reverse("population:outcomes")).status_code == 403


# --- hospital use before and after enrolment --------------------------------------------------------------------

D = dt.timedelta(days=1)


@pytest.mark.parametrize(
    ("stays", "readmitted"),
    [
        ([], []),
        ([(T, T + 3 * D)], []),
        (
            [(T, T + 3 * D), (T + 33 * D, T + 35 * D)],
            [T + 33 * D],
        ),  # 30 days after the discharge: a readmission
        ([(T, T + 3 * D), (T + 34 * D, T + 35 * D)], []),  # 31 days: not
        ([(T, T + 3 * D), (T + 3 * D, T + 4 * D)], [T + 3 * D]),  # the day of the discharge
        ([(T, T + 3 * D), (T + 2 * D, T + 5 * D)], []),  # begun inside the previous stay
        ([(T, None), (T + 10 * D, T + 12 * D)], []),  # the previous stay has no end
        # Out of order; each follows the one before it, not the first.
        ([(T + 50 * D, T + 52 * D), (T, T + 3 * D), (T + 20 * D, T + 22 * D)], [T + 20 * D, T + 50 * D]),
    ],
)
def test_a_readmission_begins_within_30_days_after_the_previous_stay_ended(
    stays: list[tuple[dt.datetime, dt.datetime | None]], readmitted: list[dt.datetime]
) -> None:
    assert rules.readmissions(stays) == readmitted


@pytest.mark.parametrize(
    ("ended", "now", "after_days"),
    [
        (None, T + 90 * D, 90.0),  # still enrolled: up to now
        (T + 40 * D, T + 90 * D, 40.0),  # closed: up to its end
        (None, T + 500 * D, 365.0),  # at most 365 days
        (T + 400 * D, T + 500 * D, 365.0),
        (None, T - D, 0.0),  # the clock before the enrolment: no time after
    ],
)
def test_the_windows_are_365_days_before_enrolment_and_up_to_365_after(
    ended: dt.datetime | None, now: dt.datetime, after_days: float
) -> None:
    before, after = rules.windows_around_enrolment(7, T, ended, now)
    assert (before.start, before.end, before.days) == (T - 365 * D, T, 365.0)
    assert (after.start, after.days) == (T, after_days)
    assert rules.window_before(7, T) == rules.Window(7, T - 365 * D, T)


@pytest.mark.parametrize(
    ("events", "days", "rate"),
    [
        (0, 0.0, None),  # no member time: no rate
        (1, 0.5, None),
        (0, 365.0, 0.0),
        (1, 30.44, 1000.0),  # one event in one member-month
        (2, 365.0, 166.8),  # 2 / (365 / 30.44) × 1,000
        (3, 3044.0, 30.0),  # 100 member-months
    ],
)
def test_rates_are_per_1000_member_months(events: int, days: float, rate: float | None) -> None:
    assert rules.per_thousand_member_months(events, days) == rate


def test_hospital_use_counts_the_events_that_began_in_each_members_window() -> None:
    visits = [
        rules.Visit(1, "IMP", T - 400 * D, T - 398 * D),  # before the window, but a readmission follows it
        rules.Visit(1, "IMP", T - 380 * D, T - 375 * D),  # before the window: not counted
        rules.Visit(
            1, "IMP", T - 350 * D, T - 347 * D
        ),  # 25 days after the last: a readmission in the window
        rules.Visit(1, "EMER", T - 10 * D, T - 10 * D),
        rules.Visit(1, "EMER", T, T),  # the window's end is not in it
        rules.Visit(2, "IMP", T - 100 * D, None),
        rules.Visit(3, "EMER", T - D, None),  # not a member of this group
    ]
    use = rules.utilisation([rules.window_before(1, T), rules.window_before(2, T)], visits)
    assert (use.members, use.member_days, use.member_months) == ([1, 2], 730.0, 24.0)
    assert (use.admissions, use.readmissions, use.ed_visits) == ([1, 2], [1], [1])
    assert (use.admissions_rate, use.readmissions_rate, use.ed_visits_rate) == (83.4, 41.7, 41.7)
    assert rules.utilisation([], visits).admissions_rate is None


def _member_with(world: World, name: str, *visits: tuple[str, dt.timedelta, float]) -> Patient:
    """A member with heart failure and the encounters given as (class, start from now, length in days)."""
    patient = member(world, name)
    Condition.objects.create(patient=patient, icd10_code="I50.9", display="Heart failure")
    for kind, start, days in visits:
        at = clock.now() + start
        Encounter.objects.create(patient=patient, encounter_class=kind, start=at, end=at + days * D)
    return patient


@pytest.mark.django_db
def test_hospital_use_before_and_after_enrolment_and_of_the_not_enrolled(
    world: World, login, django_assert_max_num_queries
) -> None:
    """Ellen, enrolled: 2 admissions (the second 17 days after the first ended) and an ED visit in the year before,
    1 admission in the 90 days after. Dora, referred and declining: 2 admissions and an ED visit in the year. Rita,
    in the registry and never referred: 2 admissions, the second a readmission."""
    petra = make_staff("petra", Role.POPULATION_HEALTH, world.riverside)
    start = clock.now().replace(day=1, hour=12)
    with time_machine.travel(start, tick=False) as traveller:
        ellen = _member_with(
            world, "Ellen", ("IMP", -200 * D, 3), ("IMP", -180 * D, 2), ("EMER", -50 * D, 0.2)
        )
        dora = _member_with(world, "Dora", ("IMP", -200 * D, 3), ("IMP", -100 * D, 3), ("EMER", -10 * D, 0.2))
        rita = _member_with(world, "Rita", ("IMP", -250 * D, 3), ("IMP", -240 * D, 3))
        do_stratify(world.adam)
        registry = do_create_registry(petra, name="HF", rule=HF_HIGH_USE)
        referred = do_refer_from_registry(petra, registry, [ellen.pk, dora.pk], program=Program.CCM)
        ellen_case, dora_case = sorted(referred.cases, key=lambda c: c.patient.given_name == "Dora")
        for found in (ellen_case, dora_case):
            do_assign_case(world.sam, found, world.alice, override_reason="She knows the family")
        traveller.shift(2 * D)
        enrol(world, Case.objects.get(pk=ellen_case.pk))
        do_transition_case(world.alice, dora_case, TransitionRequest(CaseStatus.DECLINED, note="Not now"))
        traveller.shift(30 * D)
        Encounter.objects.create(
            patient=ellen, encounter_class="IMP", start=clock.now(), end=clock.now() + 2 * D
        )
        traveller.shift(60 * D)  # 90 days after the enrolment
        found = programme_outcomes(petra, Program.CCM, start.date(), clock.today())
        figures = {
            group: (
                use.members,
                use.member_months,
                use.admissions_rate,
                use.readmissions_rate,
                use.ed_visits_rate,
            )
            for group, use in found.use.items()
        }
        assert figures == {
            # 365 days are 12.0 member-months: 2 in them are 166.8 per 1,000, 1 is 83.4.
            "before": ([ellen.pk], 12.0, 166.8, 83.4, 83.4),
            "after": ([ellen.pk], 3.0, 338.2, 0.0, 0.0),  # 1 in 90 days (2.96 member-months)
            "not_enrolled": ([dora.pk], 12.0, 166.8, 0.0, 83.4),
            "registry": ([rita.pk], 12.0, 166.8, 83.4, 0.0),
        }
        assert found.use["before"].admissions == [ellen.pk, ellen.pk]

        query = {"programme": "ccm", "start": f"{start:%Y-%m}", "end": f"{clock.today():%Y-%m}"}
        client = login(world.sam)
        with django_assert_max_num_queries(
            16
        ):  # 14, and hospital use's two reads: who was referred, the encounters
            page = client.get(reverse("population:outcomes"), query)
        body = page.content.decode()
        assert page.status_code == 200 and "Hospital use per 1,000 member-months" in body
        assert "338.2" in body and "In a registry, not referred" in body
        # Sam supervises Ellen's case manager: he sees her; Rita has no case, so he counts her without her name.
        behind = client.get(reverse("population:outcome_patients"), {**query, "measure": "admissions:after"})
        assert "Ellen" in behind.content.decode()
        behind = client.get(
            reverse("population:outcome_patients"), {**query, "measure": "readmissions:registry"}
        )
        assert "Rita" not in behind.content.decode() and "And 1 you may not open" in behind.content.decode()
        rows = list(
            csv.reader(io.StringIO(client.get(reverse("population:outcomes_csv"), query).content.decode()))
        )
        measured = {r[3]: (r[4], r[5]) for r in rows[1:]}
        assert measured["Hospital admissions per 1,000 member-months before enrolment"] == ("166.8", "")
        assert measured["Hospital admissions after enrolment"] == ("1", "3.0")
        assert measured["ED visits per 1,000 member-months referred, not enrolled"] == ("83.4", "")
        assert measured["30-day readmissions per 1,000 member-months in a registry, not referred"] == (
            "83.4",
            "",
        )
