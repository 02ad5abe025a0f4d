"""The case status machine, its preconditions, acuity points and the assignment ranking: pure rules, no DB."""

from __future__ import annotations

import string
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from careconductor.accounts.choices import ExperienceLevel
from careconductor.cases.choices import CaseStatus, ClosureReason
from careconductor.cases.rules import (
    NOTE_REQUIRED,
    TERMINAL_STATUSES,
    TRANSITIONS,
    Candidate,
    CaseFacts,
    TransitionRequest,
    acuity_points,
    allowed_targets,
    check_transition,
    rank_candidates,
)

S = CaseStatus
E = ExperienceLevel

# The status machine as the programme describes it, written out independently of the code's table.
EXPECTED_MOVES: dict[CaseStatus, set[CaseStatus]] = {
    S.REFERRED: {S.SCREENING, S.DECLINED, S.INELIGIBLE},
    S.SCREENING: {S.ACTIVE, S.DECLINED, S.INELIGIBLE},
    S.ACTIVE: {S.ON_HOLD, S.CLOSED},
    S.ON_HOLD: {S.ACTIVE, S.CLOSED},
    S.CLOSED: set(),
    S.DECLINED: set(),
    S.INELIGIBLE: set(),
}


def ready_facts(status: CaseStatus) -> CaseFacts:
    """A case that meets every precondition: consent recorded, case manager assigned."""
    return CaseFacts(status=status, has_enrolment_consent=True, has_case_manager=True)


def complete_request(target: CaseStatus) -> TransitionRequest:
    """A request that says everything any move could ask for."""
    return TransitionRequest(
        target=target,
        note="Discussed with the patient",
        closure_reason=ClosureReason.GOALS_MET,
        closing_summary="Goals met; PCP takes over follow-up.",
    )


# --- the transition table -------------------------------------------------------------------------------


def test_the_table_covers_every_status_and_matches_the_programme() -> None:
    assert set(TRANSITIONS) == set(CaseStatus)
    assert {s: set(t) for s, t in TRANSITIONS.items()} == EXPECTED_MOVES


@pytest.mark.parametrize(
    ("source", "target"),
    [(a, b) for a in CaseStatus for b in CaseStatus],
    ids=lambda s: str(s),
)
def test_every_pair_of_statuses_is_allowed_or_refused_per_the_table(source: S, target: S) -> None:
    errors = check_transition(ready_facts(source), complete_request(target))
    if target in EXPECTED_MOVES[source]:
        assert errors == {}
    else:
        assert set(errors) == {""}
        assert f"cannot become {target.label.lower()}" in errors[""]


@pytest.mark.parametrize("terminal", [S.CLOSED, S.DECLINED, S.INELIGIBLE])
def test_finished_cases_have_no_way_out(terminal: S) -> None:
    assert terminal in TERMINAL_STATUSES
    assert allowed_targets(terminal) == frozenset()
    for target in CaseStatus:
        errors = check_transition(ready_facts(terminal), complete_request(target))
        assert "the case is finished" in errors[""]


def test_only_closed_declined_and_ineligible_are_terminal() -> None:
    assert frozenset({S.CLOSED, S.DECLINED, S.INELIGIBLE}) == TERMINAL_STATUSES


def test_a_refusal_names_the_steps_that_are_allowed() -> None:
    errors = check_transition(ready_facts(S.REFERRED), complete_request(S.CLOSED))
    assert errors[""] == (
        "A referred case cannot become closed. Allowed next steps: Declined, Ineligible, Screening."
    )


# --- enrolment --------------------------------------------------------------------------------------------


def test_it_refuses_enrolment_without_consent() -> None:
    facts = CaseFacts(S.SCREENING, has_enrolment_consent=False, has_case_manager=True)
    errors = check_transition(facts, TransitionRequest(S.ACTIVE))
    assert errors == {"": "Record the patient's consent to case management before enrolling."}


def test_it_refuses_enrolment_without_a_case_manager() -> None:
    facts = CaseFacts(S.SCREENING, has_enrolment_consent=True, has_case_manager=False)
    errors = check_transition(facts, TransitionRequest(S.ACTIVE))
    assert errors == {"case_manager": "Assign a case manager before enrolling."}


