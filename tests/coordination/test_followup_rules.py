"""Follow-up rules, pure: the contact cadence, business days and holidays, the TCM timers (clinical.md §7), the
unable-to-reach protocol, escalation and the worklist's order (careconductor/coordination/rules.py)."""

from __future__ import annotations

import datetime as dt
import random

import holidays
import pytest
from django.conf import settings
from hypothesis import given
from hypothesis import strategies as st

from careconductor.coordination import rules
from careconductor.coordination.calendar import holiday_set
from careconductor.coordination.choices import TaskPriority
from careconductor.coordination.models import Holiday
from careconductor.coordination.rules import Band, Cadence, WorkItem

from ..personas import World

D = dt.date
# The public holidays the product uses: the `holidays` package's data for the United States (calendar.py).
US = frozenset(holidays.country_holidays("US", years=range(2025, 2029)).keys())
NONE: frozenset[dt.date] = frozenset()


def failed(*moments: tuple[int, int, int, int]) -> list[dt.datetime]:
    """Failed attempts as local times: (year, month, day, hour)."""
    return [dt.datetime(y, m, d, h, 0) for y, m, d, h in moments]


# --- Cadence --------------------------------------------------------------------------------------------------
# Issue 7, "Follow-up cadence": tier 4 weekly, tier 3 every 2 weeks, tier 2 monthly, tier 1 every 2 months.
@pytest.mark.parametrize(("tier", "days"), [(4, 7), (3, 14), (2, 30), (1, 60)])
def test_each_acuity_tier_has_the_default_cadence_of_the_issue(tier: int, days: int) -> None:
    assert rules.DEFAULT_CADENCE_DAYS[tier] == days
    assert rules.cadence_for(tier) == Cadence(days)


def test_a_programme_row_overrides_the_default_for_its_tier_only() -> None:
    rows = {3: Cadence(10, "video", "nurse case manager")}
    assert rules.cadence_for(3, rows) == Cadence(10, "video", "nurse case manager")
    assert rules.cadence_for(2, rows) == Cadence(30)
    assert rules.cadence_for(3, {}) == Cadence(14)


def test_the_next_contact_is_one_interval_after_the_last_successful_one_not_after_enrolment() -> None:
    follow = rules.next_contact(D(2027, 3, 10), D(2027, 1, 4), Cadence(14), today=D(2027, 3, 12))
    assert follow.due_on == D(2027, 3, 24)
    assert not follow.overdue and not follow.due_today
    assert follow.reason == "Next contact due Mar 24 (every 14 days)"


def test_without_a_successful_contact_the_clock_runs_from_the_start_of_the_case() -> None:
    follow = rules.next_contact(None, D(2027, 3, 1), Cadence(7), today=D(2027, 3, 8))
    assert (follow.due_on, follow.due_today, follow.overdue) == (D(2027, 3, 8), True, False)
    assert follow.reason == "Contact due today (no contact since enrolment; every 7 days)"


def test_a_contact_past_its_due_day_is_overdue_by_the_days_since() -> None:
    follow = rules.next_contact(D(2027, 2, 1), D(2027, 1, 4), Cadence(14), today=D(2027, 2, 20))
    assert (follow.due_on, follow.overdue, follow.due_today) == (D(2027, 2, 15), True, False)
    assert follow.reason.startswith("Contact overdue by 5 d (last reached Feb 1; every 14 days)")


@given(
    last=st.none() | st.dates(D(2020, 1, 1), D(2030, 12, 31)),
    started=st.dates(D(2020, 1, 1), D(2030, 12, 31)),
    interval=st.integers(1, 366),
    today=st.dates(D(2020, 1, 1), D(2031, 12, 31)),
)
def test_the_due_day_is_always_the_base_plus_the_interval(
    last: dt.date | None, started: dt.date, interval: int, today: dt.date
) -> None:
    follow = rules.next_contact(last, started, Cadence(interval), today)
    assert follow.due_on == (last or started) + dt.timedelta(days=interval)
    assert follow.overdue == (follow.due_on < today)
    assert follow.due_today == (follow.due_on == today)
    assert not (follow.overdue and follow.due_today)
    assert follow.reason


