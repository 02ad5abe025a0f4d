"""The letters' pure rules as tables: filling placeholders (a line without its value is left out), placeholder
checks, dates and times in the letter's language, the letter's language, disclosures and the protocol step."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.letters import rules


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("Dear {patient_first_name},", {"patient_first_name": "Paula"}, "Dear Paula,"),
        ("Call {case_manager} at {case_manager_phone}.", {"case_manager": "Alice"}, ""),
        ("A\n\nCall {organisation_phone}.\n\nB", {"organisation_phone": " "}, "A\n\nB"),
        ("A\n\n{case_manager}\n\n\nB", {}, "A\n\nB"),
        ("{x} and {x}", {"x": "1"}, "1 and 1"),
        ("No placeholder\n  \nhere  ", {}, "No placeholder\n\nhere"),
        ("{organisation}", {"organisation": "  Riverside  "}, "Riverside"),
    ],
)
def test_fill(text: str, values: dict[str, str], expected: str) -> None:
    assert rules.fill(text, values) == expected


@pytest.mark.parametrize(
    ("text", "kind", "problems"),
    [
        ("Dear {patient_name}", "welcome", 0),
        ("Why: {referral_reason}", "referral", 0),
        ("Why: {referral_reason}", "welcome", 1),  # a referral's placeholder in a welcome letter
        ("Dear {patient_name", "welcome", 1),  # a brace left open
        ("Dear {Patient_Name}", "welcome", 1),  # not a placeholder's name
        ("{{patient_name}}", "welcome", 1),
        ("When: {appointment_date}", "appointment", 0),
    ],
)
def test_placeholder_problems(text: str, kind: str, problems: int) -> None:
    assert len(rules.placeholder_problems(text, kind)) == problems


@pytest.mark.parametrize(
    ("day", "language", "weekday", "expected"),
    [
        (dt.date(2027, 3, 1), "en", False, "March 1, 2027"),
        (dt.date(2027, 3, 1), "es", False, "1 de marzo de 2027"),
        (dt.date(2027, 3, 4), "en", True, "Thursday, March 4, 2027"),
        (dt.date(2027, 3, 4), "es", True, "jueves 4 de marzo de 2027"),
        (dt.date(2026, 12, 31), "vi", False, "December 31, 2026"),  # no Vietnamese words: English
    ],
)
def test_long_date(day: dt.date, language: str, weekday: bool, expected: str) -> None:
    assert rules.long_date(day, language, weekday=weekday) == expected


@pytest.mark.parametrize(
    ("moment", "language", "expected"),
    [
        (dt.time(0, 5), "en", "12:05 AM"),
        (dt.time(12, 0), "en", "12:00 PM"),
        (dt.time(14, 30), "en", "2:30 PM"),
        (dt.time(14, 30), "es", "14:30"),
        (dt.time(9, 0), "es", "9:00"),
    ],
)
def test_clock_time(moment: dt.time, language: str, expected: str) -> None:
    assert rules.clock_time(moment, language) == expected


@pytest.mark.parametrize(
    ("wanted", "available", "expected"),
    [("es", ("en", "es"), "es"), ("vi", ("en", "es"), "en"), ("en", ("en",), "en"), ("", ("en",), "en")],
)
def test_letter_language(wanted: str, available: tuple[str, ...], expected: str) -> None:
    assert rules.letter_language(wanted, available) == expected


@pytest.mark.parametrize(
    ("kind", "patient_language", "expected"),
    [("welcome", "es", "es"), ("closing", "vi", "vi"), ("referral", "es", "en"), ("welcome", "", "en")],
)
def test_default_language(kind: str, patient_language: str, expected: str) -> None:
    assert rules.default_language(kind, patient_language) == expected


@pytest.mark.parametrize(("recipient", "expected"), [("patient", False), ("third-party", True)])
def test_a_letter_to_anyone_else_is_a_disclosure(recipient: str, expected: bool) -> None:
    assert rules.is_disclosure(recipient) is expected


@pytest.mark.parametrize(
    ("kind", "next_step", "expected"),
    [
        ("unable-to-reach", "letter", True),
        ("unable-to-reach", "caregiver", False),
        ("unable-to-reach", "", False),
        ("welcome", "letter", False),
    ],
)
def test_the_unable_to_reach_letter_is_the_step_only_when_the_protocol_waits_for_it(
    kind: str, next_step: str, expected: bool
) -> None:
    assert rules.records_outreach_step(kind, next_step) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [("A\nB\n\nC", [["A", "B"], ["C"]]), ("\n\nA\n \n\nB\n", [["A"], ["B"]]), ("", [])],
)
def test_paragraphs(body: str, expected: list[list[str]]) -> None:
    assert rules.paragraphs(body) == expected


def test_every_programme_and_need_has_words_in_each_language() -> None:
    from careconductor.cases.choices import Program
    from careconductor.directory.choices import Need

    for language in ("en", "es"):
        assert set(rules.PROGRAM_WORDS[language]) == set(Program.values)
        assert set(rules.NEED_WORDS[language]) == set(Need.values)
