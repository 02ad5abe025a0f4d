"""Identifiers on the chart's details page (issue 17 §3): staff who may change the record add, change and remove
a Medicaid ID, a Medicare number, a plan's member number …; a number another patient of the organisation has
is refused beside the field and nothing changes; the MRN is ours and stays."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails, do_set_identifiers
from careconductor.patients.choices import IDENTIFIER_SYSTEMS, MRN_SYSTEM, Sex
from careconductor.patients.models import Patient, PatientIdentifier

from ..personas import World

pytestmark = pytest.mark.django_db
MEDICAID = IDENTIFIER_SYSTEMS["medicaid"][0]


def _url(world: World) -> str:
    return reverse("patients:details", args=[world.paula.pk])


def _numbers(patient_id: int) -> set[tuple[str, str]]:
    return set(
        PatientIdentifier.objects.filter(patient_id=patient_id)
        .exclude(system=MRN_SYSTEM)
        .values_list("label", "value")
    )


def test_staff_add_change_and_remove_an_identifier(
    world: World, login, django_assert_max_num_queries
) -> None:
    client = login(world.alice)
    with django_assert_max_num_queries(40):
        page = client.get(_url(world))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Identifiers" in text and world.paula.mrn in text and 'name="identifier_kind"' in text

    added = client.post(
        _url(world), {"form": "identifier", "identifier_kind": "medicaid", "number": " OR998877 "}
    )
    assert added.status_code == 302
    assert _numbers(world.paula.pk) == {("Medicaid ID", "OR998877")}
    row = PatientIdentifier.objects.get(patient=world.paula, system=MEDICAID)

    changed = client.post(
        _url(world), {"form": "change-identifier", "identifier": row.pk, "number": "OR998878"}
    )
    assert changed.status_code == 302
    assert _numbers(world.paula.pk) == {("Medicaid ID", "OR998878")}

    removed = client.post(
        _url(world),
        {"form": "remove-identifier", "identifier": PatientIdentifier.objects.get(system=MEDICAID).pk},
    )
    assert removed.status_code == 302
    assert _numbers(world.paula.pk) == set()
    assert Patient.objects.get(pk=world.paula.pk).mrn == world.paula.mrn  # ours, untouched


def test_a_number_another_patient_has_is_refused_beside_the_field(world: World, login) -> None:
    other = do_register_and_refer(
        world.bob,
        PatientDetails(given_name="Omar", family_name="Haddad", birth_date=dt.date(1950, 1, 2), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        case_manager=world.bob,
    )
    do_set_identifiers(world.bob, other, [(MEDICAID, "OR111", "Medicaid ID")])
    client = login(world.alice)
    refused = client.post(
        _url(world), {"form": "identifier", "identifier_kind": "medicaid", "number": "OR111"}
    )
    assert refused.status_code == 400
    text = refused.content.decode()
    assert 'id="id_number_error"' in text and "already belongs to another patient" in text
    assert "Omar" not in text  # which patient is not said: alice may not see him
    assert _numbers(world.paula.pk) == set()


@pytest.mark.parametrize(
    "data",
    [
        {"form": "identifier", "identifier_kind": "medicaid", "number": ""},
        {"form": "identifier", "identifier_kind": "passport", "number": "X1"},
        {"form": "identifier", "identifier_kind": "medicaid", "number": "9" * 101},
        {"form": "change-identifier", "identifier": "abc", "number": "1"},
    ],
)
def test_bad_input_is_refused_with_words_and_changes_nothing(
    world: World, login, data: dict[str, str]
) -> None:
    client = login(world.alice)
    answer = client.post(_url(world), data)
    assert answer.status_code == 400
    assert _numbers(world.paula.pk) == set()


def test_someone_else_s_identifier_cannot_be_changed_through_this_chart(world: World, login) -> None:
    other = do_register_and_refer(
        world.alice,
        PatientDetails(given_name="Omar", family_name="Haddad", birth_date=dt.date(1950, 1, 2), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        case_manager=world.alice,
    )
    do_set_identifiers(world.alice, other, [(MEDICAID, "OR222", "Medicaid ID")])
    theirs = PatientIdentifier.objects.get(value="OR222")
    client = login(world.alice)
    answer = client.post(_url(world), {"form": "remove-identifier", "identifier": theirs.pk})
    assert answer.status_code == 404
    assert PatientIdentifier.objects.filter(pk=theirs.pk).exists()


def test_who_may_only_look_sees_the_identifiers_without_the_forms(world: World, login) -> None:
    do_set_identifiers(world.alice, world.paula, [(MEDICAID, "OR333", "Medicaid ID")])
    page = login(world.dana).get(_url(world)).content.decode()  # care team physician: reads
    assert "OR333" in page and 'name="identifier_kind"' not in page
    refused = login(world.dana).post(
        _url(world), {"form": "identifier", "identifier_kind": "medicare", "number": "1"}
    )
    assert refused.status_code in (400, 403)
    assert _numbers(world.paula.pk) == {("Medicaid ID", "OR333")}