# --- Business days and holidays ---------------------------------------------------------------------------------
def test_the_holiday_data_is_what_the_rules_below_assume() -> None:
    """From the `holidays` package (US, 2026): Labor Day Monday 7 September and Thanksgiving Thursday 26 November
    are federal holidays; the Friday after Thanksgiving is not."""
    assert D(2026, 9, 7) in US and D(2026, 9, 7).weekday() == 0
    assert D(2026, 11, 26) in US and D(2026, 11, 26).weekday() == 3
    assert D(2026, 11, 27) not in US
    assert not {D(2026, 11, 23), D(2026, 11, 24), D(2026, 11, 30)} & US


def test_a_friday_discharge_has_its_two_business_day_contact_due_on_tuesday() -> None:
    # clinical.md §7 TCM timer model: contact_due = discharge + 2 business days.
    due = rules.add_business_days(D(2026, 11, 20), 2, US)
    assert due == D(2026, 11, 24) and due.strftime("%A") == "Tuesday"


def test_a_friday_before_a_monday_holiday_is_due_on_wednesday() -> None:
    assert rules.add_business_days(D(2026, 9, 4), 2, US) == D(2026, 9, 9)  # Labor Day, 7 September
    assert rules.add_business_days(D(2026, 9, 4), 2, NONE) == D(2026, 9, 8)  # the same days without it


def test_thanksgiving_is_skipped_and_the_day_after_only_when_the_organisation_says_so() -> None:
    # Wednesday before Thanksgiving: Thursday is a holiday, Friday is a business day, then Monday.
    assert rules.add_business_days(D(2026, 11, 25), 2, US) == D(2026, 11, 30)
    assert rules.add_business_days(D(2026, 11, 25), 1, US) == D(2026, 11, 27)
    # An organisation that also closes on the Friday after: Monday and Tuesday.
    assert rules.add_business_days(D(2026, 11, 25), 2, US | {D(2026, 11, 27)}) == D(2026, 12, 1)


def test_a_weekend_or_holiday_is_not_a_business_day() -> None:
    assert rules.is_business_day(D(2026, 11, 24), US)
    assert not rules.is_business_day(D(2026, 11, 21), US)  # Saturday
    assert not rules.is_business_day(D(2026, 11, 22), US)  # Sunday
    assert not rules.is_business_day(D(2026, 11, 26), US)  # Thanksgiving


def test_business_days_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        rules.add_business_days(D(2026, 11, 20), -1, US)


@pytest.mark.django_db
def test_the_holiday_calendar_is_the_countrys_plus_the_organisations_own_days(world: World) -> None:
    assert settings.HOLIDAY_COUNTRY == "US"
    thanksgiving_week = (D(2026, 11, 23), D(2026, 11, 29))
    assert holiday_set(world.riverside.pk, *thanksgiving_week) == {D(2026, 11, 26)}
    Holiday.objects.create(organization=world.riverside, date=D(2026, 11, 27), name="Day after Thanksgiving")
    assert holiday_set(world.riverside.pk, *thanksgiving_week) == {D(2026, 11, 26), D(2026, 11, 27)}
    # Another organisation's day off is not Riverside's, and days outside the range are left out.
    assert holiday_set(world.lakeside.pk, *thanksgiving_week) == {D(2026, 11, 26)}
    assert holiday_set(world.riverside.pk, D(2026, 11, 28), D(2026, 12, 31)) == {D(2026, 12, 25)}


@pytest.mark.django_db
def test_without_a_holiday_country_only_the_organisations_days_count(world: World, settings) -> None:
    settings.HOLIDAY_COUNTRY = ""
    Holiday.objects.create(organization=world.riverside, date=D(2026, 11, 27), name="Staff day")
    assert holiday_set(world.riverside.pk, D(2026, 11, 23), D(2026, 11, 29)) == {D(2026, 11, 27)}


HOLIDAY_SETS = st.frozensets(st.dates(D(2026, 1, 1), D(2027, 12, 31)), max_size=40)


