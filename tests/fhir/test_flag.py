"""Flag through the FHIR API: alerts on the chart raised by the safety rules, active until acknowledged."""

from __future__ import annotations

import pytest

from careconductor.coordination.actions import do_acknowledge_flag, do_raise_flag
from careconductor.coordination.choices import FlagCategory
from careconductor.coordination.models import Flag
from careconductor.core import clock
from careconductor.privacy.models import AuditEvent
from tests.assessments.helpers import phq9_answers, record

from .conftest import query_count

pytestmark = pytest.mark.django_db

CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"


@pytest.fixture
def assessment(world):
    return record(world.alice, world.paula, "phq-9", phq9_answers(8, item9=1))


@pytest.fixture
def flag(world, assessment):
    return Flag.objects.get(patient=world.paula)


def test_the_item9_rule_raises_a_flag_served_with_its_author_and_start(world, api, flag):
    reply = api(world.alice).get(f"Flag/{flag.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["status"] == "active"
    assert body["category"] == [{"coding": [{"system": CATEGORY, "code": "safety", "display": "Safety"}]}]
    assert body["code"] == {"text": flag.text}
    assert "self-harm" in flag.text
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["author"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["period"] == {"start": flag.raised_at.isoformat()}
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Flag", object_id=str(flag.pk)
    ).exists()


def test_an_acknowledged_flag_is_inactive_with_an_end(world, api, flag):
    do_acknowledge_flag(world.alice, flag, note="Called Paula; safety plan reviewed.")
    flag.refresh_from_db()
    body = api(world.alice).get(f"Flag/{flag.pk}").body
    assert body["status"] == "inactive"
    assert body["period"]["end"] == flag.acknowledged_at.isoformat()
    assert body["meta"]["versionId"] == "2"


def test_search_by_each_parameter(world, api, flag):
    clinical = do_raise_flag(world.alice, world.paula, text="Falls risk", category=FlagCategory.CLINICAL)
    do_acknowledge_flag(world.alice, clinical, note="Walker delivered.")
    alice = api(world.alice)
    paula = world.paula.pk
    both = sorted([str(flag.pk), str(clinical.pk)])

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Flag?{query}"))

    assert ids(f"patient={paula}") == both
    assert ids(f"subject=Patient/{paula}") == both
    assert ids("status=active") == [str(flag.pk)]
    assert ids("status=http://hl7.org/fhir/flag-status|inactive") == [str(clinical.pk)]
    assert ids("status=unknown") == []
    today = clock.today().isoformat()
    assert ids(f"date={today}") == both
    assert ids(f"date=lt{today}") == []
    assert ids(f"author=Practitioner/{world.alice.pk}") == both
    assert ids(f"author={world.bob.pk}") == []
    assert ids(f"_id={flag.pk}") == [str(flag.pk)]


def test_an_unknown_parameter_is_refused(world, api):
    reply = api(world.alice).get("Flag?encounter=Encounter/1")
    assert reply.status == 400
    assert reply.issue_paths() == ["encounter"]


def test_a_stranger_sees_nothing(world, api, flag):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"Flag/{flag.pk}").status == 404
        assert not stranger.search("Flag")
        assert not stranger.search(f"Flag?patient={world.paula.pk}")
    assert api(world.dana).get(f"Flag/{flag.pk}").status == 200


def test_flags_are_read_only(world, api, flag):
    alice = api(world.alice)
    body = alice.get(f"Flag/{flag.pk}").body
    assert alice.post("Flag", body).status == 405
    assert alice.put(f"Flag/{flag.pk}", body).status == 405


def test_a_page_costs_the_same_queries_however_many_flags(world, api, flag):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Flag?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    do_raise_flag(world.alice, world.paula, text="Falls risk", category=FlagCategory.CLINICAL)
    do_raise_flag(world.sam, world.paula, text="Aggressive dog at home", category=FlagCategory.BEHAVIORAL)
    assert query_count(lambda: page_has(3)) == one
