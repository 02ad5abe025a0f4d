"""Search behaviour shared by every type: prefixes, _sort, _count, _summary, paging stable while data changes,
POST _search, strict and lenient handling of unknown parameters, and no 500 for any query a client sends."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from careconductor.fhir.registry import all_mappers
from careconductor.patients.choices import Sex

from .conftest import BASE, register_patient, validate_fhir

pytestmark = pytest.mark.django_db


def _register(world, family: str, born: dt.date) -> None:
    register_patient(world.alice, family, born=born, sex=Sex.FEMALE)


@pytest.fixture
def caseload(world):
    for i in range(7):
        _register(world, f"Zimmer{i}", dt.date(1950 + i, 1, 15))
    return world


def _next(reply) -> str | None:
    link = next((link["url"] for link in reply.body.get("link", []) if link["relation"] == "next"), None)
    if link is None:
        return None
    parts = urlsplit(link)
    return parts.path.removeprefix(BASE) + "?" + parts.query


def test_pages_cover_every_match_once_and_ignore_rows_created_meanwhile(caseload, api):
    alice = api(caseload.alice)
    reply = alice.get("Patient?family=zimmer&_count=3&_sort=family")
    assert reply.body["total"] == 7
    seen = [e["resource"]["name"][0]["family"] for e in reply.body["entry"]]
    _register(caseload, "Zimmer-late", dt.date(1970, 1, 1))  # created after the search began
    while (path := _next(reply)) is not None:
        reply = alice.get(path)
        assert reply.status == 200
        assert reply.body["total"] == 7
        seen += [e["resource"]["name"][0]["family"] for e in reply.body["entry"]]
    assert seen == [f"Zimmer{i}" for i in range(7)]
    previous = next(link["url"] for link in reply.body["link"] if link["relation"] == "previous")
    assert "_page=" in previous
    # A fresh search sees the new patient.
    assert alice.get("Patient?family=zimmer&_summary=count").body["total"] == 8


def test_sort_descending_and_by_birthdate(caseload, api):
    alice = api(caseload.alice)
    families = [r["name"][0]["family"] for r in alice.search("Patient?family=zimmer&_sort=-birthdate")]
    assert families == [f"Zimmer{i}" for i in reversed(range(7))]
    assert alice.get("Patient?_sort=shoe-size").status == 400


def test_date_prefixes(caseload, api):
    alice = api(caseload.alice)

    def count(query: str) -> int:
        return alice.get(f"Patient?family=zimmer&{query}&_summary=count").body["total"]

    assert count("birthdate=1952-01-15") == 1
    assert count("birthdate=1952") == 1
    assert count("birthdate=ge1952-01-15") == 5
    assert count("birthdate=gt1952-01-15") == 4
    assert count("birthdate=lt1952") == 2
    assert count("birthdate=le1952-01") == 3
    assert count("birthdate=ne1952-01-15") == 6
    assert count("birthdate=ge1951&birthdate=lt1953") == 2  # repeated parameters: AND
    assert count("_lastUpdated=ge2000-01-01") == 7
    assert count("_lastUpdated=lt2000-01-01") == 0


def test_comma_means_or_and_id_search(caseload, api):
    alice = api(caseload.alice)
    assert len(alice.search("Patient?family=zimmer1,zimmer2")) == 2
    assert [r["id"] for r in alice.search(f"Patient?_id={caseload.paula.pk}")] == [str(caseload.paula.pk)]


def test_count_zero_and_summary_count(caseload, api):
    reply = api(caseload.alice).get("Patient?family=zimmer&_count=0")
    assert reply.body["total"] == 7
    assert "entry" not in reply.body


def test_unknown_parameter_strict_then_lenient(world, api):
    alice = api(world.alice)
    strict = alice.get("Patient?shoe-size=42")
    assert strict.status == 400
    assert "shoe-size" in strict.body["issue"][0]["diagnostics"]
    lenient = alice.get("Patient?shoe-size=42", HTTP_PREFER="handling=lenient")
    assert lenient.status == 200
    outcomes = [e for e in lenient.body["entry"] if e["search"]["mode"] == "outcome"]
    assert "shoe-size" in outcomes[0]["resource"]["issue"][0]["diagnostics"]


def test_post_search_takes_form_parameters(world, api, client):
    alice = api(world.alice)
    response = client.post(
        BASE + "Patient/_search",
        f"family={world.paula.family_name}",
        content_type="application/x-www-form-urlencoded",
        **alice.auth,
    )
    body = json.loads(response.content)
    validate_fhir(body)
    assert response.status_code == 200
    assert [e["resource"]["id"] for e in body["entry"]] == [str(world.paula.pk)]


def test_include_never_opens_a_record(world, api):
    """Bob may search Patients but sees none of Paula's: _revinclude cannot bring her episode in either."""
    bob = api(world.bob)
    reply = bob.get(f"Patient?_id={world.paula.pk}&_revinclude=EpisodeOfCare:patient")
    assert reply.body["total"] == 0
    assert "entry" not in reply.body


def test_scopes_narrow_the_search(world, api):
    reader = api(world.alice, scopes=("user/Patient.read",))
    assert reader.get("Patient").status == 200
    assert reader.post("Patient", {"resourceType": "Patient"}).status == 403


# The parameters every type takes (search.py), beside its own.
COMMON_PARAMS = ["_id", "_lastUpdated", "_count", "_sort", "_include", "_revinclude", "_summary", "_page"]
query_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kind=st.sampled_from([m.resource_type for m in all_mappers()]),
    pairs=st.lists(
        st.tuples(
            st.one_of(
                st.sampled_from(
                    sorted({name for m in all_mappers() for name in m.params} | set(COMMON_PARAMS))
                ),
                query_text,
            ),
            st.one_of(
                query_text,
                st.sampled_from(["ge2026", "lt1900-01-01", "eq", "Patient/1", "x|y", "-1", "9" * 30]),
            ),
        ),
        max_size=4,
    ),
)
def test_no_query_causes_a_server_error(world, api, kind, pairs):
    alice = api(world.alice)
    response = alice.client.get(BASE + kind, pairs, **alice.auth)
    assert response.status_code < 500, (kind, pairs, response.content[:300])
    validate_fhir(json.loads(response.content))


def test_total_none_skips_the_count_but_still_pages(caseload, api):
    alice = api(caseload.alice)
    reply = alice.get("Patient?family=zimmer&_count=4&_total=none&_sort=family")
    assert "total" not in reply.body
    seen = [e["resource"]["name"][0]["family"] for e in reply.body["entry"]]
    while (path := _next(reply)) is not None:
        reply = alice.get(path)
        seen += [e["resource"]["name"][0]["family"] for e in reply.body["entry"]]
    assert seen == [f"Zimmer{i}" for i in range(7)]
    assert alice.get("Patient?_total=maybe").status == 400
