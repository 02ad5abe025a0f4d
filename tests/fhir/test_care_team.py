"""CareTeam through the FHIR API: one per patient, with the care team members (staff, and people outside the
system as contained resources), the lead first, and the case managers of open cases, visible exactly as the
patient is."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.core import clock
from careconductor.patients.actions import (
    PatientDetails,
    do_add_care_team_member,
    do_end_care_team_member,
    do_set_care_team_lead,
)
from careconductor.patients.choices import CareTeamCategory, Sex

from .conftest import query_count

pytestmark = pytest.mark.django_db

CATEGORY = "https://careconductor.org/fhir/CodeSystem/care-team-category"
LEAD = "https://careconductor.org/fhir/StructureDefinition/care-team-lead"
CAREGIVER = "https://careconductor.org/fhir/StructureDefinition/caregiver"


def members(body):
    return {p["member"]["reference"]: p for p in body.get("participant", [])}


def contained(body):
    return {f"#{r['id']}": r for r in body.get("contained", [])}


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
    assert dana["role"] == [
        {
            "coding": [{"system": CATEGORY, "code": "other", "display": "Other"}],
            "text": "Primary care physician",
        }
    ]
    assert "extension" not in dana  # nobody leads Paula's team yet
    assert "contained" not in body
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


# --- people outside the system, the lead, ended members -------------------------------------------------------


@pytest.fixture
def marco(world):
    """Paula's son, her main caregiver, on the team with a phone and an e-mail address."""
    return do_add_care_team_member(
        world.alice,
        world.paula,
        role="Son, main caregiver",
        category=CareTeamCategory.CAREGIVER,
        name="Marco Reyes",
        phone="555-0101",
        email="marco@example.org",
        start_date=dt.date(2026, 1, 5),
    )


@pytest.fixture
def rosa(world):
    """A community health worker of a local agency."""
    return do_add_care_team_member(
        world.alice,
        world.paula,
        role="Community health worker, home visits",
        category=CareTeamCategory.CHW,
        name="Rosa Diaz",
        organization_name="Eastside Community Health Alliance",
        phone="555-0190",
        start_date=dt.date(2026, 2, 1),
    )


def test_a_family_caregiver_is_a_contained_related_person(world, api, marco):
    body = api(world.alice).get(f"CareTeam/{world.paula.pk}").body
    found = members(body)
    participant = found[f"#member-{marco.pk}"]
    assert participant["member"]["display"] == "Marco Reyes"
    assert participant["role"] == [
        {
            "coding": [{"system": CATEGORY, "code": "caregiver", "display": "Family caregiver"}],
            "text": "Son, main caregiver",
        }
    ]
    assert participant["period"] == {"start": "2026-01-05"}
    assert "onBehalfOf" not in participant
    person = contained(body)[f"#member-{marco.pk}"]
    assert person == {
        "resourceType": "RelatedPerson",
        "id": f"member-{marco.pk}",
        "extension": [{"url": CAREGIVER, "valueBoolean": True}],
        "patient": {"reference": f"Patient/{world.paula.pk}"},
        "relationship": [{"text": "Son, main caregiver"}],
        "name": [{"text": "Marco Reyes"}],
        "telecom": [
            {"system": "phone", "value": "555-0101"},
            {"system": "email", "value": "marco@example.org"},
        ],
    }


def test_a_community_worker_is_a_contained_practitioner_of_their_agency(world, api, rosa):
    body = api(world.alice).get(f"CareTeam/{world.paula.pk}").body
    participant = members(body)[f"#member-{rosa.pk}"]
    assert participant["role"][0]["coding"][0]["code"] == "chw"
    assert participant["role"][0]["text"] == "Community health worker, home visits"
    assert participant["onBehalfOf"] == {
        "reference": f"#member-{rosa.pk}-org",
        "display": "Eastside Community Health Alliance",
    }
    found = contained(body)
    assert found[f"#member-{rosa.pk}"] == {
        "resourceType": "Practitioner",
        "id": f"member-{rosa.pk}",
        "name": [{"text": "Rosa Diaz"}],
        "telecom": [{"system": "phone", "value": "555-0190"}],
    }
    assert found[f"#member-{rosa.pk}-org"] == {
        "resourceType": "Organization",
        "id": f"member-{rosa.pk}-org",
        "name": "Eastside Community Health Alliance",
    }


