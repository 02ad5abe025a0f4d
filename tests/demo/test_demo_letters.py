"""The demo's letters (careconductor/demo/letters.py): welcome letters in each patient's language, the
unable-to-reach letter that is its patient's protocol step, and a referral letter to a community organisation that
is a disclosure; built once per module with the demo."""

from __future__ import annotations

import pytest

from careconductor.letters.choices import LetterKind
from careconductor.letters.models import Letter

pytestmark = pytest.mark.django_db


def test_the_demo_has_believable_letters(demo: str) -> None:
    assert "Letters:" in demo
    letters = list(Letter.objects.select_related("patient", "outreach"))
    kinds = {letter.kind for letter in letters}
    assert {LetterKind.WELCOME, LetterKind.UNABLE_TO_REACH} <= kinds
    welcome = [letter for letter in letters if letter.kind == LetterKind.WELCOME]
    assert all(
        letter.language == letter.patient.preferred_language or letter.language == "en" for letter in welcome
    )
    assert all("{" not in letter.body for letter in letters)
    [unable] = [letter for letter in letters if letter.kind == LetterKind.UNABLE_TO_REACH]
    assert unable.outreach is not None and unable.outreach.step == "letter"
    [referral] = [letter for letter in letters if letter.kind == LetterKind.REFERRAL]
    assert referral.disclosure_id is not None and referral.recipient_kind == "third-party"