def test_it_reports_both_missing_preconditions_at_once() -> None:
    facts = CaseFacts(S.SCREENING, has_enrolment_consent=False, has_case_manager=False)
    assert set(check_transition(facts, TransitionRequest(S.ACTIVE))) == {"", "case_manager"}


def test_it_enrols_with_consent_and_a_case_manager() -> None:
    assert check_transition(ready_facts(S.SCREENING), TransitionRequest(S.ACTIVE)) == {}


def test_resuming_from_hold_also_needs_consent_in_force() -> None:
    facts = CaseFacts(S.ON_HOLD, has_enrolment_consent=False, has_case_manager=True)
    assert "consent" in check_transition(facts, TransitionRequest(S.ACTIVE))[""]


def test_other_moves_do_not_need_consent_or_a_case_manager() -> None:
    bare = CaseFacts(S.REFERRED, has_enrolment_consent=False, has_case_manager=False)
    assert check_transition(bare, TransitionRequest(S.SCREENING)) == {}
    assert check_transition(bare, TransitionRequest(S.DECLINED, note="Not interested")) == {}


# --- notes ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target"), [(S.ACTIVE, S.ON_HOLD), (S.REFERRED, S.DECLINED), (S.SCREENING, S.INELIGIBLE)]
)
@pytest.mark.parametrize("note", ["", "   ", "\n\t"])
def test_it_refuses_hold_decline_and_ineligible_without_a_note(source: S, target: S, note: str) -> None:
    errors = check_transition(ready_facts(source), TransitionRequest(target, note=note))
    assert errors == {"note": "Say why, so the next person understands."}


@pytest.mark.parametrize(
    ("source", "target"), [(S.ACTIVE, S.ON_HOLD), (S.REFERRED, S.DECLINED), (S.SCREENING, S.INELIGIBLE)]
)
def test_a_note_lets_hold_decline_and_ineligible_through(source: S, target: S) -> None:
    assert check_transition(ready_facts(source), TransitionRequest(target, note="Patient in hospital")) == {}


def test_only_hold_decline_and_ineligible_require_a_note() -> None:
    assert frozenset({S.ON_HOLD, S.DECLINED, S.INELIGIBLE}) == NOTE_REQUIRED
    assert check_transition(ready_facts(S.REFERRED), TransitionRequest(S.SCREENING)) == {}


# --- closing ----------------------------------------------------------------------------------------------


def close(**fields: str) -> dict[str, str]:
    return check_transition(ready_facts(S.ACTIVE), TransitionRequest(S.CLOSED, **fields))


def test_it_refuses_closing_without_a_reason() -> None:
    assert close(closing_summary="Done.")["closure_reason"] == "Choose why the case is closing."


def test_it_refuses_closing_with_a_reason_that_is_not_on_the_list() -> None:
    assert "closure_reason" in close(closure_reason="bored", closing_summary="Done.")


def test_it_refuses_other_without_describing_it() -> None:
    errors = close(closure_reason=ClosureReason.OTHER, closure_reason_other="  ", closing_summary="Done.")
    assert errors == {"closure_reason_other": "Describe the other reason."}


def test_other_with_a_description_is_enough() -> None:
    assert (
        close(
            closure_reason=ClosureReason.OTHER,
            closure_reason_other="Entered hospice",
            closing_summary="Done.",
        )
        == {}
    )


@pytest.mark.parametrize("summary", ["", "   "])
def test_it_refuses_closing_without_a_closing_summary(summary: str) -> None:
    errors = close(closure_reason=ClosureReason.GOALS_MET, closing_summary=summary)
    assert errors == {"closing_summary": "Write a closing summary: goals, outcomes and who takes over."}


@pytest.mark.parametrize("reason", [r for r in ClosureReason if r != ClosureReason.OTHER])
def test_every_listed_reason_closes_with_a_summary(reason: ClosureReason) -> None:
    assert close(closure_reason=reason, closing_summary="Handed over to the PCP.") == {}


def test_closing_from_hold_follows_the_same_rules() -> None:
    errors = check_transition(ready_facts(S.ON_HOLD), TransitionRequest(S.CLOSED))
    assert set(errors) == {"closure_reason", "closing_summary"}


# --- acuity -----------------------------------------------------------------------------------------------


def test_acuity_points_weight_complex_cases_more() -> None:
    assert [acuity_points(t) for t in (1, 2, 3, 4)] == [1, 2, 4, 6]