def test_every_contained_resource_is_referred_to(world, api, marco, rosa):
    body = api(world.alice).get(f"CareTeam/{world.paula.pk}").body
    referred = {p["member"]["reference"] for p in body["participant"]} | {
        p["onBehalfOf"]["reference"] for p in body["participant"] if "onBehalfOf" in p
    }
    assert set(contained(body)) <= referred
    assert len(body["contained"]) == 3


def test_the_lead_comes_first_and_is_marked(world, api, marco, rosa):
    alice = api(world.alice)
    do_set_care_team_lead(world.alice, rosa)
    body = alice.get(f"CareTeam/{world.paula.pk}").body
    first = body["participant"][0]
    assert first["member"]["reference"] == f"#member-{rosa.pk}"
    assert first["extension"] == [{"url": LEAD, "valueBoolean": True}]
    assert [p for p in body["participant"] if "extension" in p] == [first]

    # One lead at a time: Dana takes over.
    dana = world.paula.care_team.get(user=world.dana)
    do_set_care_team_lead(world.alice, dana)
    after = alice.get(f"CareTeam/{world.paula.pk}").body
    assert after["participant"][0]["member"]["reference"] == f"Practitioner/{world.dana.pk}"
    assert [p["member"]["reference"] for p in after["participant"] if "extension" in p] == [
        f"Practitioner/{world.dana.pk}"
    ]
    assert int(after["meta"]["versionId"]) > int(body["meta"]["versionId"])


def test_a_lead_added_as_lead_comes_first(world, api):
    mo = do_add_care_team_member(
        world.alice,
        world.paula,
        member=world.mo,
        role="Medical director",
        category=CareTeamCategory.PHYSICIAN,
        is_lead=True,
        start_date=dt.date(2026, 3, 1),
    )
    body = api(world.alice).get(f"CareTeam/{world.paula.pk}").body
    assert body["participant"][0]["member"]["reference"] == f"Practitioner/{mo.user_id}"
    assert body["participant"][0]["role"][0]["coding"][0]["code"] == "physician"


def test_an_ended_member_keeps_their_period_end_and_the_reason(world, api, marco):
    alice = api(world.alice)
    ended_on = clock.today() - dt.timedelta(days=1)
    do_end_care_team_member(world.alice, marco, end_date=ended_on, reason="Moved to another state")
    body = alice.get(f"CareTeam/{world.paula.pk}").body
    assert body["status"] == "active"
    participant = members(body)[f"#member-{marco.pk}"]
    assert participant["period"] == {"start": "2026-01-05", "end": ended_on.isoformat()}
    assert f"#member-{marco.pk}" in contained(body)
    assert body["note"] == [
        {
            "text": f"Marco Reyes (Son, main caregiver) left the team on {ended_on.isoformat()}: Moved to another state"
        }
    ]


def test_a_lead_whose_membership_has_ended_leads_no_more(world, api, rosa):
    do_set_care_team_lead(world.alice, rosa)
    ends = clock.today() + dt.timedelta(days=2)
    do_end_care_team_member(world.alice, rosa, end_date=ends, reason="Agency contract ends")
    alice = api(world.alice)
    body = alice.get(f"CareTeam/{world.paula.pk}").body
    assert body["participant"][0]["member"]["reference"] == f"#member-{rosa.pk}"
    assert "extension" in body["participant"][0]
    assert "note" not in body  # not gone yet
    with time_machine.travel(clock.now() + dt.timedelta(days=5), tick=False):
        later = alice.get(f"CareTeam/{world.paula.pk}").body
    assert not [p for p in later["participant"] if "extension" in p]
    assert later["note"][0]["text"].endswith("Agency contract ends")


def test_participant_search_is_for_staff_only(world, api, marco):
    alice = api(world.alice)
    assert [r["id"] for r in alice.search(f"CareTeam?participant=Practitioner/{world.dana.pk}")] == [
        str(world.paula.pk)
    ]
    assert alice.search(f"CareTeam?participant=RelatedPerson/{marco.pk}") == []
    assert alice.search(f"CareTeam?participant=member-{marco.pk}") == []


def test_outside_members_are_not_shown_to_strangers(world, api, marco, rosa):
    for stranger in (world.bob, world.charlie):
        assert api(stranger).get(f"CareTeam/{world.paula.pk}").status == 404
        assert api(stranger).search("CareTeam?_count=200") == []
