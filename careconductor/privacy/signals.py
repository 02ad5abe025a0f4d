"""Log-in, log-out and failed log-in events come from Django's auth signals: the only way to see them."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from careconductor.accounts.lockout import LOCKED_BY
from careconductor.accounts.rules import LockedBy

from . import audit
from .choices import AuditAction, AuditOutcome


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit.record(user, AuditAction.LOGIN)


# Set on the request by code that logs a user out on its own initiative (e.g. the session lifetime), so the
# one log-out event says why.
LOGOUT_REASON = "careconductor_logout_reason"


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(user, AuditAction.LOGOUT, detail=str(getattr(request, LOGOUT_REASON, "")))


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The typed user name is kept so repeated guessing shows up; the password never is.
    audit.record(
        None,
        AuditAction.LOGIN_FAILED,
        username=str(credentials.get("username", "")),
        outcome=AuditOutcome.MINOR_FAILURE,
    )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any = None, username: str = "", **kwargs: Any) -> None:
    # django-axes sends this when failures reach a limit (it has just counted them) and again for each attempt
    # refused while log-in is paused (it counted nothing then). The request's client address is in the event.
    reason = getattr(request, LOCKED_BY, LockedBy.NOTHING)
    counted = getattr(request, "axes_failures_since_start", None) is not None
    audit.record(
        None,
        AuditAction.LOCKED_OUT,
        username=str(username or ""),
        object_type="Login",
        outcome=AuditOutcome.MINOR_FAILURE,
        detail=f"{'locked out' if counted else 'refused while locked out'}: {_LOCKED_BY_WORDS.get(reason, '')}",
    )


_LOCKED_BY_WORDS = {
    LockedBy.USER_AT_ADDRESS: "repeated failed log-ins with this user name from this address",
    LockedBy.ADDRESS: "repeated failed log-ins from this address with any user name",
}
