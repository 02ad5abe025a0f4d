"""R4 Subscriptions backport (topic-based, interop.md §6), rest-hook only, for one topic: changes of status of a
referral's referral-management Task (the Gravity SDOH pattern's `Task?status:not=draft&intent=order`, every
change of status a referral makes after it is sent).

- A subscription is made by an API client (staff, or a partner organisation's system) with `criteria` the
  topic's canonical URL, optional `backport-filter-criteria` (`Task?owner:identifier=…`, `owner:identifier=…`,
  `Task.owner:identifier=…`, `status=…`; several AND), a rest-hook `endpoint` (https; http://localhost and
  127.0.0.1 only where FHIR_SUBSCRIPTIONS_ALLOW_LOCAL is set, in tests and development), `header`s and the
  `id-only` payload (`empty` also accepted). It starts `requested`; after the commit a huey task POSTs a
  `handshake` Bundle: a 2xx answer makes it `active`, anything else `error` with the reason.
- Each change of status of a referral the subscriber may read (a partner's only those sent to it; staff's
  through the policy, sensitivity included) and that its filters match is numbered (events-since-subscription-
  start), kept as a SubscriptionEvent, and POSTed after the commit as an `event-notification` history Bundle
  whose first entry is the backport subscription-status Parameters, focus Task/referral-<id>, id-only.
- Only the registered endpoint is ever called: no redirect is followed, every POST has a timeout, and an
  endpoint whose host resolves to a loopback, private or link-local address is refused unless local endpoints
  are allowed. A failed notification is tried again (huey retries); its event stays numbered, so a subscriber
  finds the gap by number."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from huey.contrib.djhuey import db_task  # type: ignore[import-untyped]

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.referrals import hooks, queries, rules
from careconductor.referrals.choices import ReferralStatus
from careconductor.referrals.models import Referral, ReferralEvent

from .models import Subscription, SubscriptionEvent
from .registry import instant

TOPIC = "https://careconductor.org/fhir/SubscriptionTopic/referral-task"
BACKPORT = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
FILTER_CRITERIA = BACKPORT + "backport-filter-criteria"
PAYLOAD_CONTENT = BACKPORT + "backport-payload-content"
TIMEOUT = BACKPORT + "backport-timeout"
PROFILE = BACKPORT + "backport-subscription"
STATUS_PROFILE = BACKPORT + "backport-subscription-status-r4"
CONTENTS = ("id-only", "empty")
FILTER_PARAMS = {"owner": ("identifier",), "status": ("", "not")}
MAX_HEADERS = 10
MAX_TIMEOUT = 30
RETRIES = 5


def allow_local() -> bool:
    return bool(getattr(settings, "FHIR_SUBSCRIPTIONS_ALLOW_LOCAL", settings.DEBUG))


def base_url() -> str:
    return f"{settings.SITE_URL}/fhir/r4/"


# --- making and ending a subscription --------------------------------------------------------------------------


def parse_filter(text: str) -> tuple[str, str, str]:
    """(parameter, modifier, value) of one filter, in any of the forms interop.md lists: `Task?owner=…`,
    `owner=…`, `Task.owner=…`."""
    rest = text.strip()
    for prefix in ("Task?", "Task."):
        rest = rest.removeprefix(prefix)
    name, equals, value = rest.partition("=")
    param, _, modifier = name.partition(":")
    if not equals or not value or param not in FILTER_PARAMS or modifier not in FILTER_PARAMS[param]:
        raise ActionRefused(
            {
                "filter": f"{text!r} is not a filter of this topic: use owner:identifier=<system>|<HSDS "
                "organization id> or status=<Task status>."
            }
        )
    return param, modifier, value


def check_endpoint(url: str) -> str:
    parts = urlsplit(url)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    secure = parts.scheme == "https" and bool(parts.hostname) and not parts.username
    if not secure and not (parts.scheme == "http" and local and allow_local()):
        raise ActionRefused({"endpoint": "The endpoint must be an https:// address."})
    if local and not allow_local():
        raise ActionRefused({"endpoint": "The endpoint must be an address outside this server."})
    return url


def check_headers(lines: list[str]) -> list[str]:
    if len(lines) > MAX_HEADERS:
        raise ActionRefused({"header": f"At most {MAX_HEADERS} headers."})
    for line in lines:
        name, colon, _ = line.partition(":")
        if not colon or not name.strip() or any(c in line for c in "\r\n\x00") or " " in name.strip():
            raise ActionRefused({"header": f"Each header is 'Name: value', not {line[:40]!r}."})
        if name.strip().lower() in ("host", "content-length", "content-type", "transfer-encoding"):
            raise ActionRefused({"header": f"The header {name.strip()} is set by the server."})
    return [f"{n.strip()}: {v.strip()}" for n, _, v in (line.partition(":") for line in lines)]


def do_create_subscription(
    user: User,
    *,
    topic: str,
    endpoint: str,
    filters: list[str],
    headers: list[str],
    content: str,
    reason: str = "",
    timeout_seconds: int = 10,
    end: dt.datetime | None = None,
) -> Subscription:
    """A subscription of the user's API client, `requested` until the handshake after the commit answers."""
    if user.role == Role.PATIENT or not user.is_active:
        raise ActionRefused({"": "Only staff and partner organisations' systems subscribe."})
    if topic != TOPIC:
        raise ActionRefused({"criteria": f"This server has one topic: {TOPIC}."})
    if content not in CONTENTS:
        raise ActionRefused(
            {"content": "The payload is id-only (or empty): nothing about the patient is sent."}
        )
    parsed = [parse_filter(text) for text in filters]
    if not 1 <= timeout_seconds <= MAX_TIMEOUT:
        raise ActionRefused({"timeout": f"The timeout is 1 to {MAX_TIMEOUT} seconds."})
    with transaction.atomic():
        subscription = Subscription.objects.create(
            owner=user,
            topic=topic,
            filters=[list(f) for f in parsed],
            reason=reason.strip()[:500],
            endpoint=check_endpoint(endpoint),
            headers=check_headers(headers),
            content=content,
            timeout_seconds=timeout_seconds,
            end=end,
        )
        audit.record(user, AuditAction.CREATE, obj=subscription, object_type="Subscription")
        transaction.on_commit(partial(handshake, subscription.pk))
    return subscription