def test_there_is_no_tier_5() -> None:
    with pytest.raises(KeyError):
        acuity_points(5)


# --- ranking candidates -----------------------------------------------------------------------------------


def staff(
    staff_id: int,
    name: str,
    experience: E = E.PROFICIENT,
    languages: tuple[str, ...] = ("en",),
    capacity: int = 40,
    points_used: int = 0,
) -> Candidate:
    return Candidate(staff_id, name, experience, languages, capacity, points_used)


@pytest.mark.parametrize("tier", [3, 4])
def test_high_acuity_is_never_first_offered_to_novice_or_competent_staff(tier: int) -> None:
    ranked = rank_candidates(
        tier,
        "es",
        [
            staff(1, "Nina", E.NOVICE, ("es",), capacity=100),
            staff(2, "Carl", E.COMPETENT, ("es",), capacity=100),
            staff(3, "Pru", E.PROFICIENT, ("en",), capacity=40, points_used=30),
        ],
    )
    assert ranked[0].candidate.name == "Pru"
    assert ranked[0].eligible
    assert [r.eligible for r in ranked[1:]] == [False, False]
    for r in ranked[1:]:
        assert f"tier {tier} needs proficient or expert staff" in r.reasons[0]


@pytest.mark.parametrize("tier", [1, 2])
def test_low_acuity_cases_can_go_to_novices(tier: int) -> None:
    [only] = rank_candidates(tier, "en", [staff(1, "Nina", E.NOVICE)])
    assert only.eligible


def test_a_shared_language_beats_spare_capacity_among_eligible_staff() -> None:
    ranked = rank_candidates(
        2,
        "vi",
        [
            staff(1, "Roomy", languages=("en",), capacity=60),
            staff(2, "Linh", languages=("en", "vi"), capacity=20, points_used=10),
        ],
    )
    assert [r.candidate.name for r in ranked] == ["Linh", "Roomy"]
    assert ranked[0].shares_language and not ranked[1].shares_language


def test_a_shared_language_does_not_make_an_ineligible_person_first() -> None:
    ranked = rank_candidates(
        4,
        "vi",
        [
            staff(1, "Linh", E.NOVICE, ("vi",)),
            staff(2, "Pru", E.EXPERT, ("en",)),
        ],
    )
    assert [r.candidate.name for r in ranked] == ["Pru", "Linh"]


def test_more_room_wins_when_language_is_equal() -> None:
    ranked = rank_candidates(
        1,
        "en",
        [
            staff(1, "Busy", capacity=40, points_used=35),
            staff(2, "Free", capacity=40, points_used=5),
        ],
    )
    assert [r.candidate.name for r in ranked] == ["Free", "Busy"]


def test_ties_are_broken_by_name_so_the_order_is_stable() -> None:
    ranked = rank_candidates(1, "en", [staff(1, "Zed"), staff(2, "Amy")])
    assert [r.candidate.name for r in ranked] == ["Amy", "Zed"]


def test_staff_without_room_for_the_case_are_not_eligible() -> None:
    # Tier 4 needs 6 points: 5 left is not enough, exactly 6 is.
    ranked = rank_candidates(
        4,
        "en",
        [
            staff(1, "Five", E.EXPERT, capacity=40, points_used=35),
            staff(2, "Six", E.EXPERT, capacity=40, points_used=34),
        ],
    )
    by_name = {r.candidate.name: r for r in ranked}
    assert not by_name["Five"].eligible
    assert "no room: 5 of 40 points left, case needs 6" in by_name["Five"].reasons
    assert by_name["Six"].eligible
    assert ranked[0].candidate.name == "Six"


def test_overloaded_staff_are_not_eligible() -> None:
    [r] = rank_candidates(1, "en", [staff(1, "Over", capacity=10, points_used=12)])
    assert not r.eligible
    assert "no room: -2 of 10 points left, case needs 1" in r.reasons


def test_reasons_explain_each_suggestion() -> None:
    ranked = rank_candidates(
        3,
        "es",
        [
            staff(1, "Alice", E.PROFICIENT, ("en", "es"), capacity=60, points_used=4),
            staff(2, "Bob", E.COMPETENT, ("en",), capacity=60),
        ],
    )
    alice, bob = ranked
    assert alice.reasons == ["speaks the patient's language", "56 of 60 points free"]
    assert bob.reasons == ["tier 3 needs proficient or expert staff (competent)"]


