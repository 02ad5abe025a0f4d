"""What the portal tells the access policy (privacy/sources.py), registered from EngagementConfig.ready(): a
log-in reports for the patients who made it their proxy (an active ProxyGrant)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.accounts.models import User
from careconductor.privacy import sources

from .models import ProxyGrant


def proxied(user: User) -> QuerySet[Any]:
    return ProxyGrant.objects.filter(proxy=user, revoked_at__isnull=True).order_by().values("patient_id")


def register() -> None:
    sources.portal_source(proxied)
    sources.relationship_models(ProxyGrant)
