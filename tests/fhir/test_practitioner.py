"""Practitioner and PractitionerRole through the FHIR API: the staff of the caller's organisation, read-only,
identified by username."""

from __future__ import annotations

import pytest

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.accounts.models import StaffProfile
from careconductor.fhir.mappers.common import EXT, USERNAME_SYSTEM
from careconductor.patients.actions import do_link_portal_user
from tests.personas import make_staff

from .conftest import query_count

pytestmark = pytest.mark.django_db


def ext(body, name):
    return next((e for e in body.get("extension", []) if e["url"] == EXT + name), None)


def test_read_shows_username_identifier_name_and_languages(world, api):
    StaffProfile.objects.filter(user=world.alice).update(credentials="RN, CCM")
    world.alice.email = "alice@riverside.example"
    world.alice.save()
    reply = api(world.bob).get(f"Practitioner/{world.alice.pk}")
    assert reply.status == 200
    body = reply.body
    assert body["identifier"] == [{"system": USERNAME_SYSTEM, "value": "alice"}]
    assert body["name"] == [{"use": "official", "family": "Tester", "given": ["Alice"]}]
    assert body["active"] is True
    assert body["telecom"] == [{"system": "email", "value": "alice@riverside.example", "use": "work"}]
    assert [q["code"]["text"] for q in body["qualification"]] == ["RN", "CCM"]
    assert [c["coding"][0]["code"] for c in body["communication"]] == ["en", "es"]
    assert body["meta"]["versionId"] == str(world.alice.profile.version)


def test_practitioners_are_the_staff_of_the_callers_organisation_only(world, api):
    riverside = {r["id"] for r in api(world.bob).search("Practitioner?_count=100")}
    assert str(world.alice.pk) in riverside and str(world.adam.pk) in riverside
    assert str(world.charlie.pk) not in riverside
    lakeside = {r["id"] for r in api(world.charlie).search("Practitioner?_count=100")}
    assert str(world.charlie.pk) in lakeside
    assert str(world.alice.pk) not in lakeside
    assert api(world.charlie).get(f"Practitioner/{world.alice.pk}").status == 404
    assert api(world.charlie).get(f"PractitionerRole/{world.alice.pk}").status == 404
    assert api(world.charlie).search("Practitioner?identifier=alice") == []


def test_search_by_each_parameter(world, api):
    bob = api(world.bob)

    def ids(query):
        return {r["id"] for r in bob.search(f"Practitioner?{query}&_count=100")}

    alice = {str(world.alice.pk)}
    assert ids(f"identifier={USERNAME_SYSTEM}|alice") == alice
    assert ids("identifier=alice") == alice
    assert ids("identifier=urn:other|alice") == set()
    assert ids("name=ali") == alice
    assert ids("given=ALICE") == alice
    assert ids("family=Tester") >= alice | {str(world.bob.pk)}
    assert ids("family=Nobody") == set()
    assert ids(f"_id={world.alice.pk}") == alice
    assert ids("_lastUpdated=ge2000-01-01") >= alice
    assert ids("_lastUpdated=lt2000-01-01") == set()
    world.uma.is_active = False
    world.uma.save()
    assert ids("active=false") == {str(world.uma.pk)}
    assert str(world.uma.pk) not in ids("active=true")
    assert [r["id"] for r in bob.search("Practitioner?_sort=given&given=a")] == [
        str(world.adam.pk),
        str(world.alice.pk),
    ]


def test_a_patients_portal_account_is_not_a_practitioner(world, api):
    portal = make_staff("pat", Role.PATIENT, world.riverside)
    assert api(world.adam).get(f"Practitioner/{portal.pk}").status == 404
    assert api(world.adam).get(f"PractitionerRole/{portal.pk}").status == 404
    assert str(portal.pk) not in {r["id"] for r in api(world.adam).search("Practitioner?_count=100")}


def test_a_page_of_practitioners_costs_a_fixed_number_of_queries(world, api):
    bob = api(world.bob)
    bob.search("Practitioner?_count=1")

    def page_of_one(resource: str) -> None:
        assert len(bob.search(f"{resource}?_count=1")) == 1

    def page_of_many(resource: str) -> None:
        assert len(bob.search(f"{resource}?_count=50")) > 5

    one = query_count(lambda: page_of_one("Practitioner"))
    assert query_count(lambda: page_of_many("Practitioner")) == one
    one = query_count(lambda: page_of_one("PractitionerRole"))
    assert query_count(lambda: page_of_many("PractitionerRole")) == one


