"""Referrals in the FHIR API (issue 20; the Gravity SDOH pattern, clinical.md §10.1): a referral is a ServiceRequest
and its referral-management Task (Task/referral-<id>, focus → the ServiceRequest); staff read them through the
policy (relationship and sensitivity: a substance-use referral is Part 2); the receiving organisation's system,
with its partner token, reads only what was sent to it and answers by updating the Task's status, which moves the
referral through the same transition table as every other way of answering (a move it refuses is a 422 and
changes nothing). Every read and write is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from careconductor.core import clock
from careconductor.fhir.registry import all_mappers
from careconductor.privacy.models import AuditEvent
from careconductor.referrals.actions import do_create_referral, do_send_referral
from careconductor.referrals.choices import Actor, Origin, ReferralStatus, SharedItem
from careconductor.referrals.models import Referral
from tests.personas import World
from tests.referrals.conftest import build_referring
from tests.shared import ModuleDb

from .conftest import Api

pytestmark = pytest.mark.django_db

HSDS_ORG = "https://careconductor.org/fhir/sid/hsds-organization"
SDOHCC = "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"


def _send_all(world: World) -> dict[str, int]:
    """Paula's referrals: food to the pantry (sent, shares the reason), counselling (sent, another
    organisation), recovery (Part 2, sent with her Part 2 consent) and a draft to the pantry."""
    made = build_referring(world)
    from careconductor.directory.models import Service

    pantry = Service.objects.get(name="Weekly food pantry")
    counselling = Service.objects.get(name="Counselling and psychiatry")
    recovery = Service.objects.get(name="Outpatient recovery program")
    consent = {"method": "verbal", "given_on": clock.today()}

    def sent(service: Service, need: str, **extra: Any) -> int:
        referral = do_create_referral(
            world.alice,
            world.paula,
            need=need,
            reason=f"Reason for {need}",
            service=service,
            origin=Origin.CHART,
            **extra,
        )
        return do_send_referral(world.alice, referral, record_consent=consent)[0].pk

    made["food"] = sent(pantry, "food", shared=[SharedItem.REASON])
    made["counselling"] = sent(counselling, "behavioural-health")
    made["recovery"] = sent(recovery, "substance-use")
    made["draft"] = do_create_referral(
        world.alice, world.paula, need="food", reason="Not sent yet", service=pantry
    ).pk
    return made


@pytest.fixture(scope="module")
def shared_referrals(module_db: ModuleDb, shared_world: World) -> dict[str, int]:
    return module_db.build(_send_all, shared_world)


@pytest.fixture
def ids(shared_referrals: dict[str, int], world: World) -> dict[str, int]:
    return shared_referrals


@pytest.fixture
def partner(ids: dict[str, int], api) -> Api:  # type: ignore[no-untyped-def]
    from careconductor.accounts.models import User

    return api(User.objects.get(pk=ids["partner"]), scopes=("user/Task.*", "user/ServiceRequest.read"))


def _ids(found: list[dict[str, Any]]) -> set[str]:
    return {r["id"] for r in found}


def test_staff_read_a_referral_as_an_sdoh_service_request_and_its_task(world: World, ids, api) -> None:
    alice: Api = api(world.alice)
    food = Referral.objects.select_related("service__provider").get(pk=ids["food"])
    request = alice.get(f"ServiceRequest/{food.pk}")
    assert request.status == 200, request.body
    body = request.body
    assert body["status"] == "active" and body["intent"] == "order" and body["priority"] == "routine"
    assert body["category"][0]["coding"][0] == {
        "system": SDOHCC,
        "code": "food-insecurity",
        "display": "Food Insecurity",
    }
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["requester"]["reference"] == f"Practitioner/{world.alice.pk}"
    assert body["performer"][0]["identifier"] == {
        "system": HSDS_ORG,
        "value": str(food.service.provider.hsds_id),
    }
    assert body["reasonCode"] == [{"text": "Reason for food"}]  # shared with the organisation
    assert body["supportingInfo"] == [{"reference": f"Consent/{food.consent_id}"}]

    task = alice.get(f"Task/referral-{food.pk}").body
    assert task["status"] == "requested" and task["intent"] == "order"
    assert task["focus"] == {"reference": f"ServiceRequest/{food.pk}"}
    assert task["for"]["reference"] == f"Patient/{world.paula.pk}"
    assert task["owner"]["identifier"]["value"] == str(food.service.provider.hsds_id)
    assert task["code"]["coding"][0]["code"] == "fulfill"
    # Not shared: no reason.
    assert "reasonCode" not in alice.get(f"ServiceRequest/{ids['counselling']}").body


def test_staff_search_referrals_and_their_tasks(world: World, ids, api) -> None:
    alice: Api = api(world.alice)
    food = Referral.objects.select_related("service__provider").get(pk=ids["food"])
    paula = world.paula.pk
    everyone = {str(ids[k]) for k in ("food", "counselling", "recovery", "draft")}
    assert _ids(alice.search(f"ServiceRequest?patient={paula}&_count=50")) == everyone
    assert _ids(alice.search(f"ServiceRequest?subject=Patient/{paula}&status=draft")) == {str(ids["draft"])}
    assert _ids(alice.search("ServiceRequest?category=food-insecurity")) == {
        str(ids["food"]),
        str(ids["draft"]),
    }
    assert _ids(alice.search(f"ServiceRequest?category={SDOHCC}|food-insecurity&status=active")) == {
        str(ids["food"])
    }
    assert str(ids["recovery"]) in _ids(alice.search("ServiceRequest?code=substance-use"))
    assert _ids(alice.search(f"ServiceRequest?requester=Practitioner/{world.alice.pk}&_count=50")) == everyone
    hsds = food.service.provider.hsds_id
    assert _ids(alice.search(f"ServiceRequest?performer:identifier={HSDS_ORG}|{hsds}")) == {
        str(ids["food"]),
        str(ids["draft"]),
    }
    # The Tasks: beside the coordination tasks, under their own ids.
    assert _ids(alice.search(f"Task?focus=ServiceRequest/{food.pk}")) == {f"referral-{food.pk}"}
    assert _ids(alice.search(f"Task?owner:identifier={HSDS_ORG}|{hsds}&status=requested")) == {
        f"referral-{food.pk}"
    }
    tasks = alice.search(f"Task?patient={paula}&_count=100")
    assert {f"referral-{ids[k]}" for k in ("food", "counselling", "recovery", "draft")} <= _ids(tasks)
    assert _ids(alice.search(f"Task?_id=referral-{food.pk}")) == {f"referral-{food.pk}"}
    assert _ids(alice.search("Task?code=fulfill&status:not=draft&_count=50")) == {
        f"referral-{ids[k]}" for k in ("food", "counselling", "recovery")
    }
    since = (clock.now() - dt.timedelta(hours=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"referral-{food.pk}" in _ids(alice.search(f"Task?_lastUpdated=gt{since}&_count=100"))
    sorted_ = alice.search(f"Task?patient={paula}&_sort=-authored-on&_count=100")
    assert len(sorted_) == len(tasks)


def test_a_part2_referral_is_hidden_from_those_not_allowed(world: World, ids, api) -> None:
    recovery = ids["recovery"]
    alice: Api = api(world.alice)
    assert alice.get(f"ServiceRequest/{recovery}").status == 200
    security = alice.get(f"Task/referral-{recovery}").body["meta"]["security"]
    assert {"R", "ETH"} <= {s["code"] for s in security}  # substance abuse information, restricted
    # The administrator sees the organisation's patients, not their Part 2 records.
    adam: Api = api(world.adam)
    assert adam.get(f"ServiceRequest/{ids['food']}").status == 200
    for path in (f"ServiceRequest/{recovery}", f"Task/referral-{recovery}"):
        assert adam.get(path).status == 404, path
    assert str(recovery) not in _ids(adam.search(f"ServiceRequest?patient={world.paula.pk}&_count=50"))
    assert f"referral-{recovery}" not in _ids(adam.search(f"Task?patient={world.paula.pk}&_count=100"))


def test_strangers_read_none_of_them(world: World, ids, api) -> None:
    for who in (world.bob, world.charlie):
        stranger: Api = api(who)
        for key in ("food", "recovery", "draft"):
            assert stranger.get(f"ServiceRequest/{ids[key]}").status == 404
            assert stranger.get(f"Task/referral-{ids[key]}").status == 404
        assert not stranger.search("ServiceRequest?_count=50")
        assert not [t for t in stranger.search("Task?code=fulfill&_count=50")]


def test_the_partners_system_reads_only_what_was_sent_to_it(world: World, ids, partner: Api) -> None:
    food, draft = ids["food"], ids["draft"]
    assert partner.get(f"ServiceRequest/{food}").status == 200
    assert partner.get(f"Task/referral-{food}").body["status"] == "requested"
    # Polling: its own referrals, the counselling service's and the draft never.
    assert _ids(partner.search("Task?_count=50")) == {f"referral-{food}"}
    since = (clock.now() - dt.timedelta(days=1)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(partner.search(f"Task?_lastUpdated=gt{since}&status=requested")) == {f"referral-{food}"}
    assert _ids(partner.search("ServiceRequest?_count=50")) == {str(food)}
    for key in ("counselling", "recovery", "draft"):
        assert partner.get(f"ServiceRequest/{ids[key]}").status == 404
        assert partner.get(f"Task/referral-{ids[key]}").status == 404
    assert partner.get(f"ServiceRequest/{draft}").status == 404
    # Never a chart: every other type is refused outright.
    for mapper in all_mappers():
        if mapper.resource_type in ("Task", "ServiceRequest", "Subscription"):
            continue
        assert partner.get(f"{mapper.resource_type}?_count=1").status == 403, mapper.resource_type
    assert partner.get(f"Patient/{world.paula.pk}").status == 403
    assert partner.get(f"Patient/{world.paula.pk}/$everything").status == 403
    # Its reads are audited under its own user.
    assert AuditEvent.objects.filter(user_id=ids["partner"], object_type="Task").exists()


def _task(api: Api, key: int) -> dict[str, Any]:
    body = api.get(f"Task/referral-{key}").body
    body.pop("meta", None)
    return body


def test_the_partners_system_answers_by_updating_the_task(world: World, ids, partner: Api) -> None:
    food = ids["food"]
    task = _task(partner, food)
    accepted = partner.put(f"Task/referral-{food}", {**task, "status": "accepted"})
    assert accepted.status == 200, accepted.body
    assert accepted.body["status"] == "accepted"
    referral = Referral.objects.get(pk=food)
    assert referral.status == ReferralStatus.ACCEPTED
    event = referral.events.last()
    assert event is not None and event.actor == Actor.PARTNER_FHIR and event.user_id == ids["partner"]
    # The same PUT again changes nothing.
    again = partner.put(f"Task/referral-{food}", {**task, "status": "accepted"})
    assert again.status == 200 and referral.events.count() == 2
    # In progress with a date: scheduled.
    when = (clock.now() + dt.timedelta(days=3)).replace(microsecond=0)
    scheduled = partner.put(
        f"Task/referral-{food}",
        {**task, "status": "in-progress", "executionPeriod": {"start": when.isoformat()}},
    )
    assert scheduled.status == 200, scheduled.body
    assert scheduled.body["businessStatus"]["coding"][0]["code"] == "scheduled"
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SCHEDULED and referral.proposed_at == when
    assert Referral.objects.get(pk=food).needs_attention is False
    # Completed, with the outcome.
    done = partner.put(
        f"Task/referral-{food}",
        {
            **task,
            "status": "completed",
            "output": [{"type": {"text": "Outcome"}, "valueString": "Came twice"}],
        },
    )
    assert done.status == 200, done.body
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.outcome_note == "Came twice"
    assert done.body["output"][0]["valueString"] == "Came twice"
    assert (
        AuditEvent.objects.filter(user_id=ids["partner"], action="update", object_id=str(food)).count() >= 3
    )


def test_a_decline_needs_its_reason(world: World, ids, partner: Api) -> None:
    food = ids["food"]
    task = _task(partner, food)
    missing = partner.put(f"Task/referral-{food}", {**task, "status": "rejected"})
    assert missing.status == 422 and "Task.statusReason" in missing.issue_paths()
    assert Referral.objects.get(pk=food).status == ReferralStatus.SENT
    reason = {
        "coding": [
            {
                "system": "https://careconductor.org/fhir/CodeSystem/referral-decline-reason",
                "code": "capacity",
            }
        ],
        "text": "Full until March",
    }
    declined = partner.put(f"Task/referral-{food}", {**task, "status": "rejected", "statusReason": reason})
    assert declined.status == 200, declined.body
    assert declined.body["statusReason"]["coding"][0]["code"] == "capacity"
    referral = Referral.objects.get(pk=food)
    assert referral.status == ReferralStatus.DECLINED and referral.decline_reason == "capacity"
    assert referral.needs_attention


def test_a_move_the_table_refuses_is_422_and_changes_nothing(world: World, ids, partner: Api) -> None:
    food = ids["food"]
    task = _task(partner, food)
    version = Referral.objects.get(pk=food).version
    for status in ("completed", "failed", "draft", "ready", "on-hold"):
        reply = partner.put(f"Task/referral-{food}", {**task, "status": status})
        assert reply.status == 422, (status, reply.body)
        assert reply.body["resourceType"] == "OperationOutcome"
        assert "Task.status" in reply.issue_paths()
    refused = partner.put(f"Task/referral-{food}", {**task, "status": "completed"})
    assert "cannot be completed now" in refused.body["issue"][0]["diagnostics"]
    referral = Referral.objects.get(pk=food)
    assert (referral.status, referral.version) == (ReferralStatus.SENT, version)


def test_bad_input_is_an_operation_outcome_never_a_500(world: World, ids, partner: Api) -> None:
    food = ids["food"]
    task = _task(partner, food)
    cases: list[tuple[Any, int]] = [
        ("{not json", 400),
        ({**task, "status": 12}, 422),
        ({**task, "id": "referral-999999"}, 400),
        ({**task, "status": "in-progress", "executionPeriod": {"start": "tomorrow"}}, 422),
        ({**task, "status": "in-progress"}, 422),
        ({**task, "resourceType": "Patient"}, 400),
    ]
    for body, status in cases:
        reply = partner.put(f"Task/referral-{food}", body)
        assert reply.status == status, (body if isinstance(body, str) else body.get("status"), reply.body)
        assert reply.body["resourceType"] == "OperationOutcome"
    for path in (
        "Task/referral-x",
        "Task/referral-",
        f"Task/referral-{food}0000000000000000000",
        "ServiceRequest/abc",
    ):
        assert partner.get(path).status == 404, path
    for path in (
        "Task?owner:identifier=not-a-uuid",
        "ServiceRequest?category=|",
        "Task?focus=ServiceRequest/x",
    ):
        assert partner.get(path).status == 200, path
    assert partner.get("Task?_lastUpdated=gtyesterday").status == 400
    assert partner.get("ServiceRequest?nonsense=1").status == 400
    assert Referral.objects.get(pk=food).status == ReferralStatus.SENT


def test_staff_and_strangers_do_not_answer_through_the_task(world: World, ids, api) -> None:
    food = ids["food"]
    alice: Api = api(world.alice)
    task = _task(alice, food)
    assert alice.put(f"Task/referral-{food}", {**task, "status": "accepted"}).status == 403
    bob: Api = api(world.bob)
    assert bob.put(f"Task/referral-{food}", {**task, "status": "accepted"}).status == 404
    # A partner token that may only read cannot write.
    assert Referral.objects.get(pk=food).status == ReferralStatus.SENT


def test_a_read_only_partner_token_cannot_update(world: World, ids, api) -> None:
    from careconductor.accounts.models import User

    reader: Api = api(User.objects.get(pk=ids["partner"]), scopes=("user/*.read",))
    task = _task(reader, ids["food"])
    assert reader.put(f"Task/referral-{ids['food']}", {**task, "status": "accepted"}).status == 403
    assert Referral.objects.get(pk=ids["food"]).status == ReferralStatus.SENT


def test_a_partner_organisation_cannot_touch_coordination_tasks(world: World, ids, api, partner: Api) -> None:
    from careconductor.coordination.actions import do_create_task

    alice: Api = api(world.alice)
    made = do_create_task(
        world.alice,
        world.paula,
        owner=world.alice,
        title="Call Paula",
        due_at=clock.now() + dt.timedelta(days=1),
    )
    body = alice.get(f"Task/{made.pk}").body
    body.pop("meta", None)
    # The receiving organisation reaches only its referrals' Tasks: a coordination task is not known to it.
    reply = partner.put(f"Task/{made.pk}", {**body, "status": "completed"})
    assert reply.status == 404, reply.body
    made.refresh_from_db()
    assert made.status != "completed"


def test_the_capability_statement_lists_them(api, world: World) -> None:
    statement = api(world.alice).get("metadata").body
    types = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {"read", "search-type"} <= {i["code"] for i in types["ServiceRequest"]["interaction"]}
    assert "update" in {i["code"] for i in types["Task"]["interaction"]}
    assert {"create", "delete", "read"} <= {i["code"] for i in types["Subscription"]["interaction"]}
    assert {o["name"] for o in types["Subscription"]["operation"]} == {"status", "events"}
