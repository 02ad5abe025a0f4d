"""Questionnaire through the FHIR API: the loaded instruments, by slug, served as they were loaded. They are not
patient data: every valid token with a read scope reads them."""

from __future__ import annotations

import pytest

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.assessments.models import Questionnaire
from tests.personas import PASSWORD

from .conftest import query_count

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
PHQ9_URL = "https://careconductor.org/fhir/Questionnaire/phq-9"


def test_read_serves_the_loaded_instrument_under_its_slug(world, api):
    row = Questionnaire.objects.get(slug="phq-9")
    reply = api(world.alice).get("Questionnaire/phq-9")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["id"] == "phq-9"
    assert (body["url"], body["version"]) == (PHQ9_URL, row.business_version)
    assert body["code"][0]["code"] == "44249-1"
    assert body["meta"]["versionId"] == str(row.version)
    # Everything but id and meta is the stored resource, unchanged.
    assert {k: v for k, v in body.items() if k not in ("id", "meta")} == {
        k: v for k, v in row.resource.items() if k not in ("id", "meta")
    }
    assert api(world.alice).get(f"Questionnaire/{row.pk}").status == 404
    assert api(world.alice).get("Questionnaire/no-such-thing").status == 404


def test_history_and_vread_of_the_current_version(world, api):
    alice = api(world.alice)
    history = alice.get("Questionnaire/phq-9/_history")
    assert history.status == 200
    assert history.body["entry"][0]["resource"]["id"] == "phq-9"
    version = history.body["entry"][0]["resource"]["meta"]["versionId"]
    assert alice.get(f"Questionnaire/phq-9/_history/{version}").status == 200


def test_search_by_each_parameter(world, api):
    alice = api(world.alice)
    every = Questionnaire.objects.count()
    assert len(alice.search("Questionnaire?_count=200")) == every > 5

    def ids(query: str) -> list[str]:
        return [r["id"] for r in alice.search(f"Questionnaire?{query}")]

    assert ids(f"code={LOINC}|44249-1") == ["phq-9"]
    assert ids("code=44249-1") == ["phq-9"]
    assert ids("code=|44249-1") == ["phq-9"]
    assert ids("code=http://snomed.info/sct|44249-1") == []
    assert "phq-9" not in ids("code:not=44249-1")
    assert ids(f"url={PHQ9_URL}") == ["phq-9"]
    assert ids("url=https://careconductor.org/fhir/Questionnaire/phq") == []
    assert ids(f"url={PHQ9_URL}&version=1.0.0") == ["phq-9"]
    assert ids(f"url={PHQ9_URL}&version=9.9.9") == []
    assert ids("name=PHQ9") == ["phq-9"]
    assert ids("name:exact=PHQ9") == ["phq-9"]
    assert "phq-9" in ids("title=patient health")
    assert len(ids("status=active&_count=200")) == every
    assert ids("status=draft") == []
    assert ids("_id=phq-9") == ["phq-9"]
    assert sorted(ids("_id=phq-9,gad-7")) == ["gad-7", "phq-9"]
    assert ids("_lastUpdated=gt2000-01-01&_id=phq-9") == ["phq-9"]
    assert ids("_sort=_id&_count=2") == sorted(Questionnaire.objects.values_list("slug", flat=True))[:2]


def test_an_unknown_parameter_is_refused(world, api):
    reply = api(world.alice).get("Questionnaire?subject-type=Patient")
    assert reply.status == 400
    assert reply.issue_paths() == ["subject-type"]


def test_everyone_with_a_token_reads_instruments(world, api):
    for user in (world.bob, world.charlie, world.dana, world.uma, world.pia):
        reader = api(user, scopes=("user/*.read",))
        assert reader.get("Questionnaire/phq-9").status == 200, user.username
        assert [r["id"] for r in reader.search("Questionnaire?code=44249-1")] == ["phq-9"]
    portal = do_create_user("paula.reyes", Role.PATIENT, world.riverside, PASSWORD)
    world.paula.portal_user = portal
    world.paula.save()
    assert api(portal, scopes=("patient/*.read",)).get("Questionnaire/phq-9").status == 200
    # Scopes still narrow.
    assert api(world.alice, scopes=("user/Patient.read",)).get("Questionnaire/phq-9").status == 403


def test_instruments_are_read_only(world, api):
    alice = api(world.alice)
    body = alice.get("Questionnaire/phq-9").body
    assert alice.post("Questionnaire", body).status == 405
    assert alice.put("Questionnaire/phq-9", body).status == 405


def test_a_page_costs_the_same_queries_however_many_instruments(world, api):
    alice = api(world.alice)
    one = query_count(lambda: alice.search("Questionnaire?_count=1"))
    assert query_count(lambda: alice.search("Questionnaire?_count=10")) == one
