"""CareTeam through the FHIR API: one per patient, with the care team members and the case managers of open
cases, visible exactly as the patient is."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails, do_add_care_team_member
from careconductor.patients.choices import Sex

from .conftest import query_count

pytestmark = pytest.mark.django_db


def members(body):
    return {p["member"]["reference"]: p for p in body.get("participant", [])}


def test_read_lists_the_members_and_the_case_manager(world, api):
    reply = api(world.alice).get(f"CareTeam/{world.paula.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["id"] == str(world.paula.pk)
    assert body["status"] == "active"
    assert body["subject"] == {"reference": f"Patient/{world.paula.pk}"}
    assert body["managingOrganization"] == [{"reference": f"Organization/{world.riverside.pk}"}]
    found = members(body)
    assert set(found) == {f"Practitioner/{world.dana.pk}", f"Practitioner/{world.alice.pk}"}
    dana = found[f"Practitioner/{world.dana.pk}"]
    assert dana["role"] == [{"text": "Primary care physician"}]
    assert "start" in dana["period"]
    alice = found[f"Practitioner/{world.alice.pk}"]
    assert alice["role"][0]["coding"][0]["code"] == "768821004"
    assert alice["role"][0]["text"] == "Case manager"


def test_dana_sees_the_team_she_is_on_and_strangers_see_nothing(world, api):
    assert api(world.dana).get(f"CareTeam/{world.paula.pk}").status == 200
    for stranger in (world.bob, world.charlie, world.uma):
        assert api(stranger).get(f"CareTeam/{world.paula.pk}").status == 404
        assert api(stranger).search("CareTeam") == []
        assert api(stranger).search(f"CareTeam?participant=Practitioner/{world.dana.pk}") == []


def test_search_by_patient_subject_participant_and_status(world, api):
    alice = api(world.alice)
    me = [str(world.paula.pk)]

    def ids(query):
        return [r["id"] for r in alice.search(f"CareTeam?{query}")]

    assert ids(f"patient=Patient/{world.paula.pk}") == me
    assert ids(f"subject={world.paula.pk}") == me
    assert ids(f"patient={world.paula.pk + 1000}") == []
    assert ids(f"participant=Practitioner/{world.dana.pk}") == me
    assert ids(f"participant={world.alice.pk}") == me
    assert ids(f"participant={world.bob.pk}") == []
    assert ids("status=active") == me
    assert ids("status=inactive") == []
    assert ids("_lastUpdated=ge2000-01-01") == me
    assert ids("_lastUpdated=lt2000-01-01") == []
    assert ids(f"_id={world.paula.pk}") == me


def test_include_and_revinclude_through_the_patient(world, api):
    alice = api(world.alice)
    reply = alice.get(f"CareTeam?patient={world.paula.pk}&_include=CareTeam:patient")
    assert {(e["resource"]["resourceType"], e["search"]["mode"]) for e in reply.body["entry"]} == {
        ("CareTeam", "match"),
        ("Patient", "include"),
    }
    reply = alice.get(f"Patient?_id={world.paula.pk}&_revinclude=CareTeam:patient")
    assert [e["resource"]["resourceType"] for e in reply.body["entry"]] == ["Patient", "CareTeam"]


def test_a_new_member_makes_a_new_version(world, api):
    alice = api(world.alice)
    before = alice.get(f"CareTeam/{world.paula.pk}").body
    do_add_care_team_member(
        world.alice, world.paula, member=world.mo, role="Pharmacist", start_date=dt.date(2024, 1, 2)
    )
    after = alice.get(f"CareTeam/{world.paula.pk}").body
    assert int(after["meta"]["versionId"]) > int(before["meta"]["versionId"])
    assert f"Practitioner/{world.mo.pk}" in members(after)


def test_a_page_of_care_teams_costs_a_fixed_number_of_queries(world, api):
    adam = api(world.adam)
    adam.search("CareTeam")

    def page_has(n: int) -> None:
        assert len(adam.search("CareTeam")) == n

    one = query_count(lambda: page_has(1))
    for i in range(4):
        patient = do_register_and_refer(
            world.alice,
            PatientDetails(
                given_name="T", family_name=f"Team{i}", birth_date=dt.date(1950, 1, 1), sex=Sex.MALE
            ),
            program=Program.CCM,
            referral_source=ReferralSource.PCP,
            referral_reason="Follow-up",
        )
        do_add_care_team_member(world.alice, patient, member=world.dana, role="PCP")
    assert query_count(lambda: page_has(5)) == one


def test_care_team_is_read_only(world, api):
    body = api(world.alice).get(f"CareTeam/{world.paula.pk}").body
    assert api(world.alice).put(f"CareTeam/{world.paula.pk}", body).status == 405
