"""Log-in, log-out and failed log-in events come from Django's auth signals: the only way to see them."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

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
    audit.record(
        None,
        AuditAction.REFUSED,
        username=str(username or ""),
        object_type="Login",
        outcome=AuditOutcome.MINOR_FAILURE,
        detail="locked out after repeated failed log-ins",
    )
