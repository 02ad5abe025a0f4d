"""Organization through the FHIR API: the caller's organisation and its teams, and nothing of another's."""

from __future__ import annotations

import pytest

from careconductor.accounts.models import Team

pytestmark = pytest.mark.django_db


def test_read_the_organisation_and_a_team(world, api):
    bob = api(world.bob)
    org = bob.get(f"Organization/{world.riverside.pk}")
    assert org.status == 200
    assert org.body["name"] == "Riverside Health"
    team = bob.get(f"Organization/team-{world.north.pk}")
    assert team.status == 200, team.body
    assert team.body["id"] == f"team-{world.north.pk}"
    assert team.body["name"] == "North"
    assert team.body["partOf"] == {
        "reference": f"Organization/{world.riverside.pk}",
        "display": "Riverside Health",
    }
    assert team.body["type"][0]["coding"][0]["code"] == "team"
    assert team.headers["ETag"] == f'W/"{world.north.version}"'
    assert bob.get(f"Organization/team-{world.north.pk}/_history").body["total"] == 1


def test_charlie_never_sees_riverside_or_its_teams(world, api):
    charlie = api(world.charlie)
    assert charlie.get(f"Organization/{world.riverside.pk}").status == 404
    assert charlie.get(f"Organization/team-{world.north.pk}").status == 404
    assert charlie.get(f"Organization/team-{world.north.pk}/_history").status == 404
    assert [r["name"] for r in charlie.search("Organization")] == ["Lakeside Clinic"]
    assert charlie.search("Organization?name=River") == []
    lake = Team.objects.get(organization=world.lakeside)
    assert api(world.bob).get(f"Organization/team-{lake.pk}").status == 404


def test_search_by_name_and_id(world, api):
    bob = api(world.bob)
    me = [str(world.riverside.pk)]
    assert [r["id"] for r in bob.search("Organization?name=river")] == me
    assert [r["id"] for r in bob.search("Organization?name:exact=Riverside Health")] == me
    assert bob.search("Organization?name=lake") == []
    assert [r["id"] for r in bob.search(f"Organization?_id={world.riverside.pk}")] == me
    assert bob.search(f"Organization?_id={world.lakeside.pk}") == []
    assert [r["id"] for r in bob.search("Organization?_lastUpdated=ge2000-01-01")] == me


def test_ids_that_are_not_ours_are_not_found(world, api):
    bob = api(world.bob)
    for bad in ("team-", "team-x", "team-99999", "99999", "teamx1"):
        assert bob.get(f"Organization/{bad}").status == 404, bad


def test_organisation_is_read_only(world, api):
    reply = api(world.adam).put(
        f"Organization/{world.riverside.pk}",
        {"resourceType": "Organization", "id": str(world.riverside.pk), "name": "Renamed"},
    )
    assert reply.status == 405