@given(start=st.dates(D(2026, 1, 1), D(2027, 6, 30)), days=st.integers(1, 40), extra=HOLIDAY_SETS)
def test_adding_business_days_lands_on_a_business_day_after_the_start(
    start: dt.date, days: int, extra: frozenset[dt.date]
) -> None:
    found = rules.add_business_days(start, days, US | extra)
    assert found > start
    assert rules.is_business_day(found, US | extra)
    # Exactly `days` business days lie in (start, found].
    span = [start + dt.timedelta(days=n) for n in range(1, (found - start).days + 1)]
    assert sum(rules.is_business_day(d, US | extra) for d in span) == days


@given(
    start=st.dates(D(2026, 1, 1), D(2027, 6, 30)),
    a=st.integers(0, 30),
    b=st.integers(0, 30),
    extra=HOLIDAY_SETS,
)
def test_more_business_days_never_come_sooner(
    start: dt.date, a: int, b: int, extra: frozenset[dt.date]
) -> None:
    low, high = sorted((a, b))
    first, second = (rules.add_business_days(start, n, US | extra) for n in (low, high))
    assert first <= second
    assert (first < second) == (low < high)


# --- Transitional care (clinical.md §7 TCM timer model) ----------------------------------------------------------
def test_the_tcm_timers_of_a_friday_discharge() -> None:
    # contact_due = discharge + 2 business days; visit_due = discharge + 7 (99496) or 14 (99495) calendar days;
    # period_end = discharge + 29 days.
    high = rules.transition_clock(D(2026, 11, 20), high_complexity=True, holidays=US)
    assert (high.contact_due, high.visit_due, high.period_end) == (
        D(2026, 11, 24),
        D(2026, 11, 27),
        D(2026, 12, 19),
    )
    moderate = rules.transition_clock(D(2026, 11, 20), high_complexity=False, holidays=US)
    assert moderate.visit_due == D(2026, 12, 4)
    assert not high.contact_met and not high.visit_met


def test_the_contact_is_met_by_the_second_business_day_and_missed_after_it() -> None:
    def clock(*contacts: dt.date) -> rules.TransitionClock:
        return rules.transition_clock(
            D(2026, 11, 20), high_complexity=True, holidays=US, interactive_contacts=contacts
        )

    assert clock(D(2026, 11, 24)).contact_met  # Tuesday, the deadline itself
    assert clock(D(2026, 11, 20)).contact_met  # the discharge day counts
    late = clock(D(2026, 11, 25))
    assert late.contact_on == D(2026, 11, 25) and not late.contact_met
    # A call before the discharge is not a transitional contact; the earliest one after it is.
    assert clock(D(2026, 11, 19)).contact_on is None
    assert clock(D(2026, 11, 30), D(2026, 11, 23), D(2026, 11, 19)).contact_on == D(2026, 11, 23)


@pytest.mark.parametrize(
    ("reconciled", "visit", "by_visit"),
    [
        ((), D(2026, 11, 25), False),  # never reconciled
        ((D(2026, 11, 23),), D(2026, 11, 25), True),  # before the visit
        ((D(2026, 11, 25),), D(2026, 11, 25), True),  # on the visit's day
        ((D(2026, 11, 26),), D(2026, 11, 25), False),  # after it
        ((D(2026, 11, 19), D(2026, 11, 24)), D(2026, 11, 25), True),  # before the discharge does not count
        ((D(2026, 11, 19),), D(2026, 11, 25), False),
        ((D(2026, 11, 23),), None, False),  # no visit yet
    ],
)
def test_medicines_are_reconciled_by_the_visit(
    reconciled: tuple[dt.date, ...], visit: dt.date | None, by_visit: bool
) -> None:
    # clinical.md §7, TCM: medication reconciliation by the face-to-face date.
    clock = rules.transition_clock(
        D(2026, 11, 20),
        high_complexity=False,
        holidays=US,
        visits=[visit] if visit else [],
        reconciliations=reconciled,
    )
    assert clock.reconciled_by_visit is by_visit


def test_a_visit_on_day_eight_misses_high_complexity_but_meets_moderate() -> None:
    def visit(day: dt.date, *, high: bool) -> bool:
        return rules.transition_clock(
            D(2026, 11, 20), high_complexity=high, holidays=US, visits=[day]
        ).visit_met

    assert visit(D(2026, 11, 27), high=True) and not visit(D(2026, 11, 28), high=True)
    assert visit(D(2026, 11, 28), high=False) and visit(D(2026, 12, 4), high=False)
    assert not visit(D(2026, 12, 5), high=False)


