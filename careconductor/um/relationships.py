"""What um tells the access policy (privacy/sources.py), registered from UmConfig.ready(): where the
prior-authorisation requests are kept; the policy decides who reads which (policy.um_rows)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.privacy import sources

from .models import AuthRequest


def all_requests() -> QuerySet[Any]:
    return AuthRequest.objects.all()


def register() -> None:
    sources.um_source(all_requests)
