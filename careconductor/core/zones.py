"""Each organisation's time zone (Organization.time_zone): a request works in its user's organisation's zone,
so "today", due times, dates typed into forms and times on pages are the organisation's, not the server's.
Empty: the installation's (settings.TIME_ZONE, from CARECONDUCTOR_TIME_ZONE)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


@cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone this machine knows, sorted (for the organisation form)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def is_zone(name: str) -> bool:
    return name in zone_names()


@contextmanager
def organisation_zone(name: str) -> Iterator[None]:
    """Work in zone `name` (or the installation's when empty) until the block ends: for a request, a job or a
    command acting for one organisation."""
    if name and is_zone(name):
        with timezone.override(zoneinfo.ZoneInfo(name)):
            yield
    else:
        with timezone.override(settings.TIME_ZONE):
            yield


def organisation_time_zone(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[..., Any]:
    """Middleware: the request runs in its user's organisation's zone. The organisation comes with the user
    (UserWithOrganizationBackend), so this asks the database nothing more."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        org = user.organization if user is not None and user.is_authenticated else None
        with organisation_zone(org.time_zone if org is not None else ""):
            return get_response(request)

    return middleware


class UserWithOrganizationBackend(ModelBackend):
    """Django's model backend, loading the user's organisation in the same query: every page needs it (its time
    zone, its name, whose records these are)."""

    def get_user(self, user_id: Any) -> Any:
        user = get_user_model()._default_manager.select_related("organization").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
