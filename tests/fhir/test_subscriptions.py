"""The R4 Subscriptions backport for referral Tasks (interop.md §6), end to end against a live server with real
clients (fhirpy; requests for what fhirpy does not do) and a real rest-hook receiver on 127.0.0.1: the partner's
system subscribes, the handshake makes the subscription active, each change of status of a referral it may read
is POSTed as a numbered id-only event-notification, and nothing about referrals it may not read ever is."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from fhirpy import SyncFHIRClient
from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]

from careconductor.accounts.actions import do_create_token
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.directory.models import Service
from careconductor.fhir.models import Subscription, SubscriptionEvent
from careconductor.fhir.subscriptions import FILTER_CRITERIA, PAYLOAD_CONTENT, TOPIC
from careconductor.referrals.actions import do_cancel_referral, do_create_referral, do_send_referral
from careconductor.referrals.choices import ReferralStatus
from careconductor.referrals.models import Referral
from tests.personas import World
from tests.referrals.conftest import build_referring

from .conftest import FHIR_JSON, validate_fhir

pytestmark = pytest.mark.django_db(transaction=True)

HSDS_ORG = "https://careconductor.org/fhir/sid/hsds-organization"


@dataclass
class Receiver:
    """A rest-hook endpoint: keeps what is POSTed to it and answers `status`."""

    url: str
    status: int = 200
    received: list[tuple[str, dict[str, str], dict[str, Any]]] = field(default_factory=list)

    def bundles(self, kind: str) -> list[dict[str, Any]]:
        found = []
        for _, _, body in self.received:
            parameters = body["entry"][0]["resource"]["parameter"]
            if any(p["name"] == "type" and p["valueCode"] == kind for p in parameters):
                found.append(body)
        return found


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    kept = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            kept.received.append((self.path, dict(self.headers), body))
            self.send_response(kept.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    kept.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield kept
    server.shutdown()
    server.server_close()


@pytest.fixture
def hooks_now(settings) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The queue runs its tasks at once, and a local http endpoint is allowed (tests and development only)."""
    settings.FHIR_SUBSCRIPTIONS_ALLOW_LOCAL = True
    settings.SITE_URL = "https://care.example.org"
    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture
def base(live_server) -> str:  # type: ignore[no-untyped-def]
    return live_server.url + "/fhir/r4/"


@pytest.fixture
def partner(world: World) -> User:
    made = build_referring(world)
    return User.objects.get(pk=made["partner"])


def _subscription(endpoint: str, *filters: str, headers: tuple[str, ...] = ()) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Subscription",
        "status": "requested",
        "reason": "Our referrals",
        "criteria": TOPIC,
        "channel": {
            "type": "rest-hook",
            "endpoint": endpoint,
            "payload": "application/fhir+json",
            "_payload": {"extension": [{"url": PAYLOAD_CONTENT, "valueCode": "id-only"}]},
        },
    }
    if filters:
        body["_criteria"] = {"extension": [{"url": FILTER_CRITERIA, "valueString": f} for f in filters]}
    if headers:
        body["channel"]["header"] = list(headers)
    return body


def _send(world: World, service: Service, need: str = "food") -> Referral:
    referral = do_create_referral(world.alice, world.paula, need=need, reason="Needs help", service=service)
    return do_send_referral(
        world.alice, referral, record_consent={"method": "verbal", "given_on": clock.today()}
    )[0]


def _event(bundle: dict[str, Any]) -> dict[str, Any]:
    """The status Parameters' values, and the first notification-event's parts, by name."""
    parameters = bundle["entry"][0]["resource"]["parameter"]
    values = {p["name"]: next((v for k, v in p.items() if k.startswith("value")), None) for p in parameters}
    events = [p for p in parameters if p["name"] == "notification-event"]
    if events:
        values["event"] = {
            part["name"]: next(v for k, v in part.items() if k.startswith("value"))
            for part in events[0]["part"]
        }
    return values


