"""Keeping the chart up to date on screens (issue 17 §3): details, coverage, a visit recorded by hand that
starts transitional care, caregivers, and a new referral for an existing patient; refusals change nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from careconductor.cases.choices import Program
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.patients.models import Coverage, Encounter, Patient, PatientContact

from ..personas import World

pytestmark = pytest.mark.django_db


def _url(world: World, name: str = "details") -> str:
    return reverse(f"patients:{name}", args=[world.paula.pk])


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_details_are_changed_on_screen_and_found_by_the_new_phone(world: World, login) -> None:
    client = login(world.alice)
    page = client.get(_url(world)).content.decode()
    assert 'value="555-0100"' in page
    data = {
        "form": "demographics", "given_name": "Paula", "family_name": "Reyes Díaz", "birth_date": "1956-03-14",
        "sex": "female", "preferred_language": "es", "interpreter_needed": "on", "phone": "541-555-0177",
        "preferred_contact_method": "phone", "preferred_contact_times": "after 4 pm", "preferred_name": "Pau",
    }  # fmt: skip
    assert client.post(_url(world), data).status_code == 302
    paula = Patient.objects.get(pk=world.paula.pk)
    assert (paula.family_name, paula.phone, paula.preferred_name) == ("Reyes Díaz", "541-555-0177", "Pau")
    found = client.get(reverse("patients:list"), {"q": "diaz"}).content.decode()
    assert "Reyes Díaz" in found
    blank = client.post(_url(world), {**data, "given_name": ""})
    assert blank.status_code == 400 and 'id="id_given_name_error"' in blank.content.decode()
    assert Patient.objects.get(pk=world.paula.pk).given_name == "Paula"


def test_coverage_is_added_and_ended_and_a_bad_one_keeps_nothing(world: World, login) -> None:
    client = login(world.alice)
    coverage = {"form": "coverage", "kind": "medicare", "payer": "Medicare", "start_date": "2021-03-01"}
    bad = client.post(_url(world), {**coverage, "end_date": "2020-01-01"})
    assert bad.status_code == 400 and 'id="id_end_date_error"' in bad.content.decode()
    assert not Coverage.objects.exists()
    assert client.post(_url(world), coverage).status_code == 302
    row = Coverage.objects.get()
    assert (
        client.post(
            _url(world), {"form": "end-coverage", "coverage": row.pk, "end_date": "2026-06-30"}
        ).status_code
        == 302
    )
    assert Coverage.objects.get().end_date == dt.date(2026, 6, 30)


def test_a_discharge_recorded_by_hand_shows_on_the_header(world: World, login) -> None:
    client = login(world.alice)
    now = clock.now()
    visit = {
        "form": "encounter", "encounter_class": "IMP", "facility": "Mercy General",
        "start": _local(now - dt.timedelta(days=5)), "end": _local(now - dt.timedelta(days=1)),
        "admission_type": "emergency", "discharge_disposition": "home_health", "reason": "Heart failure",
    }  # fmt: skip
    backwards = client.post(_url(world), {**visit, "end": _local(now - dt.timedelta(days=6))})
    assert backwards.status_code == 400 and not Encounter.objects.exists()
    assert client.post(_url(world), visit).status_code == 302
    encounter = Encounter.objects.get()
    assert (encounter.facility, encounter.source, encounter.discharge_disposition) == (
        "Mercy General", "manual", "home_health"
    )  # fmt: skip
    chart = client.get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    assert "Discharged yesterday from Mercy General" in chart


def test_a_caregiver_is_added(world: World, login) -> None:
    client = login(world.alice)
    data = {
        "form": "contact",
        "name": "Marco Reyes",
        "relationship": "child",
        "phone": "555-0101",
        "is_caregiver": "on",
    }
    assert client.post(_url(world), {**data, "name": " "}).status_code == 400
    assert client.post(_url(world), data).status_code == 302
    assert PatientContact.objects.get().is_caregiver


def test_an_existing_patient_is_referred_to_a_second_programme_once(world: World, login) -> None:
    client = login(world.alice)
    referral = {
        "program": "tcm",
        "referral_source": "hospital",
        "referral_reason": "Discharged with heart failure",
        "acuity_tier": "3",
    }
    done = client.post(_url(world, "refer"), referral)
    assert done.status_code == 302
    case = Case.objects.get(patient=world.paula, program=Program.TCM)
    assert (case.primary_case_manager, case.status, case.acuity_tier) == (world.alice, "referred", 3)
    again = client.post(_url(world, "refer"), referral)
    assert again.status_code == 400 and "already has an open case in this programme" in again.content.decode()
    assert Case.objects.filter(patient=world.paula).count() == 2


def test_the_care_team_reads_the_details_but_changes_nothing(world: World, login) -> None:
    client = login(world.dana)
    page = client.get(_url(world)).content.decode()
    assert "555-0100" in page and "Save details" not in page
    assert (
        client.post(_url(world), {"form": "contact", "name": "X", "relationship": "child"}).status_code == 400
    )
    assert client.get(_url(world, "refer")).status_code == 403
    assert login(world.bob).get(_url(world)).status_code == 404
    assert not PatientContact.objects.exists()
