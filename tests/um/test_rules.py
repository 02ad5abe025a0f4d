"""The prior-authorisation clock (CMS-0057-F, clinical.md §8: 72 hours expedited, 7 calendar days standard; QHP
issuers on the federal exchanges 15 days, 45 CFR 147.136) and the request's moves, as tables; the state machine
walked by hypothesis. No database: careconductor.um.rules is pure."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careconductor.um.rules import (
    ADVERSE,
    DECIDED,
    Actor,
    Colour,
    DenialReason,
    Facts,
    Move,
    Pend,
    PendRule,
    PlanType,
    Status,
    Urgency,
    clock_state,
    due_at,
    left_words,
    move_problems,
    next_status,
    pended_time,
)

NY = ZoneInfo("America/New_York")
E, S = Urgency.EXPEDITED, Urgency.STANDARD


def ny(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("received", "urgency", "plan", "due"),
    [
        # 72 elapsed hours: Friday afternoon → Monday afternoon, the weekend counts.
        (ny(2027, 1, 8, 16, 0), E, PlanType.MEDICARE_ADVANTAGE, ny(2027, 1, 11, 16, 0)),
        # 7 calendar days: Friday → the next Friday, same time.
        (ny(2027, 1, 8, 16, 0), S, PlanType.MEDICARE_ADVANTAGE, ny(2027, 1, 15, 16, 0)),
        (ny(2027, 12, 28, 9, 30), S, PlanType.MEDICAID_MANAGED_CARE, ny(2028, 1, 4, 9, 30)),  # over New Year
        # Clocks go forward on Sun 14 Mar 2027: 72 elapsed hours end an hour later on the wall clock ...
        (ny(2027, 3, 12, 10, 0), E, PlanType.CHIP, ny(2027, 3, 15, 11, 0)),
        # ... and 7 calendar days end at the same wall time (167 elapsed hours).
        (ny(2027, 3, 12, 10, 0), S, PlanType.CHIP, ny(2027, 3, 19, 10, 0)),
        # Clocks go back on Sun 7 Nov 2027: 72 hours end an hour earlier on the wall clock.
        (ny(2027, 11, 5, 10, 0), E, PlanType.MEDICAID_FFS, ny(2027, 11, 8, 9, 0)),
        (ny(2027, 11, 5, 10, 0), S, PlanType.MEDICAID_FFS, ny(2027, 11, 12, 10, 0)),
        # QHP issuers on the federal exchange: 72 hours urgent, 15 days standard.
        (ny(2027, 1, 8, 16, 0), E, PlanType.QHP_EXCHANGE, ny(2027, 1, 11, 16, 0)),
        (ny(2027, 1, 8, 16, 0), S, PlanType.QHP_EXCHANGE, ny(2027, 1, 23, 16, 0)),
    ],
)
def test_the_decision_is_due_72_hours_or_7_calendar_days_after_receipt(
    received: dt.datetime, urgency: Urgency, plan: PlanType, due: dt.datetime
) -> None:
    assert due_at(received, urgency, NY, plan_type=plan) == due


def test_received_in_another_zone_is_counted_on_the_plans_wall_clock() -> None:
    received = dt.datetime(2027, 1, 8, 23, 30, tzinfo=dt.UTC)  # 18:30 in New York
    assert due_at(received, S, NY) == ny(2027, 1, 15, 18, 30)
    with pytest.raises(ValueError, match="aware"):
        due_at(dt.datetime(2027, 1, 8, 9, 0), S, NY)


RECEIVED = ny(2027, 1, 4, 9, 0)  # a Monday
WAITED = [Pend(ny(2027, 1, 5, 9, 0), ny(2027, 1, 6, 15, 0))]  # 30 hours waiting for the notes


@pytest.mark.parametrize(
    ("urgency", "rule", "pends", "now", "due"),
    [
        # The regulatory default: waiting for information does not stop the clock.
        (S, PendRule.CLOCK_RUNS, WAITED, None, ny(2027, 1, 11, 9, 0)),
        (E, PendRule.CLOCK_RUNS, WAITED, None, ny(2027, 1, 7, 9, 0)),
        # A plan whose rules stop it: the 30 hours are added.
        (S, PendRule.CLOCK_STOPS, WAITED, None, ny(2027, 1, 12, 15, 0)),
        (E, PendRule.CLOCK_STOPS, WAITED, None, ny(2027, 1, 8, 15, 0)),
        # Still waiting: counted up to now (Wednesday 9:00, 24 hours so far).
        (S, PendRule.CLOCK_STOPS, [Pend(ny(2027, 1, 5, 9, 0))], ny(2027, 1, 6, 9, 0), ny(2027, 1, 12, 9, 0)),
        # Overlapping pends count once: 9:00-15:00 and 12:00-18:00 are 9 hours.
        (
            E,
            PendRule.CLOCK_STOPS,
            [
                Pend(ny(2027, 1, 5, 9, 0), ny(2027, 1, 5, 15, 0)),
                Pend(ny(2027, 1, 5, 12, 0), ny(2027, 1, 5, 18, 0)),
            ],
            None,
            ny(2027, 1, 7, 18, 0),
        ),
    ],
)
def test_pended_time_stops_the_clock_only_where_the_plans_rule_says_so(
    urgency: Urgency, rule: PendRule, pends: list[Pend], now: dt.datetime | None, due: dt.datetime
) -> None:
    assert due_at(RECEIVED, urgency, NY, pends=pends, rule=rule, now=now) == due


@given(
    st.lists(
        st.tuples(st.integers(0, 200), st.integers(0, 72)).map(
            lambda t: Pend(RECEIVED + dt.timedelta(hours=t[0]), RECEIVED + dt.timedelta(hours=t[0] + t[1]))
        ),
        max_size=6,
    )
)
def test_pended_time_is_the_hours_covered_by_some_pend(pends: list[Pend]) -> None:
    covered = {
        h
        for p in pends
        for h in range(
            int((p.started - RECEIVED).total_seconds() // 3600),
            int(((p.ended or p.started) - RECEIVED).total_seconds() // 3600),
        )
    }
    assert pended_time(pends, None) == dt.timedelta(hours=len(covered))


@pytest.mark.parametrize(
    ("hours_in", "colour"),
    [(0, Colour.ON_TIME), (35, Colour.ON_TIME), (36, Colour.HALF), (57, Colour.HALF), (57.6, Colour.LATE),
     (71.9, Colour.LATE), (72, Colour.BREACHED), (100, Colour.BREACHED)],
)  # fmt: skip
def test_the_clock_turns_amber_at_half_and_red_at_80_percent(hours_in: float, colour: Colour) -> None:
    due = due_at(RECEIVED, E, NY)
    state = clock_state(RECEIVED, due, RECEIVED + dt.timedelta(hours=hours_in))
    assert state.colour == colour
    assert state.used == pytest.approx(hours_in / 72)
    assert state.left == due - (RECEIVED + dt.timedelta(hours=hours_in))


NURSE, DOCTOR, OTHER_DOCTOR = Actor(1, physician=False), Actor(2, physician=True), Actor(3, physician=True)


@pytest.mark.parametrize(
    ("facts", "move", "actor", "reason", "problem"),
    [
        (Facts(Status.RECEIVED), Move.REVIEW, NURSE, "", None),
        (Facts(Status.RECEIVED), Move.APPROVE, NURSE, "", "move"),  # not in review yet
        (Facts(Status.IN_REVIEW, criteria_met=True, reviewer=1), Move.APPROVE, NURSE, "", None),
        (Facts(Status.IN_REVIEW, criteria_met=False, reviewer=1), Move.APPROVE, NURSE, "", "move"),
        (Facts(Status.IN_REVIEW, criteria_met=None, reviewer=1), Move.APPROVE, NURSE, "", "move"),
        (Facts(Status.IN_REVIEW, criteria_met=False, reviewer=1), Move.APPROVE, DOCTOR, "", None),
        (Facts(Status.IN_REVIEW, reviewer=None), Move.APPROVE, DOCTOR, "", "reviewer"),
        (
            Facts(Status.IN_REVIEW, criteria_met=False, reviewer=1),
            Move.DENY,
            NURSE,
            "criteria-not-met",
            "move",
        ),
        (Facts(Status.PHYSICIAN_REVIEW, reviewer=2), Move.DENY, DOCTOR, "", "reason"),
        (Facts(Status.PHYSICIAN_REVIEW, reviewer=2), Move.DENY, DOCTOR, "because", "reason"),
        (Facts(Status.PHYSICIAN_REVIEW, reviewer=2), Move.DENY, DOCTOR, "criteria-not-met", None),
        (Facts(Status.PHYSICIAN_REVIEW, reviewer=2), Move.PARTIAL, DOCTOR, "site-of-care", None),
        (Facts(Status.DENIED, decided_by=2), Move.APPEAL, NURSE, "", None),
        (Facts(Status.APPROVED, decided_by=2), Move.APPEAL, NURSE, "", "move"),
        (Facts(Status.APPEALED, decided_by=2), Move.OVERTURN, DOCTOR, "", "move"),  # the first decider
        (Facts(Status.APPEALED, decided_by=2), Move.OVERTURN, OTHER_DOCTOR, "", None),
        (Facts(Status.APPEALED, decided_by=2), Move.UPHOLD, NURSE, "criteria-not-met", "move"),
        (Facts(Status.APPEALED, decided_by=2), Move.UPHOLD, OTHER_DOCTOR, "criteria-not-met", None),
        (Facts(Status.PENDED), Move.RESUME, NURSE, "", None),
        (Facts(Status.WITHDRAWN), Move.RESUME, NURSE, "", "move"),
        # More time to decide: once, while the request is open.
        (Facts(Status.IN_REVIEW, reviewer=1), Move.EXTEND, NURSE, "", None),
        (Facts(Status.PENDED), Move.EXTEND, NURSE, "", None),
        (Facts(Status.IN_REVIEW, reviewer=1, extended=True), Move.EXTEND, NURSE, "", "move"),
        (Facts(Status.APPROVED, decided_by=2), Move.EXTEND, DOCTOR, "", "move"),
    ],
)
def test_who_may_move_a_request(
    facts: Facts, move: Move, actor: Actor, reason: str, problem: str | None
) -> None:
    problems = move_problems(facts, move, actor, reason=reason)
    assert (next(iter(problems)) if problems else None) == problem, problems


def test_an_appeal_comes_within_its_window() -> None:
    decided = ny(2027, 1, 4, 9, 0)
    facts = Facts(Status.DENIED, decided_by=2, decided_at=decided)
    assert move_problems(facts, Move.APPEAL, NURSE, now=decided + dt.timedelta(days=65)) == {}
    late = move_problems(facts, Move.APPEAL, NURSE, now=decided + dt.timedelta(days=65, minutes=1))
    assert late == {"move": "The 65 days to appeal have passed."}


# The state machine, walked: whatever is tried, by whomever, a request never reaches a decision without a reviewer,
# an adverse decision is always a physician's with a coded reason, and no appeal is decided by the first decider.
ACTORS = st.sampled_from([NURSE, DOCTOR, OTHER_DOCTOR])
REASON = st.sampled_from(["", "why not", *[r.value for r in DenialReason]])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(list(Move)), ACTORS, REASON, st.booleans()), max_size=14))
def test_walking_the_moves_keeps_the_rules(tries: list[tuple[Move, Actor, str, bool]]) -> None:
    facts = Facts(Status.RECEIVED)
    history: list[tuple[Move, Actor, str, Status]] = []
    for move, actor, reason, criteria in tries:
        if move_problems(facts, move, actor, reason=reason):
            continue
        after = next_status(facts, move)
        history.append((move, actor, reason, after))
        first_decision = after in DECIDED and facts.status not in (Status.APPEALED,)
        facts = Facts(
            after,
            criteria_met=criteria if move == Move.REVIEW else facts.criteria_met,
            reviewer=actor.user_id if move == Move.REVIEW else facts.reviewer,
            decided_by=actor.user_id if first_decision else facts.decided_by,
            extended=facts.extended or move == Move.EXTEND,
        )
    assert sum(m == Move.EXTEND for m, _, _, _ in history) <= 1  # the time frame is extended once at most
    for _move, actor, reason, to in history:
        if to in ADVERSE or to == Status.APPEAL_DENIED:
            assert actor.physician and reason in {r.value for r in DenialReason}
        if to in DECIDED:
            assert any(m == Move.REVIEW for m, _, _, _ in history), "decided without a review"
        if to in (Status.APPEAL_APPROVED, Status.APPEAL_DENIED):
            first = next(a for _, a, _, after in history if after in DECIDED)  # who made the first decision
            assert actor.physician and actor.user_id != first.user_id


def test_information_for_a_request_nobody_took_up_puts_it_back_to_be_taken_up() -> None:
    assert next_status(Facts(Status.PENDED), Move.RESUME) == Status.RECEIVED
    assert next_status(Facts(Status.PENDED, reviewer=1), Move.RESUME) == Status.IN_REVIEW
    # With a physician now, a nurse reviewer cannot approve it either.
    assert "move" in move_problems(Facts(Status.PHYSICIAN_REVIEW, reviewer=1), Move.APPROVE, NURSE)


@pytest.mark.parametrize(
    ("received", "urgency", "days", "due"),
    [
        # 7 calendar days and 14 more: 21 days from a Friday, the same wall time.
        (ny(2027, 1, 8, 16, 0), S, 14, ny(2027, 1, 29, 16, 0)),
        # Across the spring change (Sun 14 Mar 2027): the extended due time keeps its wall time.
        (ny(2027, 3, 1, 10, 0), S, 14, ny(2027, 3, 22, 10, 0)),
        # An expedited request extended by 3 days: 72 hours, then 3 calendar days on the plan's clock.
        (ny(2027, 1, 8, 16, 0), E, 3, ny(2027, 1, 14, 16, 0)),
        (ny(2027, 1, 8, 16, 0), S, 0, ny(2027, 1, 15, 16, 0)),
    ],
)
def test_an_extension_adds_calendar_days_on_the_plans_clock(
    received: dt.datetime, urgency: Urgency, days: int, due: dt.datetime
) -> None:
    assert due_at(received, urgency, NY, extension_days=days) == due


@pytest.mark.parametrize(
    ("left", "words"),
    [
        (dt.timedelta(minutes=-1), "past due"),
        (dt.timedelta(seconds=30), "0 min"),
        (dt.timedelta(minutes=59), "59 min"),
        (dt.timedelta(hours=5, minutes=58), "5 h 58 min"),
        (dt.timedelta(days=1, hours=17, minutes=5), "1 d 17 h"),
        (dt.timedelta(days=29), "29 d 0 h"),
    ],
)
def test_time_left_in_words(left: dt.timedelta, words: str) -> None:
    assert left_words(left) == words