def test_the_partners_system_subscribes_and_is_told_of_each_change(
    world: World, partner: User, receiver: Receiver, hooks_now: None, base: str
) -> None:
    secret = do_create_token(partner, name="pantry system", scopes=("user/*.*",))[1]
    client = SyncFHIRClient(base, authorization=f"Bearer {secret}")
    pantry = Service.objects.select_related("provider").get(name="Weekly food pantry")
    owner = f"Task?owner:identifier={HSDS_ORG}|{pantry.provider.hsds_id}"
    made = client.resource(
        "Subscription", **_subscription(receiver.url, owner, headers=("Authorization: Bearer hook-secret",))
    )
    made.save()
    subscription = Subscription.objects.get(pk=made.id)
    # The handshake after the commit made it active.
    assert subscription.status == Subscription.Status.ACTIVE, subscription.error
    [handshake] = receiver.bundles("handshake")
    validate_fhir(handshake)
    assert handshake["type"] == "history"
    assert receiver.received[0][1]["Authorization"] == "Bearer hook-secret"
    read = client.reference("Subscription", made.id).to_resource()
    assert read["status"] == "active"
    assert read["channel"]["header"] == ["Authorization: ***"]  # the secret is not shown back
    validate_fhir(read.serialize())

    # Sent by the case manager: event 1, id-only.
    food = _send(world, pantry)
    [first] = receiver.bundles("event-notification")
    validate_fhir(first)
    values = _event(first)
    assert values["events-since-subscription-start"] == "1"
    assert values["event"]["event-number"] == "1"
    assert (
        values["event"]["focus"]["reference"] == f"https://care.example.org/fhir/r4/Task/referral-{food.pk}"
    )
    assert values["topic"] == TOPIC
    assert [e.get("resource") for e in first["entry"][1:]] == [None]
    assert first["entry"][1]["fullUrl"].endswith(f"Task/referral-{food.pk}")
    assert "Paula" not in json.dumps(first) and "Reyes" not in json.dumps(first)

    # The organisation's system reads the Task it was told of and accepts it: event 2.
    task = client.reference("Task", f"referral-{food.pk}").to_resource()
    assert task["status"] == "requested"
    task["status"] = "accepted"
    task.save()
    assert Referral.objects.get(pk=food.pk).status == ReferralStatus.ACCEPTED
    numbers = [_event(b)["event"]["event-number"] for b in receiver.bundles("event-notification")]
    assert numbers == ["1", "2"]
    kept = SubscriptionEvent.objects.filter(subscription=subscription).order_by("number")
    assert [(e.number, e.delivered_at is not None) for e in kept] == [(1, True), (2, True)]

    # $status says how many events there were; $events gives back the ones a subscriber missed.
    auth = {"Authorization": f"Bearer {secret}", "Accept": FHIR_JSON}
    status = requests.get(f"{base}Subscription/{made.id}/$status", headers=auth, timeout=10).json()
    validate_fhir(status)
    assert _event(status)["events-since-subscription-start"] == "2"
    assert _event(status)["type"] == "query-status"
    missed = requests.get(
        f"{base}Subscription/{made.id}/$events?eventsSinceNumber=2", headers=auth, timeout=10
    ).json()
    validate_fhir(missed)
    assert _event(missed)["type"] == "query-event" and _event(missed)["event"]["event-number"] == "2"
    bad = requests.get(f"{base}Subscription/{made.id}/$events?eventsSinceNumber=x", headers=auth, timeout=10)
    assert bad.status_code == 400
    alice = do_create_token(world.alice, name="staff", scopes=("user/*.*",))[1]
    theirs = requests.get(
        f"{base}Subscription/{made.id}/$status", headers={"Authorization": f"Bearer {alice}"}, timeout=10
    )
    assert theirs.status_code == 404

    # Another organisation's referral is never notified, nor polled.
    counselling = Service.objects.get(name="Counselling and psychiatry")
    other = _send(world, counselling, need="behavioural-health")
    assert len(receiver.bundles("event-notification")) == 2
    assert not client.resources("Task").search(_id=f"referral-{other.pk}").fetch()

    # Deleted: nothing more.
    response = requests.delete(
        f"{base}Subscription/{made.id}", headers={"Authorization": f"Bearer {secret}"}, timeout=10
    )
    assert response.status_code == 204
    assert not Subscription.objects.filter(pk=made.id).exists()
    _send(world, pantry)
    assert len(receiver.bundles("event-notification")) == 2