def test_a_discharge_before_thanksgiving_has_its_contact_due_the_monday_after() -> None:
    clock = rules.transition_clock(D(2026, 11, 25), high_complexity=False, holidays=US)
    assert clock.contact_due == D(2026, 11, 30)
    assert clock.period_end == D(2026, 12, 24)


# --- Unable to reach ---------------------------------------------------------------------------------------------
def test_no_failed_attempts_means_reached() -> None:
    state = rules.reach_state([], set())
    assert (state.stage, state.attempts, state.next_step, state.message) == ("reached", 0, "", "")


def test_two_days_of_attempts_keep_trying() -> None:
    state = rules.reach_state(failed((2027, 3, 1, 9), (2027, 3, 2, 18)), set())
    assert (state.stage, state.attempts, state.qualifying_days, state.next_step) == ("trying", 2, 2, "")
    assert "try on 1 more day" in state.message


def test_three_attempts_on_one_day_are_one_day_of_trying() -> None:
    state = rules.reach_state(failed((2027, 3, 1, 9), (2027, 3, 1, 13), (2027, 3, 1, 18)), set())
    assert (state.stage, state.attempts, state.qualifying_days) == ("trying", 3, 1)
    assert "try on 2 more days" in state.message


def test_three_mornings_ask_for_another_time_of_day() -> None:
    state = rules.reach_state(failed((2027, 3, 1, 9), (2027, 3, 2, 10), (2027, 3, 3, 11)), set())
    assert (state.stage, state.qualifying_days) == ("trying", 3)
    assert "all in the morning; try another time of day" in state.message


def test_three_days_at_different_times_start_the_protocol_with_the_letter() -> None:
    state = rules.reach_state(failed((2027, 3, 1, 9), (2027, 3, 2, 14), (2027, 3, 3, 11)), set())
    assert (state.stage, state.attempts, state.qualifying_days, state.next_step) == (
        "protocol",
        3,
        3,
        "letter",
    )
    assert state.message.endswith("next step, send a letter")


@pytest.mark.parametrize(
    ("done", "stage", "next_step"),
    [
        (set(), "protocol", "letter"),
        ({"letter"}, "protocol", "caregiver"),
        ({"letter", "caregiver"}, "protocol", "pcp"),
        ({"letter", "caregiver", "pcp"}, "may-close", ""),
        ({"caregiver"}, "protocol", "letter"),  # a step out of order does not skip the letter
    ],
)
def test_the_protocol_steps_go_letter_caregiver_pcp_then_the_case_may_close(
    done: set[str], stage: str, next_step: str
) -> None:
    attempts = failed((2027, 3, 1, 9), (2027, 3, 2, 19), (2027, 3, 3, 15))
    state = rules.reach_state(attempts, done)
    assert (state.stage, state.next_step) == (stage, next_step)


def test_the_number_of_attempts_is_configurable() -> None:
    two_days = failed((2027, 3, 1, 9), (2027, 3, 2, 19))
    assert rules.reach_state(two_days, set(), required=2).stage == "protocol"
    assert rules.reach_state(two_days, set(), required=3).stage == "trying"


@pytest.mark.parametrize(
    ("hour", "minute", "band"),
    [(0, 0, "morning"), (11, 59, "morning"), (12, 0, "afternoon"), (16, 59, "afternoon"), (17, 0, "evening")],
)
def test_times_of_day(hour: int, minute: int, band: str) -> None:
    assert rules.time_of_day(dt.datetime(2027, 3, 1, hour, minute)) == band


ATTEMPTS = st.lists(
    st.datetimes(dt.datetime(2027, 1, 1), dt.datetime(2027, 1, 10)), max_size=12
)  # ten days, so attempts often share a day


