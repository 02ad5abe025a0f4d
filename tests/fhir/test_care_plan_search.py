"""Searching care plans through the FHIR API: each parameter, _include and _revinclude, who sees what, read-only,
a page's query count, the CapabilityStatement."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.careplans.actions import do_end_plan, do_record_agreement
from careconductor.careplans.choices import AgreedBy, AgreementMethod, PlanStatus
from careconductor.core import clock

from .care_plan_kit import CATEGORY, build_plan, publish
from .conftest import query_count, register_patient

pytestmark = pytest.mark.django_db


def test_search_by_each_parameter(world, api, active):
    alice = api(world.alice)
    plan = str(active.plan.pk)
    paula = world.paula.pk
    # A second, draft plan of another patient of Alice's.
    other = register_patient(world.alice, "Haddad", "Omar")
    second = build_plan(world, other.cases.get(), title="Omar's plan")
    both = sorted([plan, str(second.plan.pk)])

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"CarePlan?{query}"))

    assert ids("") == both
    assert ids(f"patient={paula}") == [plan]
    assert ids(f"subject=Patient/{paula}") == [plan]
    assert ids(f"patient={other.pk}") == [str(second.plan.pk)]
    assert ids("status=active") == [plan]
    assert ids("status=draft") == [str(second.plan.pk)]
    assert ids("status=http://hl7.org/fhir/request-status|active,draft") == both
    assert ids("status:not=active") == [str(second.plan.pk)]
    assert ids("status=on-hold") == []
    assert ids("category=assess-plan") == both
    assert ids(f"category={CATEGORY}|assess-plan") == both
    assert ids("category=http://example.org|assess-plan") == []
    assert ids("category=longitudinal") == []
    today = clock.today()
    # The draft has no period; the plan in force covers today and every day after.
    assert ids(f"date={today.isoformat()}") == [plan]
    assert ids(f"date=ge{today.isoformat()}") == [plan]
    assert ids(f"date=gt{(today + dt.timedelta(days=400)).isoformat()}") == [plan]
    assert ids(f"date=lt{today.isoformat()}") == []
    assert ids(f"date=le{today.isoformat()}") == [plan]
    assert ids(f"date=sa{(today - dt.timedelta(days=1)).isoformat()}") == [plan]
    assert ids(f"date=eb{(today + dt.timedelta(days=1)).isoformat()}") == []
    assert ids(f"date=ne{today.isoformat()}") == []
    assert ids(f"date={today.year - 1}") == []
    assert ids(f"goal=Goal/{active.feel_better.pk}") == [plan]
    assert ids(f"goal={second.eat_well.pk}") == [str(second.plan.pk)]
    assert ids(f"goal:Goal={second.eat_well.pk}") == [str(second.plan.pk)]
    assert ids(f"goal=Condition/{active.feel_better.pk}") == []
    assert ids("goal=999999") == []
    assert ids(f"_id={plan}") == [plan]
    assert ids(f"_lastUpdated=ge{today.isoformat()}") == both
    assert ids(f"_lastUpdated=lt{today.isoformat()}") == []
    assert [r["id"] for r in alice.search("CarePlan?_sort=-status")] == [str(second.plan.pk), plan]
    assert [r["id"] for r in alice.search("CarePlan?_sort=_lastUpdated")]
    assert [r["id"] for r in alice.search("CarePlan?_sort=date")]


def test_end_of_a_plan_narrows_the_date_search(world, api, active):
    do_end_plan(world.alice, active.plan, PlanStatus.REVOKED, reason="Moved away")
    alice = api(world.alice)
    today = clock.today()
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert [r["id"] for r in alice.search(f"CarePlan?date={today.isoformat()}")] == [str(active.plan.pk)]
    assert not alice.search(f"CarePlan?date=ge{tomorrow}")
    assert [r["id"] for r in alice.search(f"CarePlan?date=eb{tomorrow}")] == [str(active.plan.pk)]
    assert [r["id"] for r in alice.search(f"CarePlan?date=ne{tomorrow}")] == [str(active.plan.pk)]
    assert [r["id"] for r in alice.search("CarePlan?status=revoked")] == [str(active.plan.pk)]


def test_include_the_patient_and_revinclude_from_the_patient(world, api, active):
    alice = api(world.alice)
    reply = alice.get(f"CarePlan?_id={active.plan.pk}&_include=CarePlan:patient")
    included = [e["resource"] for e in reply.body["entry"] if e["search"]["mode"] == "include"]
    assert [(r["resourceType"], r["id"]) for r in included] == [("Patient", str(world.paula.pk))]
    reply = alice.get(f"Patient?_id={world.paula.pk}&_revinclude=CarePlan:patient")
    assert ("CarePlan", str(active.plan.pk)) in {
        (e["resource"]["resourceType"], e["resource"]["id"]) for e in reply.body["entry"]
    }


def test_a_stranger_sees_nothing(world, api, active):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"CarePlan/{active.plan.pk}").status == 404
        assert not stranger.search("CarePlan")
        assert not stranger.search(f"CarePlan?patient={world.paula.pk}")
        assert not stranger.search(f"CarePlan?goal=Goal/{active.feel_better.pk}")


def test_the_care_team_reads_the_plan(world, api, active):
    assert api(world.dana).get(f"CarePlan/{active.plan.pk}").status == 200


def test_a_plan_sent_back_as_read_changes_nothing(world, api, active):
    """Writes are in test_care_plan_write.py; a plan in force read and sent back is no new version, and posting
    it again is no second plan."""
    alice = api(world.alice)
    body = alice.get(f"CarePlan/{active.plan.pk}").body
    assert alice.post("CarePlan", body).status == 422
    again = alice.put(f"CarePlan/{active.plan.pk}", body)
    assert again.status == 200 and again.body == body


def test_a_page_of_plans_costs_a_fixed_number_of_queries(
    world, api, no_approval, django_assert_max_num_queries
):
    alice = api(world.alice)
    first = build_plan(world)
    publish(world, first.plan, "First version")

    def page_has(n: int) -> None:
        assert len(alice.search("CarePlan?_count=10")) == n

    one = query_count(lambda: page_has(1))
    # Nine more plans of other patients, in every state: drafts, in force, agreed, ended.
    for n in range(9):
        patient = register_patient(world.alice, f"Patient{n}", "Test")
        more = build_plan(world, patient.cases.get(), title=f"Plan {n}")
        if n % 3:
            publish(world, more.plan, "First version")
        if n % 3 == 2:
            do_record_agreement(
                world.alice,
                more.plan,
                agreed_on=clock.today(),
                method=AgreementMethod.PHONE,
                agreed_by=AgreedBy.PATIENT,
            )
        if n == 4:
            do_end_plan(world.alice, more.plan, PlanStatus.COMPLETED, reason="Done")
    assert query_count(lambda: page_has(10)) == one
    with django_assert_max_num_queries(one):
        page_has(10)


def test_the_capability_statement_lists_care_plans_and_goals(world, api):
    listed = {r["type"]: r for r in api(world.alice).get("metadata").body["rest"][0]["resource"]}
    for kind, names in {
        "CarePlan": {"patient", "subject", "status", "category", "date", "goal", "_id", "_lastUpdated"},
        "Goal": {
            "patient",
            "subject",
            "lifecycle-status",
            "achievement-status",
            "target-date",
            "start-date",
            "_id",
            "_lastUpdated",
        },
    }.items():
        assert {p["name"] for p in listed[kind]["searchParam"]} == names, kind
        # Both are created and updated with the plan screen's rules (test_care_plan_write.py).
        writes = {"create", "update"}
        assert {i["code"] for i in listed[kind]["interaction"]} == {
            "read",
            "vread",
            "search-type",
            "history-instance",
        } | writes
    assert "CarePlan:patient" in listed["CarePlan"]["searchInclude"]
    assert "CarePlan:patient" in listed["Patient"]["searchRevInclude"]
