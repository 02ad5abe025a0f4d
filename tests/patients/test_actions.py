"""Registering patients, their identifiers and problem list; finding and opening charts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.actions import (
    PatientDetails,
    do_add_condition,
    do_create_patient,
    possible_duplicates,
)
from careconductor.patients.choices import MRN_SYSTEM, Sex
from careconductor.patients.models import Condition, Patient, PatientIdentifier
from careconductor.patients.queries import access_patient, search_patients
from careconductor.patients.rules import birth_date_errors, is_icd10_cm
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent
from tests.personas import World

MEDICAID = "urn:oid:2.16.840.1.113883.4.3.36"  # the system a state Medicaid ID is issued under


def details(**overrides: object) -> PatientDetails:
    fields: dict[str, object] = {
        "given_name": "Omar",
        "family_name": "Haddad",
        "birth_date": dt.date(1948, 11, 2),
        "sex": Sex.MALE,
        "preferred_language": "ar",
    }
    fields.update(overrides)
    return PatientDetails(**fields)  # type: ignore[arg-type]


def register(user: User, world: World, **overrides: object) -> Patient:
    """Register a patient and refer them to the user, which is what lets the user see them."""
    team = world.north if user.organization_id == world.riverside.pk else user.profile.team
    assert team is not None
    patient = do_register_and_refer(
        user,
        details(**overrides),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        team=team,
        case_manager=user,
    )
    return patient


def counts() -> tuple[int, int, int]:
    return Patient.objects.count(), PatientIdentifier.objects.count(), AuditEvent.objects.count()


# --- registering ------------------------------------------------------------------------------------------


def test_a_new_patient_gets_an_eight_digit_mrn_and_an_audited_create(world: World) -> None:
    patient = do_create_patient(world.alice, details(given_name="  Omar ", family_name=" Haddad"))
    assert patient.organization == world.riverside
    assert (patient.given_name, patient.family_name) == ("Omar", "Haddad")
    [mrn] = PatientIdentifier.objects.filter(patient=patient, system=MRN_SYSTEM)
    assert re.fullmatch(r"\d{8}", mrn.value)
    assert mrn.label == "MRN"
    assert Patient.objects.get(pk=patient.pk).mrn == mrn.value
    event = AuditEvent.objects.get(patient=patient, action=AuditAction.CREATE, object_type="Patient")
    assert event.user == world.alice
    assert event.object_id == str(patient.pk)


def test_every_patient_gets_a_different_mrn(world: World) -> None:
    one = do_create_patient(world.alice, details())
    two = do_create_patient(world.alice, details(given_name="Leila"))
    assert one.mrn != two.mrn


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"given_name": ""}, "given_name"),
        ({"given_name": "   "}, "given_name"),
        ({"family_name": " "}, "family_name"),
    ],
)
def test_it_refuses_a_patient_without_a_name(world: World, overrides: dict[str, str], field: str) -> None:
    before = counts()
    with pytest.raises(ActionRefused) as refused:
        do_create_patient(world.alice, details(**overrides))
    assert set(refused.value.errors) == {field}
    assert counts() == before


# New York's 15 June 2025 at noon.
TODAY = dt.datetime(2025, 6, 15, 16, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("born", "error"),
    [
        (dt.date(2025, 6, 16), "The birth date is in the future."),
        (dt.date(1905, 6, 14), "The birth date is more than 120 years ago."),
        (dt.date(1905, 1, 1), "The birth date is more than 120 years ago."),
        (dt.date(1800, 1, 1), "The birth date is more than 120 years ago."),
    ],
)
def test_it_refuses_an_impossible_birth_date(world: World, born: dt.date, error: str) -> None:
    before = counts()
    with time_machine.travel(TODAY, tick=False), pytest.raises(ActionRefused) as refused:
        do_create_patient(world.alice, details(birth_date=born))
    assert refused.value.errors == {"birth_date": error}
    assert counts() == before


@pytest.mark.parametrize("born", [dt.date(2025, 6, 15), dt.date(1905, 6, 15), dt.date(1905, 12, 31)])
def test_it_accepts_births_from_today_back_to_exactly_120_years(world: World, born: dt.date) -> None:
    with time_machine.travel(TODAY, tick=False):
        assert do_create_patient(world.alice, details(birth_date=born)).birth_date == born


def test_the_120_year_limit_works_on_a_leap_day() -> None:
    # 1900 had no 29 February: on 29 February 2020 the limit falls on 28 February 1900.
    leap_day = dt.date(2020, 2, 29)
    assert birth_date_errors(dt.date(1900, 2, 28), leap_day) == ""
    assert birth_date_errors(dt.date(1900, 2, 27), leap_day) == "The birth date is more than 120 years ago."


def test_it_reports_every_problem_at_once(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_create_patient(world.alice, details(given_name="", family_name="", birth_date=dt.date(3000, 1, 1)))
    assert set(refused.value.errors) == {"given_name", "family_name", "birth_date"}


@pytest.mark.parametrize("persona", ["dana", "uma", "pia", "mo"])
def test_only_case_staff_register_patients(world: World, persona: str) -> None:
    before = counts()
    with pytest.raises(ActionRefused):
        do_create_patient(getattr(world, persona), details())
    assert counts() == before


def test_extra_identifiers_are_kept_with_the_patient(world: World) -> None:
    patient = do_create_patient(
        world.alice, details(), extra_identifiers=[(MEDICAID, "NY123456", "Medicaid ID")]
    )
    assert set(patient.identifiers.values_list("system", "value")) == {
        (MRN_SYSTEM, patient.mrn),
        (MEDICAID, "NY123456"),
    }


def test_it_refuses_an_identifier_that_already_belongs_to_someone_and_writes_nothing(world: World) -> None:
    do_create_patient(world.alice, details(), extra_identifiers=[(MEDICAID, "NY123456", "Medicaid ID")])
    before = counts()
    with pytest.raises(ActionRefused) as refused:
        do_create_patient(
            world.alice,
            details(given_name="Leila"),
            extra_identifiers=[(MEDICAID, "NY123456", "Medicaid ID")],
        )
    assert refused.value.errors == {"identifier": "That identifier already belongs to another patient."}
    assert counts() == before
    assert not Patient.objects.filter(given_name="Leila").exists()


def test_another_organisation_may_use_the_same_identifier(world: World) -> None:
    do_create_patient(world.alice, details(), extra_identifiers=[(MEDICAID, "NY123456", "Medicaid ID")])
    theirs = do_create_patient(
        world.charlie, details(), extra_identifiers=[(MEDICAID, "NY123456", "Medicaid")]
    )
    assert theirs.organization == world.lakeside


# --- possible duplicates ----------------------------------------------------------------------------------


def test_possible_duplicates_match_name_and_birth_date_ignoring_case(world: World) -> None:
    found = possible_duplicates(world.alice, " PAULA", "reyes ", dt.date(1956, 3, 14))
    assert found == [world.paula]


def test_a_different_birth_date_or_name_is_not_a_duplicate(world: World) -> None:
    assert possible_duplicates(world.alice, "Paula", "Reyes", dt.date(1956, 3, 15)) == []
    assert possible_duplicates(world.alice, "Pablo", "Ramos", dt.date(1956, 3, 14)) == []
    # One name in common on the same birthday is worth a look now (issue 17 §3: "Paul" for "Paula" is a typo).
    assert possible_duplicates(world.alice, "Paul", "Reyes", dt.date(1956, 3, 14)) == [world.paula]


def test_duplicates_are_looked_for_only_in_the_users_organisation(world: World) -> None:
    assert possible_duplicates(world.charlie, "Paula", "Reyes", dt.date(1956, 3, 14)) == []
    lake_paula = do_create_patient(
        world.charlie, details(given_name="Paula", family_name="Reyes", birth_date=dt.date(1956, 3, 14))
    )
    assert possible_duplicates(world.charlie, "paula", "REYES", dt.date(1956, 3, 14)) == [lake_paula]
    assert possible_duplicates(world.alice, "paula", "REYES", dt.date(1956, 3, 14)) == [world.paula]


# --- conditions -------------------------------------------------------------------------------------------


def test_a_condition_is_stored_with_its_code_normalised_and_audited(world: World) -> None:
    condition = do_add_condition(world.alice, world.paula, icd10_code=" e11.9 ", display=" Type 2 diabetes ")
    assert (condition.icd10_code, condition.display) == ("E11.9", "Type 2 diabetes")
    assert AuditEvent.objects.filter(
        user=world.alice,
        patient=world.paula,
        action=AuditAction.CREATE,
        object_type="Condition",
        object_id=str(condition.pk),
    ).exists()


@pytest.mark.parametrize(
    "code", ["250.00", "diabetes", "E11-9", "E1.9", "11.9", "E11.99999", "", "E11.9 I10"]
)
def test_it_refuses_a_code_that_is_not_icd10_cm(world: World, code: str) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_add_condition(world.alice, world.paula, icd10_code=code, display="Diabetes")
    assert set(refused.value.errors) == {"icd10_code"}
    assert not Condition.objects.exists()


def test_it_refuses_a_condition_without_a_description(world: World) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_add_condition(world.alice, world.paula, icd10_code="I10", display="  ")
    assert set(refused.value.errors) == {"display"}


def test_only_staff_who_may_change_the_chart_add_conditions(world: World) -> None:
    with pytest.raises(ActionRefused):
        do_add_condition(world.dana, world.paula, icd10_code="I10", display="Hypertension")
    with pytest.raises(NotVisible):
        do_add_condition(world.bob, world.paula, icd10_code="I10", display="Hypertension")
    assert not Condition.objects.exists()


# Real ICD-10-CM codes of every shape: 3 characters, letters in the third place, the X placeholder,
# 7th-character extensions, and the U codes added for COVID-19.
REAL_CODES = [
    "I10",
    "E11.9",
    "I50.22",
    "J44.1",
    "Z79.4",
    "F32.A",
    "M1A.0710",
    "Z3A.12",
    "O9A.211",
    "C7B.8",
    "S72.001A",
    "T36.0X1A",
    "U07.1",
    "U09.9",
]


@pytest.mark.parametrize("code", REAL_CODES)
def test_real_icd10_cm_codes_are_accepted(code: str) -> None:
    assert is_icd10_cm(code)
    assert is_icd10_cm(code.lower())


LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
# Characters after the dot in ICD-10-CM: digits, the X placeholder and the 7th-character extension letters.
AFTER_DOT = DIGITS + "ABCDEFGHJKMNPQRSX"

icd10_codes = st.builds(
    lambda a, b, c, rest: f"{a}{b}{c}" + (f".{rest}" if rest else ""),
    st.sampled_from(LETTERS),
    st.sampled_from(DIGITS),
    st.sampled_from(DIGITS + "AB"),
    st.text(alphabet=AFTER_DOT, max_size=4),
)


@given(icd10_codes)
@settings(max_examples=300)
def test_every_code_of_icd10_cm_shape_is_accepted(code: str) -> None:
    assert is_icd10_cm(code)


@given(st.text(max_size=12))
@example("E11.9")
@example("e11.9\n")
@settings(max_examples=300)
def test_anything_accepted_has_the_icd10_cm_shape(text: str) -> None:
    # Sound for any input: acceptance implies the shape, whatever the junk looks like.
    if is_icd10_cm(text):
        code = text.strip().upper()
        assert 3 <= len(code) <= 8
        assert code[0] in LETTERS and code[1] in DIGITS and code[2] in DIGITS + "AB"
        if len(code) > 3:
            assert code[3] == "." and len(code) >= 5 and "." not in code[4:]
            assert all(ch in DIGITS + LETTERS for ch in code[4:])


@given(
    code=icd10_codes,
    damage=st.sampled_from(
        ["digit first", "letter second", "too long", "two dots", "space inside", "no code after dot", "dash"]
    ),
)
@settings(max_examples=200)
def test_a_damaged_code_is_refused(code: str, damage: str) -> None:
    broken = {
        "digit first": "7" + code[1:],
        "letter second": code[0] + "Q" + code[2:],
        "too long": code[:3] + ".12345",
        "two dots": code[:3] + ".1.2",
        "space inside": code[:2] + " " + code[2:],
        "no code after dot": code[:3] + ".",
        "dash": code[:3] + "-" + code[4:],
    }[damage]
    assume(broken.strip() != code)
    assert not is_icd10_cm(broken)


# --- searching and opening charts -------------------------------------------------------------------------


def test_search_finds_visible_patients_by_name_prefix(world: World) -> None:
    paul = register(world.bob, world, given_name="Paul", family_name="Reynolds")
    assert list(search_patients(world.alice, "pau")) == [world.paula]
    assert list(search_patients(world.alice, "REY")) == [world.paula]
    assert list(search_patients(world.bob, "pau")) == [paul]
    assert list(search_patients(world.sam, "pau")) == [world.paula, paul]
    assert list(search_patients(world.sam, "pau rey")) == [world.paula, paul]
    assert list(search_patients(world.sam, "paula rey")) == [world.paula]


def test_search_finds_a_visible_patient_by_identifier(world: World) -> None:
    paul = register(world.bob, world, given_name="Paul", family_name="Reynolds")
    assert list(search_patients(world.alice, world.paula.mrn)) == [world.paula]
    assert list(search_patients(world.alice, paul.mrn)) == []
    assert list(search_patients(world.bob, paul.mrn)) == [paul]


def test_search_filters_by_birth_date(world: World) -> None:
    register(world.alice, world, given_name="Pablo", family_name="Reyes", birth_date=dt.date(1960, 1, 1))
    assert list(search_patients(world.alice, "reyes", birth_date=dt.date(1956, 3, 14))) == [world.paula]
    assert list(search_patients(world.alice, birth_date=dt.date(1956, 3, 14))) == [world.paula]
    assert list(search_patients(world.alice, birth_date=dt.date(1956, 3, 15))) == []


@pytest.mark.parametrize("persona", ["bob", "charlie", "uma", "pia", "mo"])
def test_search_never_shows_patients_you_may_not_see(world: World, persona: str) -> None:
    user = getattr(world, persona)
    assert list(search_patients(user, "Paula")) == []
    assert list(search_patients(user, world.paula.mrn)) == []
    assert list(search_patients(user, birth_date=world.paula.birth_date)) == []


def test_a_patient_with_several_identifiers_is_found_once(world: World) -> None:
    patient = register(world.alice, world, given_name="Ines")
    PatientIdentifier.objects.create(
        patient=patient, organization=world.riverside, system=MEDICAID, value="Ines2", label="Medicaid ID"
    )
    assert list(search_patients(world.alice, "Ines")) == [patient]


def test_opening_a_chart_is_an_audited_read(world: World) -> None:
    patient = access_patient(world.alice, world.paula.pk)
    assert patient == world.paula
    event = AuditEvent.objects.get(action=AuditAction.READ)
    assert (event.user, event.patient, event.role) == (world.alice, world.paula, "case_manager")
    assert (event.object_type, event.object_id) == ("Patient", str(world.paula.pk))
    assert event.organization_id_value == world.riverside.pk


@pytest.mark.parametrize("persona", ["bob", "charlie", "uma", "pia", "mo"])
def test_a_chart_you_may_not_see_looks_missing(world: World, persona: str) -> None:
    with pytest.raises(NotVisible):
        access_patient(getattr(world, persona), world.paula.pk)
    assert not AuditEvent.objects.filter(action=AuditAction.READ).exists()


def test_a_chart_that_does_not_exist_looks_the_same(world: World) -> None:
    with pytest.raises(NotVisible):
        access_patient(world.alice, 10**9)
