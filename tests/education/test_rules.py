"""The pure education rules, table by table: which formats suit which ways of learning, ranking (language,
then fit, then plain language for a literacy concern, clinical.md §6.4), and the gentle print prompt."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.education import rules
from careconductor.education.choices import AssignmentStatus, MaterialFormat, TeachBackResult
from careconductor.patients.choices import LearningPreference

FORMATS = list(MaterialFormat.values)
PREFERENCES = list(LearningPreference.values)


@dataclass(frozen=True)
class M:
    slug: str
    format: str
    reading_level: int
    languages: tuple[str, ...] = ("en", "es")

    @property
    def sort_title(self) -> str:
        return self.slug


@pytest.mark.parametrize(
    ("material_format", "preferences", "expected"),
    [
        ("print", ["print"], True),
        ("print", ["video", "verbal"], False),
        ("video", ["video"], True),
        ("video", ["visual"], True),
        ("audio", ["verbal"], True),
        ("audio", ["print"], False),
        ("visual", ["visual"], True),
        ("interactive", ["demonstration"], True),
        ("teach-back", ["verbal"], True),
        ("teach-back", ["demonstration"], True),
        ("teach-back", ["print"], False),
        ("print", [], False),
    ],
)
def test_which_formats_suit_which_ways_of_learning(material_format, preferences, expected) -> None:
    assert rules.suits(material_format, preferences) is expected


def test_every_format_suits_some_way_of_learning_that_the_assessment_records() -> None:
    assert set(rules.FORMAT_SUITS) == set(FORMATS)
    for ways in rules.FORMAT_SUITS.values():
        assert ways and ways <= set(PREFERENCES)
    assert set(rules.PREFERENCE_PHRASES) == set(PREFERENCES)


@pytest.mark.parametrize(
    ("available", "preferred", "expected"),
    [
        (("en", "es"), "es", ("es", False)),
        (("en", "es"), "es-MX", ("es", False)),
        (("en", "es"), "ES", ("es", False)),
        (("en",), "es", ("en", True)),
        (("en", "es"), "vi", ("en", True)),
        (("en", "es"), "", ("en", False)),
        (("es",), "vi", None),
    ],
)
def test_the_language_to_give_a_material_in(available, preferred, expected) -> None:
    assert rules.pick_language(available, preferred) == expected


def test_the_patients_language_comes_first_and_english_fall_backs_are_marked() -> None:
    english_only = M("a-english-video", "video", 4, ("en",))
    spanish_print = M("b-spanish-print", "print", 5)
    ranked = rules.rank_materials([english_only, spanish_print], ["video"], False, "es")
    assert [s.material.slug for s in ranked] == ["b-spanish-print", "a-english-video"]
    assert [s.fallback for s in ranked] == [False, True]
    assert [s.language for s in ranked] == ["es", "en"]


def test_a_format_that_suits_comes_before_one_that_does_not() -> None:
    ranked = rules.rank_materials([M("a", "print", 5), M("b", "video", 5)], ["video"], False, "en")
    assert [s.material.slug for s in ranked] == ["b", "a"]
    assert [s.suits for s in ranked] == [True, False]


def test_with_a_literacy_concern_plain_material_comes_first_and_the_plainest_first() -> None:
    materials = [M("a", "print", 8), M("b", "print", 6), M("c", "print", 3)]
    concern = rules.rank_materials(materials, ["print"], True, "en")
    assert [s.material.slug for s in concern] == ["c", "b", "a"]
    assert [s.plain for s in concern] == [True, True, False]
    no_concern = rules.rank_materials(materials, ["print"], False, "en")
    assert [s.material.slug for s in no_concern] == ["a", "b", "c"]  # by title


def test_material_in_neither_the_patients_language_nor_english_is_left_out() -> None:
    assert rules.rank_materials([M("a", "print", 5, ("es",))], [], False, "vi") == []


@pytest.mark.parametrize(
    ("format_used", "preferences", "teach_back", "prompted"),
    [
        ("print", ["video", "demonstration"], TeachBackResult.NOT_DONE, True),
        ("print", ["verbal"], TeachBackResult.NOT_DONE, True),
        ("print", ["print", "video"], TeachBackResult.NOT_DONE, False),  # print suits them
        ("print", [], TeachBackResult.NOT_DONE, False),  # we do not know how they learn
        ("print", ["video"], TeachBackResult.CONFIRMED, False),  # not print alone
        ("print", ["video"], TeachBackResult.NOT_CONFIRMED, False),
        ("video", ["video"], TeachBackResult.NOT_DONE, False),
        ("teach-back", ["print"], TeachBackResult.NOT_DONE, False),
    ],
)
def test_when_the_print_prompt_is_raised(format_used, preferences, teach_back, prompted) -> None:
    prompt = rules.print_prompt(format_used, preferences, name="Maria", teach_back=teach_back)
    assert (prompt is not None) is prompted


def test_the_print_prompt_is_gentle_and_names_how_they_learn() -> None:
    assert rules.print_prompt("print", ["video", "demonstration"], name="Maria") == (
        "Maria prefers to learn by video and by someone showing them. Print alone may not stick — consider "
        "going through it together and checking with teach-back."
    )
    assert rules.print_prompt("print", ["verbal", "visual", "video"]) == (
        "This patient prefers to learn by talking it through, from pictures and by video. Print alone may not "
        "stick — consider going through it together and checking with teach-back."
    )


@pytest.mark.parametrize(
    ("status", "deliver", "withdraw"),
    [
        (AssignmentStatus.ASSIGNED, True, True),
        (AssignmentStatus.DELIVERED, True, True),
        (AssignmentStatus.WITHDRAWN, False, False),
    ],
)
def test_what_each_status_allows(status, deliver, withdraw) -> None:
    assert rules.can_deliver(status) is deliver
    assert rules.can_withdraw(status) is withdraw


materials_st = st.lists(
    st.builds(
        M,
        slug=st.text("abcdefgh", min_size=1, max_size=6),
        format=st.sampled_from(FORMATS),
        reading_level=st.integers(1, 16),
        languages=st.sampled_from([("en",), ("en", "es"), ("es",), ("en", "vi")]),
    ),
    max_size=12,
)
prefs_st = st.lists(st.sampled_from(PREFERENCES), unique=True, max_size=5)


@given(materials_st, prefs_st, st.booleans(), st.sampled_from(["en", "es", "vi", "es-MX", ""]))
def test_ranking_keeps_every_readable_material_once_in_order(materials, prefs, concern, language) -> None:
    ranked = rules.rank_materials(materials, prefs, concern, language)
    readable = [m for m in materials if rules.pick_language(m.languages, language) is not None]
    assert sorted(id(s.material) for s in ranked) == sorted(id(m) for m in readable)
    # no English fall-back before a material in the patient's language
    fallbacks = [s.fallback for s in ranked]
    assert fallbacks == sorted(fallbacks)
    # within the same language group, suiting materials come first
    for group in (False, True):
        fits = [not s.suits for s in ranked if s.fallback is group]
        assert fits == sorted(fits)
        if concern:
            for fit in (False, True):
                plain = [not s.plain for s in ranked if s.fallback is group and s.suits is not fit]
                assert plain == sorted(plain)


@given(st.sampled_from(FORMATS), prefs_st, st.sampled_from(list(TeachBackResult.values)))
def test_the_prompt_is_only_for_print_alone_to_someone_who_did_not_choose_print(
    fmt, prefs, teach_back
) -> None:
    prompt = rules.print_prompt(fmt, prefs, name="Ana", teach_back=teach_back)
    expected = fmt == "print" and teach_back == "not-done" and bool(prefs) and "print" not in prefs
    assert (prompt is not None) is expected
    if prompt:
        assert prompt.startswith("Ana prefers to learn ")
        assert "teach-back" in prompt
