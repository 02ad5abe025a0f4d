"""Coverage through the FHIR API: a patient's insurance, active until its period ends."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.core import clock
from careconductor.patients.actions import do_add_coverage
from careconductor.patients.choices import CoverageKind
from careconductor.patients.models import Coverage
from careconductor.privacy.models import AuditEvent

from .conftest import assert_bad_change_refused, query_count

pytestmark = pytest.mark.django_db

KIND = "urn:careconductor:coverage-kind"
CLASS = "http://terminology.hl7.org/CodeSystem/coverage-class"


@pytest.fixture
def medicare(world):
    return do_add_coverage(
        world.alice,
        world.paula,
        kind=CoverageKind.MEDICARE_ADVANTAGE,
        payer="Humana",
        plan_name="Gold Plus HMO",
        member_id="H12345678",
        start_date=dt.date(2021, 1, 1),
    )


@pytest.fixture
def old_medicaid(world):
    return do_add_coverage(
        world.alice,
        world.paula,
        kind=CoverageKind.MEDICAID,
        payer="Oregon Health Plan",
        start_date=dt.date(2015, 1, 1),
        end_date=dt.date(2020, 12, 31),
    )


def new_coverage(world, **extra):
    return {
        "resourceType": "Coverage",
        "status": "active",
        "type": {"coding": [{"system": KIND, "code": "commercial"}]},
        "subscriberId": "XJ-99",
        "beneficiary": {"reference": f"Patient/{world.paula.pk}"},
        "period": {"start": "2024-01-01"},
        "payor": [{"display": "Blue Cross"}],
        "class": [
            {"type": {"coding": [{"system": CLASS, "code": "plan"}]}, "value": "PPO 500", "name": "PPO 500"}
        ],
        **extra,
    }


def test_read_shows_the_payer_plan_and_member_id(world, api, medicare):
    reply = api(world.alice).get(f"Coverage/{medicare.pk}")
    assert reply.status == 200
    body = reply.body
    assert body["status"] == "active"
    assert body["type"]["coding"][0] == {
        "system": KIND,
        "code": "medicare_advantage",
        "display": "Medicare Advantage",
    }
    assert body["subscriberId"] == "H12345678"
    assert body["beneficiary"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["payor"] == [{"display": "Humana"}]
    assert body["class"][0]["name"] == "Gold Plus HMO"
    assert body["class"][0]["type"]["coding"][0]["code"] == "plan"
    assert body["period"] == {"start": "2021-01-01"}
    assert reply.headers["ETag"] == 'W/"1"'
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Coverage", object_id=str(medicare.pk)
    ).exists()


def test_coverage_whose_period_has_ended_is_cancelled(world, api, old_medicaid):
    body = api(world.alice).get(f"Coverage/{old_medicaid.pk}").body
    assert body["status"] == "cancelled"
    assert body["period"] == {"start": "2015-01-01", "end": "2020-12-31"}
    assert "class" not in body


def test_search_by_patient_status_and_type(world, api, medicare, old_medicaid):
    alice = api(world.alice)
    paula = world.paula.pk
    assert len(alice.search(f"Coverage?patient={paula}")) == 2
    assert len(alice.search(f"Coverage?beneficiary=Patient/{paula}")) == 2
    assert [r["id"] for r in alice.search("Coverage?status=active")] == [str(medicare.pk)]
    assert [r["id"] for r in alice.search("Coverage?status=cancelled")] == [str(old_medicaid.pk)]
    assert [r["id"] for r in alice.search(f"Coverage?type={KIND}|medicaid")] == [str(old_medicaid.pk)]
    assert not alice.search("Coverage?type=http://terminology.hl7.org/CodeSystem/v3-ActCode|medicaid")
    assert len(alice.search("Coverage?type=medicaid,medicare_advantage")) == 2
    assert [r["id"] for r in alice.search(f"Coverage?_id={medicare.pk}")] == [str(medicare.pk)]
    assert len(alice.search("Coverage?_lastUpdated=ge2000-01")) == 2


def test_status_follows_the_clock(world, api):
    ends = clock.today() - dt.timedelta(days=1)
    ended = do_add_coverage(
        world.alice,
        world.paula,
        kind=CoverageKind.COMMERCIAL,
        payer="Aetna",
        start_date=dt.date(2020, 1, 1),
        end_date=ends,
    )
    ends_today = do_add_coverage(
        world.alice,
        world.paula,
        kind=CoverageKind.COMMERCIAL,
        payer="Cigna",
        start_date=dt.date(2020, 1, 1),
        end_date=clock.today(),
    )
    alice = api(world.alice)
    assert alice.get(f"Coverage/{ended.pk}").body["status"] == "cancelled"
    assert alice.get(f"Coverage/{ends_today.pk}").body["status"] == "active"


def test_a_page_costs_the_same_queries_however_many_coverages(world, api, medicare):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search("Coverage")) == n

    one = query_count(lambda: page_has(1))
    for payer in ("A", "B", "C"):
        do_add_coverage(
            world.alice,
            world.paula,
            kind=CoverageKind.COMMERCIAL,
            payer=payer,
            start_date=dt.date(2022, 1, 1),
        )
    assert query_count(lambda: page_has(4)) == one


def test_a_stranger_sees_nothing(world, api, medicare):
    bob = api(world.bob)
    assert bob.get(f"Coverage/{medicare.pk}").status == 404
    assert not bob.search("Coverage")
    assert not bob.search(f"Coverage?patient={world.paula.pk}")
    assert not api(world.charlie).search("Coverage")


def test_create_adds_a_coverage(world, api):
    reply = api(world.alice).post("Coverage", new_coverage(world))
    assert reply.status == 201, reply.body
    coverage = Coverage.objects.get(pk=reply.body["id"])
    assert (coverage.patient_id, coverage.kind, coverage.payer, coverage.plan_name, coverage.member_id) == (
        world.paula.pk,
        "commercial",
        "Blue Cross",
        "PPO 500",
        "XJ-99",
    )
    assert (coverage.start_date, coverage.end_date) == (dt.date(2024, 1, 1), None)
    assert AuditEvent.objects.filter(
        user=world.alice, action="create", object_type="Coverage", object_id=str(coverage.pk)
    ).exists()


def test_create_for_a_patient_the_caller_cannot_see_is_refused(world, api):
    before = Coverage.objects.count()
    assert api(world.bob).post("Coverage", new_coverage(world)).status == 403
    assert api(world.charlie).post("Coverage", new_coverage(world)).status == 403
    assert Coverage.objects.count() == before


def test_update_with_if_match_and_a_stale_version(world, api, medicare):
    alice = api(world.alice)
    current = alice.get(f"Coverage/{medicare.pk}").body
    current["subscriberId"] = "H99999999"
    current["period"]["end"] = "2099-12-31"
    updated = alice.put(f"Coverage/{medicare.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert updated.status == 200, updated.body
    assert updated.body["meta"]["versionId"] == "2"
    medicare.refresh_from_db()
    assert (medicare.member_id, medicare.end_date) == ("H99999999", dt.date(2099, 12, 31))
    assert AuditEvent.objects.filter(
        user=world.alice, action="update", object_type="Coverage", object_id=str(medicare.pk)
    ).exists()
    current["subscriberId"] = "H00000000"
    stale = alice.put(f"Coverage/{medicare.pk}", current, HTTP_IF_MATCH='W/"1"')
    assert stale.status == 412
    medicare.refresh_from_db()
    assert medicare.member_id == "H99999999"


def test_ending_a_coverage_through_an_update(world, api, medicare):
    alice = api(world.alice)
    current = alice.get(f"Coverage/{medicare.pk}").body
    current["period"]["end"] = "2023-06-30"
    current["status"] = "cancelled"
    assert alice.put(f"Coverage/{medicare.pk}", current).status == 200
    assert alice.get(f"Coverage/{medicare.pk}").body["status"] == "cancelled"


def test_the_care_team_may_not_update_and_a_stranger_finds_nothing(world, api, medicare):
    current = api(world.alice).get(f"Coverage/{medicare.pk}").body
    current["subscriberId"] = "X"
    assert api(world.dana).put(f"Coverage/{medicare.pk}", current).status == 422
    assert api(world.bob).put(f"Coverage/{medicare.pk}", current).status == 404
    medicare.refresh_from_db()
    assert (medicare.member_id, medicare.version) == ("H12345678", 1)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"type": {"coding": [{"system": KIND, "code": "lottery"}]}}, "Coverage.type"),
        ({"type": {"text": "Medicare"}}, "Coverage.type"),
        ({"payor": [{"reference": "Organization/1"}]}, "Coverage.payor"),
        ({"period": {"end": "2025-01-01"}}, "Coverage.period.start"),
        ({"period": {"start": "2024-01-01", "end": "2023-01-01"}}, "Coverage.period"),
        ({"period": {"start": "2024-01"}}, "Coverage.period.start"),
        ({"status": "cancelled"}, "Coverage.status"),
        ({"status": "active", "period": {"start": "2019-01-01", "end": "2019-12-31"}}, "Coverage.status"),
        ({"beneficiary": {"reference": "RelatedPerson/1"}}, "Coverage.beneficiary"),
    ],
)
def test_bad_input_gets_422_naming_the_element_and_changes_nothing(world, api, medicare, change, path):
    assert_bad_change_refused(
        api(world.alice), "Coverage", medicare, new_coverage(world, **change), change, path
    )
    medicare.refresh_from_db()
    assert (medicare.payer, medicare.version) == ("Humana", 1)
