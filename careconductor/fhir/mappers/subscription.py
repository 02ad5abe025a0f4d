"""Subscription (R4 Subscriptions backport, rest-hook, interop.md §6): an API client's subscription to changes of
status of the referral Tasks it may read (subscriptions.py). Create, read, search its own and delete; each caller
sees only the subscriptions its own user made. Header values are not shown back (they often hold a secret)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.accounts.choices import Role
from careconductor.core.errors import ActionRefused

from .. import subscriptions
from ..auth import Caller
from ..errors import FhirError
from ..models import Subscription
from ..registry import CREATE, DELETE, READ_ONLY, Mapper, register
from .common import compact, moment, parse_moment


def _extensions(element: Any, url: str) -> list[Any]:
    if not isinstance(element, dict):
        return []
    return [e for e in element.get("extension", []) if isinstance(e, dict) and e.get("url") == url]


@register
class SubscriptionMapper(Mapper):
    resource_type = "Subscription"
    model = Subscription
    interactions = READ_ONLY | {CREATE, DELETE}
    patient_field = None
    error_paths = {
        "criteria": "Subscription.criteria",
        "filter": "Subscription.criteria.extension",
        "endpoint": "Subscription.channel.endpoint",
        "header": "Subscription.channel.header",
        "content": "Subscription.channel.payload",
        "timeout": "Subscription.channel.extension",
        "channel": "Subscription.channel.type",
    }
    description = (
        "R4 Subscriptions backport (topic-based), rest-hook: criteria is the topic "
        f"{subscriptions.TOPIC} (changes of status of referral Tasks the caller may read), filters in "
        "backport-filter-criteria (owner:identifier=…, status=…), channel.endpoint https, payload "
        "application/fhir+json with backport-payload-content id-only. A handshake makes it active; each "
        "event-notification carries its event number. Each caller sees its own subscriptions."
    )

    def visible(self, caller: Caller) -> QuerySet[Any]:
        return Subscription.objects.filter(owner=caller.user)

    def render(self, row: Any) -> dict[str, Any]:
        body = super().render(row)
        body["meta"]["profile"] = [subscriptions.PROFILE]
        return body

    def to_fhir(self, row: Subscription) -> dict[str, Any]:
        criteria_ext = [
            {"url": subscriptions.FILTER_CRITERIA, "valueString": f"Task?{p}{':' + m if m else ''}={v}"}
            for p, m, v in row.filters
        ]
        channel: dict[str, Any] = {
            "extension": [{"url": subscriptions.TIMEOUT, "valueUnsignedInt": row.timeout_seconds}],
            "type": "rest-hook",
            "endpoint": row.endpoint,
            "payload": "application/fhir+json",
            "_payload": {"extension": [{"url": subscriptions.PAYLOAD_CONTENT, "valueCode": row.content}]},
            "header": [f"{line.partition(':')[0]}: ***" for line in row.headers],
        }
        if not channel["header"]:
            del channel["header"]
        return compact(
            {
                "status": row.status,
                "end": moment(row.end),
                "reason": row.reason or "Referral Task changes",
                "criteria": row.topic,
                "_criteria": {"extension": criteria_ext} if criteria_ext else None,
                "error": row.error,
                "channel": channel,
            }
        )

    def create(self, caller: Caller, resource: dict[str, Any]) -> Subscription:
        if caller.user.role == Role.PATIENT:
            raise FhirError(403, "A patient's token does not subscribe.", code="forbidden")
        channel = resource.get("channel") or {}
        if channel.get("type") != "rest-hook":
            raise ActionRefused({"channel": "Only rest-hook channels are supported."})
        if channel.get("payload", "application/fhir+json") not in (
            "application/fhir+json",
            "application/json",
        ):
            raise ActionRefused({"content": "The payload is application/fhir+json."})
        contents = _extensions(channel.get("_payload"), subscriptions.PAYLOAD_CONTENT)
        content = contents[0].get("valueCode", "") if contents else "id-only"
        timeouts = _extensions(channel, subscriptions.TIMEOUT)
        timeout = timeouts[0].get("valueUnsignedInt", 10) if timeouts else 10
        filters = [
            str(e.get("valueString", ""))
            for e in _extensions(resource.get("_criteria"), subscriptions.FILTER_CRITERIA)
        ]
        return subscriptions.do_create_subscription(
            caller.user,
            topic=str(resource.get("criteria", "")),
            endpoint=str(channel.get("endpoint", "")),
            filters=filters,
            headers=[str(h) for h in channel.get("header", [])],
            content=str(content),
            reason=str(resource.get("reason", "")),
            timeout_seconds=int(timeout) if isinstance(timeout, int) else 0,
            end=parse_moment(resource.get("end"), "Subscription.end"),
        )

    def delete(self, caller: Caller, row: Subscription) -> None:
        subscriptions.do_end_subscription(caller.user, row)