def do_end_subscription(user: User, subscription: Subscription) -> None:
    """Deleted by its owner: no more notifications; its events go with it."""
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, obj=subscription, object_type="Subscription")
        subscription.delete()


# --- what is sent ------------------------------------------------------------------------------------------------


def status_parameters(
    subscription: Subscription, kind: str, events: list[SubscriptionEvent] | None = None
) -> dict[str, Any]:
    """The backport-subscription-status-r4 Parameters (counters as strings, as R4 has no integer64)."""
    base = base_url()
    parameter: list[dict[str, Any]] = [
        {"name": "subscription", "valueReference": {"reference": f"{base}Subscription/{subscription.pk}"}},
        {"name": "topic", "valueCanonical": subscription.topic},
        {"name": "status", "valueCode": subscription.status},
        {"name": "type", "valueCode": kind},
        {"name": "events-since-subscription-start", "valueString": str(subscription.events_since_start)},
    ]
    for event in events or []:
        part: list[dict[str, Any]] = [
            {"name": "event-number", "valueString": str(event.number)},
            {"name": "timestamp", "valueInstant": instant(event.at)},
        ]
        if subscription.content == "id-only":
            part.append({"name": "focus", "valueReference": {"reference": f"{base}{event.focus}"}})
            if event.context:
                part.append(
                    {"name": "additional-context", "valueReference": {"reference": f"{base}{event.context}"}}
                )
        parameter.append({"name": "notification-event", "part": part})
    if subscription.error:
        parameter.append({"name": "error", "valueCodeableConcept": {"text": subscription.error}})
    return {
        "resourceType": "Parameters",
        "meta": {"profile": [STATUS_PROFILE]},
        "parameter": parameter,
    }


def notification_bundle(
    subscription: Subscription, kind: str, events: list[SubscriptionEvent] | None = None
) -> dict[str, Any]:
    """A history Bundle: the status Parameters first, then (id-only) one entry per event's focus, without the
    resource."""
    base = base_url()
    status_url = f"{base}Subscription/{subscription.pk}/$status"
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": f"urn:uuid:{_uuid()}",
            "resource": status_parameters(subscription, kind, events),
            "request": {"method": "GET", "url": status_url},
            "response": {"status": "200"},
        }
    ]
    if subscription.content == "id-only":
        for event in events or []:
            entries.append(
                {
                    "fullUrl": f"{base}{event.focus}",
                    "request": {"method": "PUT", "url": event.focus},
                    "response": {"status": "200"},
                }
            )
    return {"resourceType": "Bundle", "type": "history", "timestamp": instant(clock.now()), "entry": entries}


def events_bundle(subscription: Subscription, since: int | None, until: int | None) -> dict[str, Any]:
    """The kept events from `since` to `until` (both included, at most 100 from `since`) as a query-event
    Bundle: how a subscriber recovers the notifications it missed."""
    events = SubscriptionEvent.objects.filter(subscription=subscription).order_by("number")
    if since is not None:
        events = events.filter(number__gte=since)
    if until is not None:
        events = events.filter(number__lte=until)
    return notification_bundle(subscription, "query-event", list(events[:100]))


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


class Refused(Exception):
    """The endpoint was not called, or did not answer 2xx."""


