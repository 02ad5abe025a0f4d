"""Reads of the SMART apps registry: an organisation's own apps only."""

from __future__ import annotations

from django.db.models import QuerySet
from oauth2_provider.models import AccessToken

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
