"""@mentions in notes as pure rules (coordination/mention_rules.py): tables, and properties over any text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.coordination.mention_rules import (
    first_line,
    mention_handles,
    mention_refusal,
    parse_mentions,
)

KNOWN = ["dana", "ana.ruiz", "ana", "sam", "j-o+k_1", "li@clinic.org"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("", []),
        ("No names here.", []),
        ("@dana please look at her A1c", ["dana"]),
        ("Ask @dana.", ["dana"]),  # a sentence's full stop is not part of the name
        ("Ask @dana, then @sam!", ["dana", "sam"]),
        ("(@dana)", ["dana"]),
        ("@sam @dana @sam", ["sam", "dana"]),  # in the order first named, once each
        ("@Dana and @DANA", ["dana"]),  # case does not matter; the username as it is kept
        ("@ana.ruiz called", ["ana.ruiz"]),  # the longest known name wins
        ("@ana called", ["ana"]),
        ("@ana.ruiz.", ["ana.ruiz"]),
        ("@dana.Thanks", ["dana"]),  # no space after the full stop: still dana
        ("@ana.r", ["ana"]),
        ("mail ana@example.org or dana@clinic.org", []),  # an e-mail address names nobody
        ("x@dana", []),  # inside a word
        ("@nobody here", []),  # not a colleague: ordinary text
        ("@@dana", []),
        ("@ dana", []),
        ("@j-o+k_1 and @li@clinic.org", ["j-o+k_1", "li@clinic.org"]),
        ("line one\n@sam on line two", ["sam"]),
        ("@danaa", []),  # a longer word is not a shorter name
    ],
)
def test_mentions_are_known_usernames_after_an_at_sign(text: str, found: list[str]) -> None:
    assert parse_mentions(text, KNOWN) == found


@pytest.mark.parametrize(
    ("text", "handles"),
    [
        ("", set()),
        ("@Dana.", {"dana"}),
        ("@ana.ruiz.x", {"ana.ruiz.x", "ana.ruiz", "ana"}),
        ("a@b.org", set()),
    ],
)
def test_the_handles_looked_up_are_every_name_a_mention_could_be(text: str, handles: set[str]) -> None:
    assert mention_handles(text) == handles


@pytest.mark.parametrize(
    ("related", "may_read", "label", "says"),
    [
        (True, True, "", None),
        (False, False, "", "Dana Tester is not on this patient's care team, so cannot be mentioned here."),
        (False, True, "", "Dana Tester is not on this patient's care team, so cannot be mentioned here."),
        (
            True,
            False,
            "42 CFR Part 2",
            "Dana Tester may not read 42 CFR Part 2 notes of this patient, so cannot be mentioned on this one.",
        ),
    ],
)
def test_a_refusal_names_the_person_and_why(
    related: bool, may_read: bool, label: str, says: str | None
) -> None:
    assert mention_refusal("Dana Tester", related=related, may_read=may_read, label=label) == says


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("", ""),
        ("One line", "One line"),
        ("\n\n  First with words  \nsecond", "First with words"),
        ("word " * 40, ("word " * 28).strip() + "…"),
        ("x" * 200, "x" * 140 + "…"),
    ],
)
def test_the_first_line_is_the_first_with_words_cut_at_a_word(text: str, line: str) -> None:
    assert first_line(text) == line


usernames = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,20}", fullmatch=True)


@given(st.text(), st.lists(usernames, max_size=6))
def test_parsing_never_raises_and_returns_only_known_names_once(text: str, known: list[str]) -> None:
    found = parse_mentions(text, known)
    assert set(found) <= set(known)
    assert len(found) == len(set(found))
    assert all(name.lower() in mention_handles(text) for name in found)


@given(st.text(alphabet=st.characters(blacklist_characters="@")), st.lists(usernames, max_size=6))
def test_text_without_an_at_sign_mentions_nobody(text: str, known: list[str]) -> None:
    assert parse_mentions(text, known) == []


@given(
    usernames.filter(lambda u: u[-1].isalnum() or u[-1] == "_"), st.sampled_from(["", " ", ".", ", ", "!"])
)
def test_a_known_name_after_an_at_sign_is_always_found(name: str, after: str) -> None:
    assert parse_mentions(f"Please @{name}{after}", [name]) == [name]


@given(st.text())
def test_the_first_line_never_raises_and_is_short(text: str) -> None:
    assert len(first_line(text)) <= 141
