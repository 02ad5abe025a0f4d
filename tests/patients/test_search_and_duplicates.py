"""Finding a patient the way people type (issue 17 §3): without accents, "Family, Given", by phone; and the
duplicate check at registration with accents, a day and month swapped, or the same phone."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails, possible_duplicates
from careconductor.patients.choices import Sex
from careconductor.patients.queries import search_patients
from careconductor.patients.rules import fold

from ..personas import World

pytestmark = pytest.mark.django_db
BORN = dt.date(1961, 4, 9)


@pytest.fixture
def people(world: World) -> World:
    for given, family, phone in (
        ("José", "Sánchez-Ruiz", "(541) 555-0134"),
        ("Marisol", "Rivera", "541.555.0188"),
    ):
        do_register_and_refer(
            world.alice,
            PatientDetails(given_name=given, family_name=family, birth_date=BORN, sex=Sex.MALE, phone=phone),
            program=Program.CCM,
            referral_source=ReferralSource.PCP,
            referral_reason="Diabetes",
        )
    return world


@pytest.mark.parametrize(
    ("text", "words"),
    [("Sánchez-Ruiz, José", "sanchez ruiz jose"), ("  O'BRIEN ", "o brien"), ("Ñuñez", "nunez"), ("", "")],
)
def test_fold_drops_accents_case_and_punctuation(text: str, words: str) -> None:
    assert fold(text) == words


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("sanchez", ["José Sánchez-Ruiz"]),
        ("SANCHEZ jose", ["José Sánchez-Ruiz"]),
        ("ruiz", ["José Sánchez-Ruiz"]),
        ("Rivera, Marisol", ["Marisol Rivera"]),
        ("541-555-0188", ["Marisol Rivera"]),
        ("(541) 5550134", ["José Sánchez-Ruiz"]),
        ("0134", ["José Sánchez-Ruiz"]),
        ("Rivera, Jose", []),
        ("chez", []),  # the start of a name, not any part
    ],
)
def test_search_finds_people_as_they_are_typed(people: World, typed: str, found: list[str]) -> None:
    assert [p.full_name for p in search_patients(people.alice, typed)] == found


@pytest.mark.parametrize(
    ("given", "family", "born", "phone", "found"),
    [
        ("Jose", "Sanchez-Ruiz", BORN, "", ["José Sánchez-Ruiz"]),
        ("José", "Sánchez-Ruiz", dt.date(1961, 9, 4), "", ["José Sánchez-Ruiz"]),  # day and month swapped
        ("Mari", "Rivera-Lopez", BORN, "", []),
        ("M.", "Rivers", BORN, "(541) 555-0188", ["Marisol Rivera"]),  # the same phone
        ("Jose", "Sanchez-Ruiz", dt.date(1962, 4, 9), "", []),
    ],
)
def test_registration_warns_of_a_possible_duplicate(
    people: World, given: str, family: str, born: dt.date, phone: str, found: list[str]
) -> None:
    assert [p.full_name for p in possible_duplicates(people.alice, given, family, born, phone)] == found
