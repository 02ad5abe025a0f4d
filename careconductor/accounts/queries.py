"""Reads about log-ins that guards ask on every request."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_otp import device_classes

from .models import User


def has_confirmed_device(user: User) -> bool:
    """Whether the log-in has set up a second factor, in one query over every device type (django-otp's
    `devices_for_user` asks each type in turn: two queries a request for a log-in that has none)."""
    if not user.is_authenticated:
        return False
    parts: list[QuerySet[Any]] = [
        model.objects.filter(user=user, confirmed=True).order_by().values("pk") for model in device_classes()
    ]
    if not parts:
        return False
    return parts[0].union(*parts[1:]).exists() if len(parts) > 1 else parts[0].exists()
