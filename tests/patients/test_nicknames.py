"""Nicknames in duplicate matching and search (issue 17 §3): "Lupe" at the front desk is Guadalupe on the
hospital's papers; "Bob" is Robert."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails, possible_duplicates
from careconductor.patients.choices import Sex
from careconductor.patients.nicknames import NAME_GROUPS, same_name
from careconductor.patients.queries import search_patients
from careconductor.patients.rules import fold

from ..personas import World

BORN = dt.date(1958, 3, 17)


@pytest.mark.parametrize(
    ("given", "includes", "excludes"),
    [
        ("Bob", {"robert", "bob"}, {"william"}),
        ("Robert", {"bob", "bobby", "rob", "robbie"}, set()),
        ("Bill", {"william"}, {"robert"}),
        ("Peggy", {"margaret"}, set()),
        ("Margaret", {"peggy", "maggie", "meg"}, set()),
        ("Pepe", {"jose"}, set()),
        ("José", {"pepe"}, set()),
        ("Paco", {"francisco"}, set()),
        ("Lupe", {"guadalupe"}, set()),
        ("GUADALUPE", {"lupe", "lupita"}, set()),
        ("Chucho", {"jesus"}, set()),
        ("Jesús", {"chucho", "chuy"}, set()),
        ("Nacho", {"ignacio"}, set()),
        ("Beto", {"alberto", "roberto"}, set()),  # one nickname, two names
        ("Alberto", {"beto"}, {"roberto"}),  # …which does not make the two names one
        ("Steven", {"steve"}, {"stephen"}),
        ("Marisol", {"marisol"}, {"maria"}),  # not in the table: itself alone
        ("", set(), {""}),
    ],
)
def test_a_given_name_is_the_same_as_its_short_and_long_forms(
    given: str, includes: set[str], excludes: set[str]
) -> None:
    names = same_name(given)
    assert includes <= names
    assert not (excludes & names)
    if given:
        assert fold(given) in names


def test_the_table_is_written_folded_and_each_group_has_a_formal_name_and_a_short_form() -> None:
    pairs = sum(len(group) - 1 for group in NAME_GROUPS)
    assert 40 <= pairs <= 200
    for group in NAME_GROUPS:
        assert len(group) >= 2
        assert all(name == fold(name) and " " not in name for name in group), group
    assert len({group[0] for group in NAME_GROUPS}) == len(NAME_GROUPS)


@pytest.fixture
def registered(world: World) -> World:
    for given, family, phone in (
        ("Guadalupe", "Ortiz", "(541) 555-0142"),
        ("Robert", "Nguyen", ""),
        ("Jesús", "Martínez", ""),
    ):
        do_register_and_refer(
            world.alice,
            PatientDetails(
                given_name=given, family_name=family, birth_date=BORN, sex=Sex.FEMALE, phone=phone
            ),
            program=Program.CCM,
            referral_source=ReferralSource.PCP,
            referral_reason="Diabetes",
        )
    return world


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("given", "family", "found"),
    [
        ("Lupe", "Ortiz-Vega", ["Guadalupe Ortiz"]),  # a nickname, another family name on the form
        ("Bob", "Win", ["Robert Nguyen"]),
        ("Chucho", "Martinez", ["Jesús Martínez"]),  # matched by family name too
        ("Chuy", "Smith", ["Jesús Martínez"]),
        ("Bill", "Win", []),
        ("Lupita Maria", "Win", ["Guadalupe Ortiz"]),  # the first of two given names
    ],
)
def test_registration_warns_of_a_duplicate_under_a_nickname(
    registered: World, given: str, family: str, found: list[str]
) -> None:
    assert [p.full_name for p in possible_duplicates(registered.alice, given, family, BORN)] == found


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("lupe", ["Guadalupe Ortiz"]),
        ("Lupe Ortiz", ["Guadalupe Ortiz"]),
        ("bob", ["Robert Nguyen"]),
        ("Nguyen, Bobby", ["Robert Nguyen"]),
        ("chucho", ["Jesús Martínez"]),
        ("guad", ["Guadalupe Ortiz"]),  # the start of a name still works
        ("lup", []),  # a nickname matches whole, not its start
        ("bill", []),
    ],
)
def test_search_finds_a_patient_under_a_nickname(registered: World, typed: str, found: list[str]) -> None:
    assert [p.full_name for p in search_patients(registered.alice, typed)] == found
