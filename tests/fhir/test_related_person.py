"""RelatedPerson through the FHIR API: a patient's caregivers and emergency contacts."""

from __future__ import annotations

import pytest

from careconductor.patients.actions import do_add_contact
from careconductor.patients.choices import ContactRelationship
from careconductor.patients.models import PatientContact
from careconductor.privacy.models import AuditEvent

from .conftest import assert_bad_change_refused, query_count

pytestmark = pytest.mark.django_db

ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
CONTACT_ROLE = "http://terminology.hl7.org/CodeSystem/v2-0131"
CAREGIVER = "https://careconductor.org/fhir/StructureDefinition/caregiver"


@pytest.fixture
def miguel(world):
    return do_add_contact(
        world.alice,
        world.paula,
        name="Miguel Reyes",
        relationship=ContactRelationship.SPOUSE,
        phone="555-0101",
        is_caregiver=True,
        is_emergency_contact=True,
    )


@pytest.fixture
def rosa(world):
    return do_add_contact(
        world.alice, world.paula, name="Rosa Diaz", relationship=ContactRelationship.NEIGHBOUR
    )


def new_contact(world, **extra):
    return {
        "resourceType": "RelatedPerson",
        "patient": {"reference": f"Patient/{world.paula.pk}"},
        "relationship": [{"coding": [{"system": ROLE_CODE, "code": "CHILD"}]}],
        "name": [{"given": ["Lucia"], "family": "Reyes"}],
        "telecom": [{"system": "phone", "value": "555-0102"}],
        **extra,
    }


def codes(body):
    return {(c["system"], c["code"]) for r in body["relationship"] for c in r["coding"]}


def test_read_shows_relationship_flags_and_phone(world, api, miguel):
    reply = api(world.alice).get(f"RelatedPerson/{miguel.pk}")
    assert reply.status == 200
    body = reply.body
    assert body["name"] == [{"text": "Miguel Reyes"}]
    assert body["patient"]["reference"] == f"Patient/{world.paula.pk}"
    assert codes(body) == {(ROLE_CODE, "SPS"), (CONTACT_ROLE, "C")}
    assert body["telecom"] == [{"system": "phone", "value": "555-0101"}]
    assert {"url": CAREGIVER, "valueBoolean": True} in body["extension"]
    assert reply.headers["ETag"] == 'W/"1"'
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="RelatedPerson", object_id=str(miguel.pk)
    ).exists()


def test_other_relationships_are_coded_as_v2_other(world, api):
    other = do_add_contact(
        world.alice, world.paula, name="Father Tom", relationship=ContactRelationship.OTHER
    )
    body = api(world.alice).get(f"RelatedPerson/{other.pk}").body
    assert codes(body) == {(CONTACT_ROLE, "O")}
    assert body["relationship"][0]["text"] == "Other"
    assert {"url": CAREGIVER, "valueBoolean": False} in body["extension"]


def test_search_by_patient_relationship_and_name(world, api, miguel, rosa):
    alice = api(world.alice)
    paula = world.paula.pk
    assert {r["id"] for r in alice.search(f"RelatedPerson?patient={paula}")} == {str(miguel.pk), str(rosa.pk)}
    assert [r["id"] for r in alice.search(f"RelatedPerson?relationship={ROLE_CODE}|SPS")] == [str(miguel.pk)]
    assert [r["id"] for r in alice.search("RelatedPerson?relationship=NBOR")] == [str(rosa.pk)]
    assert [r["id"] for r in alice.search(f"RelatedPerson?relationship={CONTACT_ROLE}|C")] == [str(miguel.pk)]
    assert not alice.search(f"RelatedPerson?relationship={CONTACT_ROLE}|SPS")
    assert len(alice.search("RelatedPerson?relationship=SPS,NBOR")) == 2
    assert [r["id"] for r in alice.search("RelatedPerson?name=migu")] == [str(miguel.pk)]
    assert not alice.search("RelatedPerson?name:exact=Miguel")
    assert [r["id"] for r in alice.search(f"RelatedPerson?_id={rosa.pk}")] == [str(rosa.pk)]
    assert len(alice.search("RelatedPerson?_lastUpdated=ge2000-01-01")) == 2
    assert not alice.search("RelatedPerson?_lastUpdated=lt2000-01-01")
    assert [r["id"] for r in alice.search("RelatedPerson?_sort=name")] == [str(miguel.pk), str(rosa.pk)]


def test_a_page_costs_the_same_queries_however_many_contacts(world, api, miguel):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search("RelatedPerson")) == n

    one = query_count(lambda: page_has(1))
    for name in ("Ana", "Luis", "Eva"):
        do_add_contact(world.alice, world.paula, name=name, relationship=ContactRelationship.SIBLING)
    assert query_count(lambda: page_has(4)) == one