def _check_address(url: str) -> None:
    """Refuse, before connecting, a host that resolves to this machine or a private network (unless local
    endpoints are allowed): a subscription must not make the server call inward."""
    if allow_local():
        return
    parts = urlsplit(url)
    try:
        found = socket.getaddrinfo(parts.hostname or "", parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise Refused(f"The endpoint's host does not resolve: {exc}") from exc
    for *_, address in found:
        ip = ipaddress.ip_address(address[0])
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast:
            raise Refused("The endpoint's host is on a private network.")


def post(subscription: Subscription, bundle: dict[str, Any]) -> None:
    """POST to the registered endpoint only: no redirect followed, a timeout, the subscriber's headers."""
    _check_address(subscription.endpoint)
    headers = {"Content-Type": "application/fhir+json"}
    for line in subscription.headers:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    try:
        response = requests.post(
            subscription.endpoint,
            json=bundle,
            headers=headers,
            timeout=subscription.timeout_seconds,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise Refused(f"The endpoint could not be reached: {type(exc).__name__}") from exc
    if not 200 <= response.status_code < 300:
        raise Refused(f"The endpoint answered {response.status_code}.")


@db_task()
def handshake(subscription_id: int) -> None:
    """The handshake of a new subscription: 2xx makes it active, anything else an error."""
    subscription = Subscription.objects.filter(
        pk=subscription_id, status=Subscription.Status.REQUESTED
    ).first()
    if subscription is None:
        return
    try:
        post(subscription, notification_bundle(subscription, "handshake"))
    except Refused as exc:
        subscription.status, subscription.error = Subscription.Status.ERROR, str(exc)[:500]
    else:
        subscription.status, subscription.error = Subscription.Status.ACTIVE, ""
    subscription.save(update_fields=["status", "error"])


@db_task(retries=RETRIES, retry_delay=60)
def deliver(event_id: int) -> None:
    """POST one event's notification; raised again (so huey retries) while the endpoint fails."""
    event = SubscriptionEvent.objects.select_related("subscription").filter(pk=event_id).first()
    if event is None or event.delivered_at is not None:
        return
    subscription = event.subscription
    if subscription.status != Subscription.Status.ACTIVE:
        return
    try:
        post(subscription, notification_bundle(subscription, "event-notification", [event]))
    except Refused as exc:
        SubscriptionEvent.objects.filter(pk=event.pk).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:500]
        )
        raise
    SubscriptionEvent.objects.filter(pk=event.pk).update(
        attempts=F("attempts") + 1, delivered_at=clock.now(), last_error=""
    )


# --- a referral moved ------------------------------------------------------------------------------------------


def may_read(user: User, referral: Referral) -> bool:
    if not user.is_active:
        return False
    if user.role == Role.PARTNER:
        return queries.partner_referrals(user).filter(pk=referral.pk).exists()
    return queries.visible_referrals(user).filter(pk=referral.pk).exists()


def matches(filters: list[list[str]], referral: Referral) -> bool:
    task_status, _ = rules.TASK_STATUS[ReferralStatus(referral.status)]
    for param, modifier, value in filters:
        if param == "owner":
            system, bar, code = value.rpartition("|")
            from .mappers.service_request import HSDS_ORGANIZATION

            if bar and system not in ("", HSDS_ORGANIZATION):
                return False
            provider = referral.service.provider if referral.service_id and referral.service else None
            if provider is None or str(provider.hsds_id) != code:
                return False
        elif param == "status":
            wanted = task_status in value.split(",")
            if wanted == (modifier == "not"):
                return False
    return True


@hooks.after_move
def referral_moved(referral: Referral, event: ReferralEvent) -> None:
    """Number the event for each active subscription that may read the referral and whose filters match; the
    notifications go after the commit."""
    if referral.status == ReferralStatus.DRAFT:
        return
    now = clock.now()
    candidates = Subscription.objects.filter(
        Q(owner__organization_id=referral.organization_id)
        | Q(owner__partner__provider__organization_id=referral.organization_id),
        status=Subscription.Status.ACTIVE,
        topic=TOPIC,
    ).filter(Q(end__isnull=True) | Q(end__gt=now))
    for subscription in candidates.select_related("owner"):
        if not matches(subscription.filters, referral) or not may_read(subscription.owner, referral):
            continue
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        locked.events_since_start += 1
        Subscription.objects.filter(pk=locked.pk).update(events_since_start=locked.events_since_start)
        made = SubscriptionEvent.objects.create(
            subscription=locked,
            number=locked.events_since_start,
            at=now,
            focus=f"Task/referral-{referral.pk}",
            context=f"ServiceRequest/{referral.pk}",
        )
        transaction.on_commit(partial(deliver, made.pk))
