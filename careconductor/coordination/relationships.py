"""What coordination tells the access policy (privacy/sources.py), registered from CoordinationConfig.ready():
an open task that carries access (given by someone with a standing relationship) lets its owner see the
patient until it is done, and so do the covered colleague's open tasks while a cover is in force."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.accounts.models import User
from careconductor.cases.relationships import covered_by
from careconductor.core import clock
from careconductor.privacy import policy, sources

from .models import Task


def assigned(user: User) -> list[QuerySet[Any]]:
    return [
        Task.objects.filter(owner=user, status__in=Task.OPEN_STATUSES, grants_access=True).values(
            "patient_id"
        )
    ]


def covering(user: User) -> list[QuerySet[Any]]:
    if user.role not in policy.COVERING_ROLES:
        return []
    covered = covered_by(user, clock.today())
    return [
        Task.objects.filter(owner__in=covered, status__in=Task.OPEN_STATUSES, grants_access=True).values(
            "patient_id"
        )
    ]


def register() -> None:
    sources.relationship_source(assigned)
    sources.relationship_source(covering)
    sources.relationship_models(Task)
