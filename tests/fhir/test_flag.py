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


NEW_FLAG = {
    "resourceType": "Flag",
    "status": "active",
    "category": [
        {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "behavioral"}]}
    ],
    "code": {"text": "Threatened staff at the last home visit: visit in pairs"},
}
ACK = "https://careconductor.org/fhir/StructureDefinition/flag-acknowledgement"


def test_a_partner_raises_a_flag_and_acknowledges_it_as_on_the_chart(world, api):
    alice = api(world.alice)
    made = alice.post("Flag", {**NEW_FLAG, "subject": {"reference": f"Patient/{world.paula.pk}"}})
    assert made.status == 201, made.body
    flag = Flag.objects.get(pk=made.body["id"])
    assert (flag.category, flag.raised_by, flag.status) == ("behavioral", world.alice, "active")
    assert made.body["author"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert AuditEvent.objects.filter(object_type="Flag", object_id=str(flag.pk), action="create").exists()

    body = made.body
    unchanged = alice.put(f"Flag/{flag.pk}", {**body, "status": "inactive"})  # no note of what was done
    assert unchanged.status == 422 and unchanged.issue_paths() == ["Flag.extension"]
    reworded = alice.put(f"Flag/{flag.pk}", {**body, "code": {"text": "Something else"}})
    assert reworded.status == 422 and reworded.issue_paths() == ["Flag.code"]
    done = {
        **body,
        "status": "inactive",
        "extension": [{"url": ACK, "valueString": "Visits in pairs booked"}],
    }
    acknowledged = alice.put(f"Flag/{flag.pk}", done)
    assert acknowledged.status == 200, acknowledged.body
    assert acknowledged.body["status"] == "inactive" and acknowledged.body["period"]["end"]
    assert {"url": ACK, "valueString": "Visits in pairs booked"} in acknowledged.body["extension"]
    flag.refresh_from_db()
    assert (flag.acknowledged_by, flag.acknowledgement) == (world.alice, "Visits in pairs booked")
    again = alice.put(f"Flag/{flag.pk}", {**acknowledged.body, "status": "active"})
    assert again.status == 422 and again.issue_paths() == ["Flag.status"]


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"status": "inactive"}, "Flag.status"),
        ({"code": {}}, "Flag.code"),
        ({"code": {"text": "x" * 201}}, "Flag.code.text"),
        ({"category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/flag-category", "code": "admin"}]}]}, "Flag.category"),
        ({"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/flag-detail", "valueReference": {"reference": "http://evil.example/x"}}]}, "Flag.extension"),
    ],
)  # fmt: skip
def test_a_bad_flag_is_refused_and_nothing_is_raised(world, api, change, path):
    before = Flag.objects.count()
    answer = api(world.alice).post(
        "Flag", {**NEW_FLAG, "subject": {"reference": f"Patient/{world.paula.pk}"}, **change}
    )
    assert answer.status == 422 and answer.issue_paths() == [path]
    assert Flag.objects.count() == before


def test_only_those_who_may_change_the_chart_raise_flags(world, api):
    for user in (world.bob, world.charlie):  # no relationship; another organisation
        answer = api(user).post("Flag", {**NEW_FLAG, "subject": {"reference": f"Patient/{world.paula.pk}"}})
        assert answer.status in (403, 404, 422)
    assert not Flag.objects.filter(text=NEW_FLAG["code"]["text"]).exists()


def test_a_page_costs_the_same_queries_however_many_flags(world, api, flag):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Flag?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    do_raise_flag(world.alice, world.paula, text="Falls risk", category=FlagCategory.CLINICAL)
    do_raise_flag(world.sam, world.paula, text="Aggressive dog at home", category=FlagCategory.BEHAVIORAL)
    assert query_count(lambda: page_has(3)) == one
