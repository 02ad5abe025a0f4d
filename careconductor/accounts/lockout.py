"""Log-in lock-out: django-axes records the failures; this decides from them (rules.locked_by) with two limits,
where django-axes has one, and answers a paused log-in with a page that says why and until when.

settings.AXES_LOCKOUT_PARAMETERS is [["username", "ip_address"], "ip_address"]: django-axes then counts the
recent failures of this user name from this address and of this address whatever the name, and LockoutHandler
compares each with its own limit (AXES_FAILURE_LIMIT and CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
from django.conf import settings
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careconductor.core import clock

from .rules import LockedBy, locked_by

# Set on the request by LockoutHandler: why log-in is paused for it (a LockedBy), for the audit and the page.
LOCKED_BY = "careconductor_locked_by"


class LockoutHandler(AxesDatabaseHandler):
    def _recent(self, request: HttpRequest, credentials: dict[str, Any] | None) -> tuple[QuerySet, QuerySet]:
        """The recent failures of this user name from this address, and of this address (whatever the name)."""
        pairs = zip(
            get_lockout_parameters(request, credentials),
            self.get_user_attempts(request, credentials),
            strict=True,
        )
        by = {
            "address" if parameter == "ip_address" else "user_at_address": attempts
            for parameter, attempts in pairs
        }
        return by["user_at_address"], by["address"]

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """What django-axes compares with AXES_FAILURE_LIMIT: this name's failures from this address, or the limit
        itself once the address reached its own (higher) limit."""
        user_at_address, address = (
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self._recent(request, credentials)
        )
        limit = get_failure_limit(request, credentials)
        reason = locked_by(
            user_at_address,
            address,
            user_at_address_limit=limit,
            address_limit=settings.CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES,
        )
        setattr(request, LOCKED_BY, reason)
        return max(user_at_address, limit) if reason == LockedBy.ADDRESS else user_at_address

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """A successful log-in forgets that user's failures from that address only. Not the address's: anyone
        with an account of their own (a patient's portal log-in) could otherwise clear their address's count
        between guesses at other people's passwords."""
        user_at_address, _address = self._recent(request, credentials)
        count, _ = user_at_address.delete()
        return count

    def pause_ends(self, request: HttpRequest, credentials: dict[str, Any] | None) -> dt.datetime:
        """When log-in opens again at the latest: the cool-off after the last counted failure (attempts during
        the pause are not counted, AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT)."""
        user_at_address, address = self._recent(request, credentials)
        attempts = address if getattr(request, LOCKED_BY, "") == LockedBy.ADDRESS else user_at_address
        last = attempts.aggregate(last=Max("attempt_time"))["last"] or clock.now()
        return last + (get_cool_off(request) or dt.timedelta(0))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The paused log-in page (AXES_LOCKOUT_CALLABLE): why, when it opens again, and who can help now."""
    handler = AxesProxyHandler.get_implementation()
    ends = handler.pause_ends(request, credentials) if isinstance(handler, LockoutHandler) else clock.now()
    minutes = max(1, -(-int((ends - clock.now()).total_seconds()) // 60))  # rounded up: never "0 minutes"
    context = {
        "by_address": getattr(request, LOCKED_BY, "") == LockedBy.ADDRESS,
        "ends": ends,
        "minutes": minutes,
    }
    return render(request, "registration/locked_out.html", context, status=429)
