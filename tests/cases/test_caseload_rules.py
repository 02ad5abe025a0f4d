"""The caseload rules as tables: the experience rule, when it gives the supervisor a task, and the ranking
for a bulk reassignment (issue 17 §4)."""

from __future__ import annotations

import pytest

from careconductor.accounts.choices import ExperienceLevel as E
from careconductor.cases import rules
from careconductor.cases.rules import Candidate, SelectedCase


@pytest.mark.parametrize(
    ("tier", "level", "allowed"),
    [
        (1, E.NOVICE, True),
        (2, E.NOVICE, True),
        (2, E.COMPETENT, True),
        (3, E.NOVICE, False),
        (3, E.COMPETENT, False),
        (3, E.PROFICIENT, True),
        (3, E.EXPERT, True),
        (4, E.NOVICE, False),
        (4, E.COMPETENT, False),
        (4, E.PROFICIENT, True),
        (4, E.EXPERT, True),
    ],
)
def test_tier_3_and_4_go_only_to_proficient_or_expert_staff(tier: int, level: E, allowed: bool) -> None:
    assert rules.experience_allows(tier, level) is allowed


@pytest.mark.parametrize(
    ("old", "new", "level", "task"),
    [
        (2, 3, E.NOVICE, True),  # the tier rises past the holder
        (2, 4, E.COMPETENT, True),
        (3, 4, E.NOVICE, True),  # still rising (the action leaves out a duplicate while one is open)
        (2, 3, E.PROFICIENT, False),
        (1, 2, E.NOVICE, False),  # tier 2 is anyone's
        (4, 3, E.NOVICE, False),  # going down never asks
        (3, 3, E.NOVICE, False),  # nor staying
        (None, 4, E.NOVICE, True),  # taken at intake
        (None, 3, E.EXPERT, False),
        (None, 2, E.NOVICE, False),
    ],
)
def test_the_supervisor_is_asked_only_when_the_tier_rises_past_the_holder(
    old: int | None, new: int, level: E, task: bool
) -> None:
    assert rules.experience_task_needed(old, new, level) is task


@pytest.mark.parametrize(
    ("level", "words"), [(E.NOVICE, "a novice"), (E.COMPETENT, "a competent case manager")]
)
def test_the_task_names_the_holders_experience_in_words(level: E, words: str) -> None:
    assert rules.experience_words(level) == words


def person(
    pk: int,
    name: str,
    level: E = E.PROFICIENT,
    *,
    used: int = 0,
    capacity: int = 40,
    languages: tuple[str, ...] = ("en",),
    team: int | None = 1,
) -> Candidate:
    return Candidate(pk, name, level, list(languages), capacity, used, team)


def case(label: str, tier: int, language: str = "en", manager: int | None = 9) -> SelectedCase:
    return SelectedCase(label, tier, language, manager)


def names(ranked: list[rules.RankedCandidate]) -> list[str]:
    return [r.candidate.name for r in ranked]


def test_a_novice_is_ranked_below_everyone_eligible_and_the_refusal_names_the_case() -> None:
    selection = [case("Paula Reyes (tier 4)", 4), case("Omar Haddad (tier 1)", 1)]
    ranked = rules.rank_for_selection(
        selection, [person(1, "Nell", E.NOVICE, used=0), person(2, "Erin", used=30)]
    )
    assert names(ranked) == ["Erin", "Nell"]
    assert [r.eligible for r in ranked] == [True, False]
    assert ranked[1].reasons[0] == "Paula Reyes (tier 4): tier 4 needs proficient or expert staff (novice)"


def test_capacity_counts_every_case_of_the_selection_after_the_move() -> None:
    selection = [case("A", 3), case("B", 3), case("C", 2)]  # 4 + 4 + 2 = 10 points
    roomy, tight = person(1, "Roomy", used=30), person(2, "Tight", used=31)
    assert rules.selection_problems(selection, roomy) == []
    assert rules.selection_problems(selection, tight) == ["no room: 9 of 40 points left, the cases need 10"]
    assert names(rules.rank_for_selection(selection, [tight, roomy])) == ["Roomy", "Tight"]


def test_cases_already_theirs_do_not_count_against_their_room() -> None:
    selection = [case("A", 4, manager=2), case("B", 4, manager=9)]
    assert rules.selection_problems(selection, person(2, "Has A", used=34)) == []


@pytest.mark.parametrize(
    ("language", "candidates", "expected"),
    [
        # The patients' languages first: both Spanish speakers before the English-only one with more room.
        (
            "es",
            [
                person(1, "Ann", used=0),
                person(2, "Bea", used=20, languages=("en", "es")),
                person(3, "Cy", used=10, languages=("es",)),
            ],
            ["Cy", "Bea", "Ann"],
        ),
        # Then the cases' team, then the most room after the move.
        (
            "en",
            [
                person(1, "Far", used=0, team=2),
                person(2, "Near", used=20, team=1),
                person(3, "Nearer", used=10),
            ],
            ["Nearer", "Near", "Far"],
        ),
        # The person the cases leave is never suggested.
        ("en", [person(9, "Leaving", used=0), person(1, "Ann", used=0)], ["Ann"]),
    ],
)
def test_the_selection_ranking_prefers_language_then_team_then_room(
    language: str, candidates: list[Candidate], expected: list[str]
) -> None:
    selection = [case("A", 2, language), case("B", 1, language)]
    assert names(rules.rank_for_selection(selection, candidates, team_ids=frozenset({1}))) == expected


def test_the_ranking_says_why_in_words() -> None:
    selection = [case("A", 2, "es"), case("B", 1, "en")]
    [top] = rules.rank_for_selection(
        selection, [person(1, "Bea", used=4, languages=("es",))], team_ids=frozenset({1})
    )
    assert top.reasons == [
        "speaks the language of 1 of 2 patients",
        "on the cases' team",
        "33 of 40 points free after the move",
    ]


# --- Caseload load: one rule for the caseloads page, the team view and the assignment suggestion (issue 18) ---
@pytest.mark.parametrize(
    ("cases_by_tier", "capacity", "expected"),
    [
        ({}, 60, (0, 0, 0, 51, 60, False)),
        ({1: 2, 3: 1}, 60, (3, 6, 10, 51, 60, False)),  # 1 + 1 + 4 points
        ({4: 10}, 60, (10, 60, 100, 51, 60, False)),  # at capacity: red, not over
        ({4: 10, 2: 1}, 60, (11, 62, 103, 51, 62, True)),  # past it: the meter stretches to the points
        ({2: 3}, 0, (3, 6, 0, 0, 6, True)),  # no capacity: no percentage, and anything is too much
    ],
)
def test_the_load_is_acuity_points_against_capacity(
    cases_by_tier: dict[int, int], capacity: int, expected: tuple[int, int, int, int, int, bool]
) -> None:
    load = rules.caseload_load(cases_by_tier, capacity)
    assert (load.open_cases, load.points, load.percent, load.low_mark, load.meter_max, load.over) == expected
