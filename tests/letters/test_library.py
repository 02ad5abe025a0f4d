"""The letter templates: every shipped letter parses, is in English and Spanish and reads plainly (Flesch-Kincaid
grade 6 or below in English, Fernández Huerta 70 or above in Spanish: tests/letters/readability.py); a deployer's
file replaces a shipped letter without a restart, a broken one is left out with the reason, and the `check`
command says what is wrong with a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test.utils import override_settings

from careconductor.core.errors import ActionRefused
from careconductor.letters import library
from careconductor.letters.choices import LetterKind

from .readability import fernandez_huerta, flesch_kincaid_grade

SHIPPED = sorted(library.SHIPPED_DIR.glob("*.toml"))
MAX_GRADE = 6
MIN_EASE_ES = 70


def test_every_kind_has_a_shipped_letter() -> None:
    assert {p.stem for p in SHIPPED} == set(LetterKind.values)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_letters_are_in_english_and_spanish_at_a_plain_reading_level(path: Path) -> None:
    letter = library.read_template(path, "shipped")
    assert letter.languages[:2] == ("en", "es")
    english, spanish = letter.texts["en"], letter.texts["es"]
    assert flesch_kincaid_grade(english.body) <= MAX_GRADE, path.name
    assert fernandez_huerta(spanish.body) >= MIN_EASE_ES, path.name
    # The same placeholders in both languages: a Spanish letter does not leave out what the English one says.
    assert set(library.rules.PLACEHOLDER.findall(english.body)) == set(
        library.rules.PLACEHOLDER.findall(spanish.body)
    )


def test_the_reading_level_formula_tells_hard_text_from_plain() -> None:
    hard = (
        "Notwithstanding the aforementioned considerations, beneficiaries participating in comprehensive "
        "longitudinal care-coordination programmes are encouraged to communicate expeditiously regarding "
        "modifications to their telecommunication particulars."
    )
    assert flesch_kincaid_grade(hard) > 12
    assert flesch_kincaid_grade("We tried to call you. We could not reach you. Please call us.") < 3
    difficil = (
        "Independientemente de las consideraciones administrativas anteriormente mencionadas, los beneficiarios "
        "deberán comunicar inmediatamente cualquier modificación de sus datos telefónicos."
    )
    assert fernandez_huerta(difficil) < 50


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("kind = 'welcome'\n", "text needs at least the English text"),
        ("kind = 'sonnet'\ntitle='x'\n[text.en]\nsubject='s'\nbody='b'\n", "kind must be one of"),
        ("kind = 'closing'\ntitle='x'\n[text.en]\nsubject='s'\nbody='b'\n", "must be 'welcome'"),
        ("kind = 'welcome'\ntitle='x'\n[text.en]\nsubject='s'\nbody='Hi {nme}'\n", "{nme} is not a placeholder"),
        ("kind = 'welcome'\ntitle='x'\n[text.en]\nsubject='s'\nbody='Hi {patient_name'\n", "has a { or }"),
        ("kind = 'welcome'\ntitle='x'\n[text.en]\nsubject='s'\nbody=''\n", "text.en.body is required"),
        ("kind = 'welcome'\ntitle='x'\n[text.xx]\nsubject='s'\nbody='b'\n", "text needs at least the English"),
        ("kind = 'welcome'\ntitle='x'\n[text.en]\nsubject='s'\nbody='b'\n[text.xx]\nsubject='s'\nbody='b'\n", "text.xx is not a language"),
        ("kind = 'welcome'\ntitle='x'\ncolour='red'\n", "colour is not a known field"),
        ("kind = 'welcome'\ntitle='x'\nrecipient='mars'\n[text.en]\nsubject='s'\nbody='b'\n", "recipient must be"),
        ("kind = = 'welcome'", "not valid TOML"),
    ],
)  # fmt: skip
def test_a_broken_template_says_what_is_wrong(text: str, problem: str) -> None:
    with pytest.raises(ActionRefused) as refused:
        library.parse_template(text, "welcome.toml")
    assert problem in str(refused.value)


def test_a_deployer_file_replaces_the_shipped_letter_and_a_broken_one_is_left_out(tmp_path: Path) -> None:
    folder = tmp_path / "letter-templates"
    folder.mkdir()
    shipped = (library.SHIPPED_DIR / "welcome.toml").read_text(encoding="utf-8")
    (folder / "welcome.toml").write_text(
        shipped.replace('subject = "Welcome to {program}"', 'subject = "Hello from {organisation}"'),
        encoding="utf-8",
    )
    (folder / "closing.toml").write_text("kind = 'closing'\n", encoding="utf-8")
    with override_settings(DATA_HOME=str(tmp_path)):
        welcome = library.template("welcome")
        assert welcome is not None and welcome.source == "deployer"
        assert welcome.texts["en"].subject == "Hello from {organisation}"
        closing = library.template("closing")
        assert closing is not None and closing.source == "shipped"  # the broken file is left out
        assert any("closing.toml" in e for e in library.template_errors())
    assert library.template("welcome").source == "shipped"  # type: ignore[union-attr]


def test_the_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("letter_templates", "check", str(library.SHIPPED_DIR / "referral.toml"))
    assert (
        "referral.toml is a valid letter template: referral (Referral), in en, es." in capsys.readouterr().out
    )
    broken = tmp_path / "welcome.toml"
    broken.write_text(
        "kind = 'welcome'\ntitle='x'\n[text.en]\nsubject='s'\nbody='Hi {nme}'\n", encoding="utf-8"
    )
    with pytest.raises(CommandError, match="nme"):
        call_command("letter_templates", "check", str(broken))
    call_command("letter_templates", "list")
    assert "unable-to-reach" in capsys.readouterr().out