def test_a_stranger_sees_nothing(world, api, miguel):
    bob = api(world.bob)
    assert bob.get(f"RelatedPerson/{miguel.pk}").status == 404
    assert not bob.search("RelatedPerson")
    assert not bob.search(f"RelatedPerson?patient={world.paula.pk}")
    assert not api(world.charlie).search("RelatedPerson?name=Miguel")


def test_create_adds_a_contact(world, api):
    body = new_contact(
        world,
        relationship=[
            {"coding": [{"system": ROLE_CODE, "code": "CHILD"}]},
            {"coding": [{"system": CONTACT_ROLE, "code": "C"}]},
        ],
        extension=[{"url": CAREGIVER, "valueBoolean": True}],
    )
    reply = api(world.alice).post("RelatedPerson", body)
    assert reply.status == 201, reply.body
    contact = PatientContact.objects.get(pk=reply.body["id"])
    assert (contact.patient_id, contact.name, contact.relationship, contact.phone) == (
        world.paula.pk,
        "Lucia Reyes",
        "child",
        "555-0102",
    )
    assert contact.is_caregiver and contact.is_emergency_contact
    assert AuditEvent.objects.filter(
        user=world.alice, action="create", object_type="PatientContact", object_id=str(contact.pk)
    ).exists()


def test_create_for_a_patient_the_caller_cannot_see_is_refused(world, api):
    before = PatientContact.objects.count()
    assert api(world.bob).post("RelatedPerson", new_contact(world)).status == 403
    assert PatientContact.objects.count() == before


def test_update_with_if_match_and_a_stale_version(world, api, miguel):
    alice = api(world.alice)
    current = alice.get(f"RelatedPerson/{miguel.pk}").body
    current["relationship"] = [current["relationship"][0]]  # no longer the emergency contact
    current["telecom"] = [{"system": "phone", "value": "555-0199"}]
    updated = alice.put(f"RelatedPerson/{miguel.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert updated.status == 200, updated.body
    assert updated.body["meta"]["versionId"] == "2"
    miguel.refresh_from_db()
    assert (miguel.phone, miguel.is_emergency_contact, miguel.relationship) == ("555-0199", False, "spouse")
    assert AuditEvent.objects.filter(
        user=world.alice, action="update", object_type="PatientContact", object_id=str(miguel.pk)
    ).exists()
    current["telecom"] = [{"system": "phone", "value": "555-0000"}]
    stale = alice.put(f"RelatedPerson/{miguel.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert stale.status == 412
    miguel.refresh_from_db()
    assert miguel.phone == "555-0199"


def test_the_care_team_may_not_update_and_a_stranger_finds_nothing(world, api, miguel):
    current = api(world.alice).get(f"RelatedPerson/{miguel.pk}").body
    current["telecom"] = [{"system": "phone", "value": "555-0000"}]
    assert api(world.dana).put(f"RelatedPerson/{miguel.pk}", current).status == 422
    assert api(world.bob).put(f"RelatedPerson/{miguel.pk}", current).status == 404
    miguel.refresh_from_db()
    assert (miguel.phone, miguel.version) == ("555-0101", 1)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"name": [{"use": "official"}]}, "RelatedPerson.name"),
        ({"relationship": [{"text": "cousin"}]}, "RelatedPerson.relationship"),
        (
            {"relationship": [{"coding": [{"system": ROLE_CODE, "code": "COUSN"}]}]},
            "RelatedPerson.relationship",
        ),
        ({"patient": {"reference": "Practitioner/1"}}, "RelatedPerson.patient"),
    ],
)
def test_bad_input_gets_422_naming_the_element_and_changes_nothing(world, api, miguel, change, path):
    assert_bad_change_refused(
        api(world.alice), "RelatedPerson", miguel, new_contact(world, **change), change, path
    )
    miguel.refresh_from_db()
    assert miguel.version == 1


def test_update_cannot_move_a_contact_to_another_patient(world, api, miguel):
    alice = api(world.alice)
    other = alice.post(
        "Patient",
        {
            "resourceType": "Patient",
            "name": [{"family": "Okafor", "given": ["Grace"]}],
            "gender": "female",
            "birthDate": "1948-03-09",
        },
    ).body
    current = alice.get(f"RelatedPerson/{miguel.pk}").body
    current["patient"] = {"reference": f"Patient/{other['id']}"}
    reply = alice.put(f"RelatedPerson/{miguel.pk}", current)
    assert reply.status == 422
    assert "RelatedPerson.patient" in reply.issue_paths()