def test_ranking_nobody_gives_an_empty_list() -> None:
    assert rank_candidates(2, "en", []) == []


# --- properties -------------------------------------------------------------------------------------------

notes = st.sampled_from(["", "  ", "\n\t", "Patient asked to pause"])
closure_reasons = st.sampled_from(["", "bored", *ClosureReason.values])


class CaseLifecycle(RuleBasedStateMachine):
    """A case driven by random requests with random facts, keeping only the moves the rules allow."""

    def __init__(self) -> None:
        super().__init__()
        self.status = S.REFERRED

    @rule(
        to=st.sampled_from(CaseStatus),
        consent=st.booleans(),
        manager=st.booleans(),
        note=notes,
        closure_reason=closure_reasons,
        other=notes,
        summary=notes,
    )
    def attempt(
        self, to: S, consent: bool, manager: bool, note: str, closure_reason: str, other: str, summary: str
    ) -> None:
        before = self.status
        facts = CaseFacts(before, has_enrolment_consent=consent, has_case_manager=manager)
        request = TransitionRequest(to, note, closure_reason, other, summary)
        if check_transition(facts, request):
            return
        assert to in EXPECTED_MOVES[before], f"{before} -> {to} was allowed"
        assert before not in TERMINAL_STATUSES
        if to == S.ACTIVE:
            assert consent and manager
        if to in NOTE_REQUIRED:
            assert note.strip()
        if to == S.CLOSED:
            assert closure_reason in ClosureReason.values
            assert closure_reason != ClosureReason.OTHER or other.strip()
            assert summary.strip()
        self.status = to

    @invariant()
    def status_is_a_known_status(self) -> None:
        assert self.status in CaseStatus


CaseLifecycle.TestCase.settings = settings(max_examples=80, stateful_step_count=25, deadline=None)
TestCaseLifecycle = CaseLifecycle.TestCase


@given(source=st.sampled_from(CaseStatus), target=st.sampled_from(CaseStatus))
@settings(max_examples=100)
def test_a_complete_request_is_refused_only_by_the_table(source: S, target: S) -> None:
    allowed = not check_transition(ready_facts(source), complete_request(target))
    assert allowed == (target in EXPECTED_MOVES[source])


candidates = st.lists(
    st.builds(
        Candidate,
        staff_id=st.integers(1, 10_000),
        name=st.text(alphabet=string.ascii_letters, min_size=1, max_size=6),
        experience=st.sampled_from(ExperienceLevel),
        languages=st.lists(st.sampled_from(["en", "es", "vi", "zh"]), max_size=3, unique=True).map(tuple),
        capacity=st.integers(0, 40),
        points_used=st.integers(0, 45),
    ),
    max_size=12,
    unique_by=lambda c: c.staff_id,
)


@given(tier=st.integers(1, 4), language=st.sampled_from(["en", "es", "vi", "zh"]), pool=candidates)
@settings(max_examples=200)
def test_ranking_orders_eligible_first_then_language_then_room(
    tier: int, language: str, pool: list[Candidate]
) -> None:
    ranked = rank_candidates(tier, language, pool)

    # A permutation of the input: nobody lost, nobody added.
    assert Counter(r.candidate.staff_id for r in ranked) == Counter(c.staff_id for c in pool)

    for r in ranked:
        c = r.candidate
        experienced = c.experience in (E.PROFICIENT, E.EXPERT)
        assert r.eligible == ((tier < 3 or experienced) and c.capacity - c.points_used >= acuity_points(tier))
        assert r.shares_language == (language in c.languages)
        assert r.reasons, "every suggestion says why"

    eligibility = [r.eligible for r in ranked]
    assert eligibility == sorted(eligibility, reverse=True), "all eligible staff come before the ineligible"

    eligible = [r for r in ranked if r.eligible]
    sharing = [r.shares_language for r in eligible]
    assert sharing == sorted(sharing, reverse=True), "among the eligible, language sharers come first"
    for group in (True, False):
        room = [r.candidate.remaining for r in eligible if r.shares_language == group]
        assert room == sorted(room, reverse=True)