def test_a_handshake_that_fails_leaves_the_subscription_in_error(
    world: World, partner: User, receiver: Receiver, hooks_now: None, base: str
) -> None:
    receiver.status = 500
    secret = do_create_token(partner, name="pantry system", scopes=("user/Subscription.*",))[1]
    response = requests.post(
        f"{base}Subscription",
        json=_subscription(receiver.url),
        headers={"Authorization": f"Bearer {secret}", "Content-Type": FHIR_JSON},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    subscription = Subscription.objects.get(pk=response.json()["id"])
    assert subscription.status == Subscription.Status.ERROR
    assert "500" in subscription.error
    # In error, it is not told of changes.
    _send(world, Service.objects.get(name="Weekly food pantry"))
    assert not SubscriptionEvent.objects.exists()


def test_staff_subscriptions_follow_the_policy(
    world: World, partner: User, receiver: Receiver, hooks_now: None, base: str
) -> None:
    """Alice (Paula's case manager) is told of her referral; bob (same team, no relationship) is not."""
    for user in (world.alice, world.bob):
        secret = do_create_token(user, name="staff system", scopes=("user/*.*",))[1]
        response = requests.post(
            f"{base}Subscription",
            json=_subscription(f"{receiver.url}/{user.username}", "status:not=completed"),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": FHIR_JSON},
            timeout=10,
        )
        assert response.status_code == 201, response.text
    food = _send(world, Service.objects.get(name="Weekly food pantry"))
    paths = [path for path, _, body in receiver.received if _event(body)["type"] == "event-notification"]
    assert paths == ["/hook/alice"]
    # An endpoint that fails: the event stays numbered and undelivered, with the reason (the worker tries again).
    receiver.status = 503
    do_cancel_referral(world.alice, food, reason="Found another pantry")
    missed = SubscriptionEvent.objects.get(subscription__owner=world.alice, number=2)
    assert (missed.delivered_at, missed.attempts) == (None, 1) and "503" in missed.last_error
    assert not SubscriptionEvent.objects.filter(subscription__owner=world.bob).exists()


def test_bad_subscriptions_are_refused_with_an_operation_outcome(
    world: World, partner: User, receiver: Receiver, hooks_now: None, base: str, settings
) -> None:  # type: ignore[no-untyped-def]
    secret = do_create_token(partner, name="pantry system", scopes=("user/*.*",))[1]
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": FHIR_JSON}
    good = _subscription(receiver.url)
    bad: list[dict[str, Any]] = [
        {**good, "criteria": "Task?status=completed"},
        {**good, "channel": {**good["channel"], "type": "websocket"}},
        {**good, "channel": {**good["channel"], "header": ["Host: evil.example"]}},
        {
            **good,
            "channel": {
                **good["channel"],
                "_payload": {"extension": [{"url": PAYLOAD_CONTENT, "valueCode": "full-resource"}]},
            },
        },
        _subscription(receiver.url, "Patient?name=Reyes"),
        _subscription("ftp://example.org/hook"),
    ]
    for body in bad:
        response = requests.post(f"{base}Subscription", json=body, headers=headers, timeout=10)
        assert response.status_code == 422, (body, response.text)
        validate_fhir(response.json())
    response = requests.post(f"{base}Subscription", data="{nope", headers=headers, timeout=10)
    assert response.status_code == 400
    # Outside tests and development, plain http and this machine are refused.
    settings.FHIR_SUBSCRIPTIONS_ALLOW_LOCAL = False
    for endpoint in (receiver.url, "http://example.org/hook", "https://localhost/hook"):
        response = requests.post(
            f"{base}Subscription", json=_subscription(endpoint), headers=headers, timeout=10
        )
        assert response.status_code == 422, (endpoint, response.text)
    assert not Subscription.objects.exists()
    assert not receiver.received
    # A patient's token does not subscribe; another caller does not see the partner's subscriptions.
    alice = do_create_token(world.alice, name="staff", scopes=("user/*.*",))[1]
    settings.FHIR_SUBSCRIPTIONS_ALLOW_LOCAL = True
    made = requests.post(f"{base}Subscription", json=good, headers=headers, timeout=10).json()
    seen = requests.get(
        f"{base}Subscription/{made['id']}", headers={"Authorization": f"Bearer {alice}"}, timeout=10
    )
    assert seen.status_code == 404
