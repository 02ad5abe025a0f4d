"""What coordination tells the access policy (privacy/sources.py), registered from CoordinationConfig.ready():
an open task that carries access (given by someone with a standing relationship) lets its owner see the
patient until it is done, and so do the covered colleague's open tasks while a cover is in force."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from careconductor.accounts.models import User
from careconductor.privacy import sources

from .models import Task


def assigned(user: User) -> list[QuerySet[Any]]:
    return [
        Task.objects.filter(owner=user, status__in=Task.OPEN_STATUSES, grants_access=True).values(
            "patient_id"
        )
    ]


def open_tasks_of(covered: QuerySet[Any]) -> list[QuerySet[Any]]:
    return [
        Task.objects.filter(owner__in=covered, status__in=Task.OPEN_STATUSES, grants_access=True).values(
            "patient_id"
        )
    ]


def register() -> None:
    sources.relationship_source(assigned)
    sources.covered_source(open_tasks_of)
    sources.relationship_models(Task)