@given(
    attempts=ATTEMPTS,
    done=st.sets(st.sampled_from(rules.PROTOCOL_STEPS)),
    required=st.integers(1, 6),
)
def test_the_protocol_never_begins_before_the_required_number_of_days(
    attempts: list[dt.datetime], done: set[str], required: int
) -> None:
    state = rules.reach_state(attempts, done, required)
    days = {a.date() for a in attempts}
    assert state.attempts == len(attempts)
    if state.stage in ("protocol", "may-close"):
        assert len(days) >= required
        assert required == 1 or len({rules.time_of_day(a) for a in attempts}) >= 2
    if not attempts:
        assert state.stage == "reached"
    elif len(days) < required:
        assert state.stage == "trying"
    assert (state.stage == "may-close") <= (set(rules.PROTOCOL_STEPS) <= done)


NOON = dt.datetime(2027, 3, 8, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
MESSAGE = rules.PortalActivity(NOON, "wrote a message")


@pytest.mark.parametrize(
    ("contact", "portal", "reached"),
    [
        (None, None, None),
        (NOON, None, NOON),
        (None, MESSAGE, NOON),
        (NOON - HOUR, MESSAGE, NOON),  # the portal after the last call: reached then
        (NOON + HOUR, MESSAGE, NOON + HOUR),
    ],
)
def test_the_patients_own_portal_use_counts_as_reaching_them(
    contact: dt.datetime | None, portal: rules.PortalActivity | None, reached: dt.datetime | None
) -> None:
    assert rules.last_reached(contact, portal) == reached


@pytest.mark.parametrize(
    ("portal", "contact", "today", "note"),
    [
        (MESSAGE, None, NOON.date(), "; wrote a message in the portal today"),
        (MESSAGE, NOON - HOUR, NOON.date(), "; wrote a message in the portal today"),
        (MESSAGE, NOON + HOUR, NOON.date(), ""),  # reached by the team since
        (MESSAGE, None, NOON.date() + dt.timedelta(days=1), ""),  # not today
        (None, None, NOON.date(), ""),
    ],
)
def test_a_contact_row_says_when_the_patient_used_the_portal_today(
    portal: rules.PortalActivity | None, contact: dt.datetime | None, today: dt.date, note: str
) -> None:
    assert rules.portal_note(portal, contact, today) == note


# --- Escalation --------------------------------------------------------------------------------------------------
def test_an_overdue_task_escalates_once_after_the_delay() -> None:
    due = dt.datetime(2027, 3, 1, 17, 0, tzinfo=dt.UTC)
    assert not rules.escalation_due(due, due + dt.timedelta(hours=23, minutes=59), 24, already=False)
    assert rules.escalation_due(due, due + dt.timedelta(hours=24), 24, already=False)
    assert rules.escalation_due(due, due + dt.timedelta(days=3), 24, already=False)
    assert not rules.escalation_due(due, due + dt.timedelta(days=3), 24, already=True)
    assert rules.escalation_due(due, due + dt.timedelta(hours=2), 2, already=False)


R, U, A, S = TaskPriority.ROUTINE, TaskPriority.URGENT, TaskPriority.ASAP, TaskPriority.STAT
DEFAULT_HOURS = {R: 24, U: 2, A: 1, S: 1}


@pytest.mark.parametrize(
    ("priority", "hours", "delay"),
    [
        (R, DEFAULT_HOURS, 24),
        (U, DEFAULT_HOURS, 2),
        (A, DEFAULT_HOURS, 1),
        (S, DEFAULT_HOURS, 1),
        ("unknown", DEFAULT_HOURS, 24),  # counts as routine
        (U, {R: 24, U: 8, A: 1, S: 1}, 8),
        (U, {R: 4, U: 8, A: 1, S: 1}, 4),  # never longer than a less urgent priority
        (S, {R: 24, U: 2, A: 6, S: 12}, 2),
        (A, {R: 24, U: 2}, 2),  # unset: the next less urgent one's
        (R, {}, 24),
        (U, {R: 0, U: 2}, 0),  # 0: escalated as soon as it is overdue
    ],
)
def test_the_escalation_delay_depends_on_the_priority(
    priority: str, hours: dict[str, int], delay: int
) -> None:
    assert rules.escalation_delay_hours(priority, hours) == delay


# --- The worklist's order ----------------------------------------------------------------------------------------
T = dt.datetime(2027, 3, 8, 23, 59, tzinfo=dt.UTC)


def item(band: Band, name: str, **kw: object) -> WorkItem:
    return WorkItem(band, "task", 1, kw.pop("due", T), name, **kw)  # type: ignore[arg-type]


def test_the_worklist_order_table() -> None:
    expected = [
        item(Band.URGENT, "safety flag", priority_rank=0, overdue=True, due=T - dt.timedelta(days=1)),
        item(Band.URGENT, "stat task", priority_rank=0),
        item(Band.URGENT, "urgent task", priority_rank=2),
        item(Band.CONTACT, "contact overdue 3 days", overdue=True, due=T - dt.timedelta(days=3)),
        item(Band.CONTACT, "contact overdue 1 day", overdue=True, due=T - dt.timedelta(days=1)),
        item(Band.CONTACT, "contact due today, tier 4", acuity_tier=4),
        item(Band.CONTACT, "contact due today, tier 2", acuity_tier=2),
        item(Band.TRANSITION, "TCM contact due tomorrow", due=T + dt.timedelta(days=1)),
        item(Band.REVIEW, "reassessment overdue", overdue=True, due=T + dt.timedelta(days=5)),
        item(Band.REVIEW, "plan review next week", due=T + dt.timedelta(days=2)),
        item(Band.OTHER, "routine task overdue", overdue=True, priority_rank=3),
        item(Band.OTHER, "routine task", priority_rank=3),
        item(Band.OTHER, "no due date", priority_rank=3, due=None),
    ]
    for seed in range(20):
        shuffled = list(expected)
        random.Random(seed).shuffle(shuffled)
        assert [i.reason for i in rules.rank(shuffled)] == [i.reason for i in expected]


WORK_ITEMS = st.builds(
    WorkItem,
    band=st.sampled_from(list(Band)),
    kind=st.sampled_from(["task", "flag", "contact", "transition"]),
    patient_id=st.integers(1, 5),
    due=st.none() | st.datetimes(dt.datetime(2026, 1, 1), dt.datetime(2028, 1, 1), timezones=st.just(dt.UTC)),
    reason=st.text(max_size=3),
    priority_rank=st.integers(0, 9),
    overdue=st.booleans(),
    acuity_tier=st.integers(0, 4),
)


@given(items=st.lists(WORK_ITEMS, max_size=25), seed=st.integers(0, 1000))
def test_ranking_is_a_stable_total_order(items: list[WorkItem], seed: int) -> None:
    ranked = rules.rank(items)
    assert sorted(ranked, key=id) == sorted(items, key=id)  # nothing lost or added
    assert rules.rank(ranked) == ranked  # idempotent
    keys = [rules.rank_key(i) for i in ranked]
    assert keys == sorted(keys)
    shuffled = list(items)
    random.Random(seed).shuffle(shuffled)
    assert [rules.rank_key(i) for i in rules.rank(shuffled)] == keys  # input order only breaks exact ties
    bands = [i.band for i in ranked]
    if Band.URGENT in bands and Band.OTHER in bands:
        last_urgent = len(bands) - 1 - bands[::-1].index(Band.URGENT)
        assert last_urgent < bands.index(Band.OTHER)


# --- The worklist's rows: an alert with its task, a patient's rows together ----------------------------------------
def flag(patient: int, rule: str, flag_id: int) -> WorkItem:
    return WorkItem(
        Band.URGENT,
        "flag",
        patient,
        T,
        f"Alert {flag_id}",
        flag_id=flag_id,
        priority_rank=0,
        overdue=True,
        rule=rule,
    )


def task(patient: int, rule: str, task_id: int, **kw: object) -> WorkItem:
    kw.setdefault("band", Band.URGENT)
    return WorkItem(
        kind="task",
        patient_id=patient,
        due=kw.pop("due", T),  # type: ignore[arg-type]
        reason=f"Task {task_id}: title",
        task_id=task_id,
        priority_rank=2,
        rule=rule,
        short=f"task {task_id}",
        staff_id=7,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("items", "rows"),
    [
        # (kind, reason, flag_id, task_id) of each row, in order
        ([flag(1, "bp", 10), task(1, "bp", 20)], [("alert", "Alert 10 – task 20", 10, 20)]),
        ([task(1, "bp", 20), flag(1, "bp", 10)], [("alert", "Alert 10 – task 20", 10, 20)]),
        # another rule, another patient, a task without a rule: separate rows
        (
            [flag(1, "bp", 10), task(1, "glucose", 20), task(2, "bp", 21), task(1, "", 22)],
            [
                ("flag", "Alert 10", 10, None),
                ("task", "Task 20: title", None, 20),
                ("task", "Task 21: title", None, 21),
                ("task", "Task 22: title", None, 22),
            ],
        ),
        (
            [flag(1, "", 10), task(1, "", 20)],
            [("flag", "Alert 10", 10, None), ("task", "Task 20: title", None, 20)],
        ),
        # two tasks of the rule (the owner's own and a copy in a queue): the more pressing one joins the alert
        (
            [flag(1, "bp", 10), task(1, "bp", 20, due=T + dt.timedelta(hours=2)), task(1, "bp", 21)],
            [("alert", "Alert 10 – task 21", 10, 21), ("task", "Task 20: title", None, 20)],
        ),
        ([task(1, "bp", 20)], [("task", "Task 20: title", None, 20)]),
    ],
)
def test_an_alert_and_the_task_its_rule_raised_are_one_row(
    items: list[WorkItem], rows: list[tuple[str, str, int | None, int | None]]
) -> None:
    merged = rules.merge_alerts(items)
    assert [(i.kind, i.reason, i.flag_id, i.task_id) for i in merged] == rows
    for alert in (i for i in merged if i.kind == "alert"):
        assert (alert.band, alert.priority_rank, alert.staff_id) == (Band.URGENT, 0, 7)


def test_a_patients_rows_are_one_group_where_the_first_ranks() -> None:
    ranked = rules.rank(
        [
            item(Band.OTHER, "a routine", priority_rank=3),
            WorkItem(Band.URGENT, "flag", 2, T, "b alert", priority_rank=0, overdue=True),
            WorkItem(Band.CONTACT, "contact", 1, T, "a contact", overdue=True),
            WorkItem(Band.REVIEW, "reassessment", 2, T, "b review"),
            WorkItem(Band.REVIEW, "reassessment", 1, T, "a review"),
        ]
    )
    groups = rules.group_by_patient(ranked)
    assert [(g.patient_id, g.band, [i.reason for i in g.items]) for g in groups] == [
        (2, Band.URGENT, ["b alert", "b review"]),
        (1, Band.CONTACT, ["a contact", "a review", "a routine"]),
    ]


# The worklist's summary line, "N due today or overdue": by the items' dates, not by their bands (a transitional
# care visit due in five days sits in an early band but is not due today). 23:30 in Denver is the next day in UTC.
DENVER = dt.timezone(dt.timedelta(hours=-7))
TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize(
    ("band", "due", "overdue", "counted"),
    [
        (Band.CONTACT, dt.datetime(2026, 3, 10, 9, 0, tzinfo=DENVER), False, True),  # due this morning
        (Band.CONTACT, dt.datetime(2026, 3, 11, 6, 30, tzinfo=dt.UTC), False, True),  # 23:30 today in Denver
        (Band.CONTACT, dt.datetime(2026, 3, 11, 7, 30, tzinfo=dt.UTC), False, False),  # 00:30 tomorrow there
        (
            Band.TRANSITION,
            dt.datetime(2026, 3, 15, 17, 0, tzinfo=DENVER),
            False,
            False,
        ),  # a 7-day visit ahead
        (Band.TRANSITION, dt.datetime(2026, 3, 9, 17, 0, tzinfo=DENVER), True, True),  # past its day
        (
            Band.REVIEW,
            dt.datetime(2026, 3, 10, 17, 0, tzinfo=DENVER),
            False,
            True,
        ),  # a review due today counts
        (Band.OTHER, None, True, True),  # overdue without a date
        (Band.URGENT, None, False, True),  # an urgent task or safety flag with no due time: today
        (Band.OTHER, None, False, False),
    ],
)
def test_due_today_or_overdue_goes_by_the_date_in_the_organisations_zone(
    band: Band, due: dt.datetime | None, overdue: bool, counted: bool
) -> None:
    item = WorkItem(band, "task", 1, due, "x", overdue=overdue)
    assert rules.due_now(item, TODAY, DENVER) is counted
