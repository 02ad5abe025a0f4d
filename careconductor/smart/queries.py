"""Reads of the SMART apps registry: an organisation's own apps only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from oauth2_provider.models import AccessToken, RefreshToken

from careconductor.accounts.models import User
from careconductor.core import clock

from .models import AppKind, SmartApp


def apps_of(user: User) -> QuerySet[SmartApp]:
    if user.organization_id is None:
        return SmartApp.objects.none()
    return (
        SmartApp.objects.filter(organization_id=user.organization_id)
        .select_related("client", "registered_by", "service_user")
        .order_by("revoked_at", "client__name", "pk")
    )


def app_of(user: User, app_id: int) -> SmartApp | None:
    return apps_of(user).filter(pk=app_id).first()


def tokens_in_force(app: SmartApp) -> int:
    """How many of the app's access tokens still work (one per person connected, roughly)."""
    return AccessToken.objects.filter(application=app.client, expires__gt=clock.now()).count()


def launchable(user: User) -> list[SmartApp]:
    """Apps of the user's organisation a chart can open: launch apps with a launch address, not revoked."""
    if user.organization_id is None:
        return []
    return list(
        SmartApp.objects.filter(
            organization_id=user.organization_id, kind=AppKind.LAUNCH, revoked_at__isnull=True
        )
        .exclude(launch_url="")
        .select_related("client")
        .order_by("client__name")
    )


@dataclass(frozen=True)
class Connection:
    """An app a person allowed that can still act for them."""

    app: SmartApp
    since: dt.datetime
    scopes: tuple[str, ...]
    # Whether it can go on after its current token ends (a refresh token: offline or online access).
    lasting: bool


def connections_of(user: User) -> list[Connection]:
    """The launch apps this person allowed that still hold an access token in force or a refresh token not
    revoked, oldest first: what they can take back (smart.actions.do_disconnect_app)."""
    now = clock.now()
    tokens: dict[int, list[AccessToken | RefreshToken]] = {}
    found = [
        *AccessToken.objects.filter(user=user, expires__gt=now, application__smart__kind=AppKind.LAUNCH),
        *RefreshToken.objects.filter(
            user=user, revoked__isnull=True, application__smart__kind=AppKind.LAUNCH
        ),
    ]
    for token in found:
        tokens.setdefault(token.application_id, []).append(token)
    by_client = {
        a.client_id: a for a in SmartApp.objects.select_related("client").filter(client_id__in=tokens)
    }
    made = [
        Connection(
            app=by_client[client],
            since=min(t.created for t in held),
            scopes=tuple(sorted({s for t in held if isinstance(t, AccessToken) for s in t.scope.split()})),
            lasting=any(isinstance(t, RefreshToken) for t in held),
        )
        for client, held in tokens.items()
        if client in by_client
    ]
    return sorted(made, key=lambda c: (c.since, c.app.pk))
