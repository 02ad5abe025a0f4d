from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found

from careconductor.core import clock
from careconductor.core.addresses import request_address
from careconductor.core.database import RETRY_AFTER_SECONDS, is_busy
from careconductor.core.errors import NotVisible

from . import audit, policy
from .audit import AuditContext, audit_context
from .signals import LOGOUT_REASON

# Views that come from Django itself and are guarded by their own means.
_TRUSTED_MODULES = ("django.views.static", "django.contrib.staticfiles")


class RequirePolicyMiddleware:
    """Deny by default: a view that does not declare an access policy is never run.

    Also sets the audit context (client address, user agent) for everything the request does, lets the policy
    decide once per request (policy.deciding_once) and writes the request's read events in one batch
    (audit.batched).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = AuditContext(
            client_address=request_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            purpose="TREAT",
        )
        with audit_context(ctx), policy.deciding_once():
            try:
                with audit.batched_reads():  # the request's reads, written once before the response is sent
                    return self.get_response(request)
            except OperationalError as exc:
                if not is_busy(exc):
                    raise
                return busy_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], view_args: Any, view_kwargs: Any
    ) -> None:
        if getattr(view_func, "access_policy", None):
            return None
        if getattr(view_func, "__module__", "").startswith(_TRUSTED_MODULES):
            return None
        raise PermissionDenied("This page has no access policy.")

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # "Not yours" answers exactly like "not there", so records cannot be enumerated.
        if isinstance(exception, NotVisible):
            return page_not_found(request, exception)
        if is_busy(exception):
            return busy_response(request)
        return None


BUSY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Busy for a moment - CareConductor</title></head>
<body><main><h1>Busy for a moment</h1>
<p>Someone else is saving a large change, so yours could not be saved just now. Nothing was changed.</p>
<p>Please wait a few seconds and try again.</p></main></body></html>
"""
BUSY_OUTCOME = json.dumps(
    {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "transient",
                "diagnostics": "The server is busy; nothing was changed. Try again in a moment.",
            }
        ],
    }
)


def busy_response(request: HttpRequest) -> HttpResponse:
    """The database kept its lock past the busy timeout (core.database.is_busy): 503 and Retry-After, never a
    500. The FHIR API answers an OperationOutcome (fhir.views.busy); a page gets plain words."""
    if request.path.startswith("/fhir/"):
        # The FHIR views answer this themselves (fhir.views.busy); this is for what fails before them.
        response = HttpResponse(BUSY_OUTCOME, status=503, content_type="application/fhir+json; charset=utf-8")
    else:
        response = HttpResponse(BUSY_PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


LOGIN_STARTED = "careconductor_login_started"


class SessionLifetimeMiddleware:
    """An absolute session lifetime on top of the idle time-out (SESSION_COOKIE_AGE): after
    SESSION_ABSOLUTE_SECONDS from log-in the user logs in again, however active they were."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = clock.now().timestamp()
            started = request.session.setdefault(LOGIN_STARTED, now)
            if now - float(started) > settings.SESSION_ABSOLUTE_SECONDS:
                setattr(request, LOGOUT_REASON, "session lifetime reached")
                logout(request)  # audited by the user_logged_out receiver, with the reason
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)


# No inline scripts or styles, nothing from other origins, no framing, forms post only here.
def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """The policy; `form_targets` are other origins a page's form may lead to (a SMART app's redirect address
    after the consent screen, an app's launch address): browsers apply form-action to a form's redirects too."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'self'",
            " ".join(["form-action 'self'", *sorted(set(form_targets))]),
            "frame-ancestors 'none'",
        ]
    )


CONTENT_SECURITY_POLICY = content_security_policy()


class SecurityHeadersMiddleware:
    """Headers Django 5.2 does not set itself (X-Frame-Options, nosniff, Referrer-Policy and HSTS come from
    its SecurityMiddleware and clickjacking middleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response