def test_the_role_has_the_users_id_discipline_team_and_caseload(world, api):
    reply = api(world.bob).get(f"PractitionerRole/{world.alice.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["id"] == str(world.alice.pk)
    assert body["practitioner"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["organization"] == {"reference": f"Organization/team-{world.north.pk}", "display": "North"}
    assert body["code"][0]["coding"][0] == {
        "system": "urn:careconductor:discipline",
        "code": "nurse",
        "display": "Registered nurse",
    }
    assert ext(body, "caseload-capacity")["valueInteger"] == 60
    assert ext(body, "experience-level")["valueCoding"]["code"] == "proficient"
    dana = api(world.bob).get(f"PractitionerRole/{world.dana.pk}").body
    assert dana["organization"] == {"reference": f"Organization/{world.riverside.pk}"}
    assert api(world.bob).get(f"PractitionerRole/{world.alice.profile.pk + 1000}").status == 404


def test_roles_search_by_practitioner_organization_role_and_id(world, api):
    bob = api(world.bob)

    def ids(query):
        return {r["id"] for r in bob.search(f"PractitionerRole?{query}&_count=100")}

    assert ids(f"practitioner=Practitioner/{world.alice.pk}") == {str(world.alice.pk)}
    assert ids(f"organization=Organization/team-{world.north.pk}") == {
        str(u.pk) for u in (world.sam, world.alice, world.bob)
    }
    assert str(world.dana.pk) in ids(f"organization=Organization/{world.riverside.pk}")
    assert str(world.alice.pk) not in ids(f"organization=Organization/{world.riverside.pk}")
    assert ids("role=urn:careconductor:discipline|physician") == {str(world.dana.pk), str(world.mo.pk)}
    assert ids("role=http://nucc.org/provider-taxonomy|physician") == set()
    assert ids(f"_id={world.alice.pk}") == {str(world.alice.pk)}
    assert ids("_id=x") == set()


def test_include_the_practitioner_of_a_role(world, api):
    reply = api(world.bob).get(
        f"PractitionerRole?practitioner={world.alice.pk}&_include=PractitionerRole:practitioner"
    )
    assert {(e["resource"]["resourceType"], e["search"]["mode"]) for e in reply.body["entry"]} == {
        ("PractitionerRole", "match"),
        ("Practitioner", "include"),
    }


@pytest.mark.django_db(transaction=True)
def test_a_profile_change_makes_a_new_version_of_both(world, api):
    bob = api(world.bob)
    before = bob.get(f"Practitioner/{world.alice.pk}").body["meta"]["versionId"]
    profile = StaffProfile.objects.get(user=world.alice)
    profile.caseload_capacity = 40
    profile.save()
    after = bob.get(f"PractitionerRole/{world.alice.pk}")
    assert int(after.body["meta"]["versionId"]) == int(before) + 1
    assert ext(after.body, "caseload-capacity")["valueInteger"] == 40
    old = bob.get(f"PractitionerRole/{world.alice.pk}/_history/{before}")
    assert old.status == 200
    assert ext(old.body, "caseload-capacity")["valueInteger"] == 60
    history = bob.get(f"PractitionerRole/{world.alice.pk}/_history")
    assert history.body["entry"][0]["resource"]["meta"]["versionId"] == after.body["meta"]["versionId"]
    assert (
        bob.get(f"Practitioner/{world.alice.pk}").body["meta"]["versionId"] == after.body["meta"]["versionId"]
    )


def test_a_patient_sees_only_the_staff_who_look_after_them(world, api):
    login = do_create_user("paula.portal", Role.PATIENT, world.riverside, "a-long-portal-password")
    do_link_portal_user(world.adam, world.paula, login)
    paula = api(login, scopes=("patient/*.read",))
    seen = {r["id"] for r in paula.search("Practitioner?_count=100")}
    assert str(world.alice.pk) in seen  # her case manager
    assert str(world.dana.pk) in seen  # her care team physician
    assert str(world.bob.pk) not in seen
    assert paula.get(f"Practitioner/{world.bob.pk}").status == 404
    assert paula.get(f"PractitionerRole/{world.alice.pk}").status == 200
