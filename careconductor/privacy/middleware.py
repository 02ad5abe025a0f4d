from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found

from careconductor.core.errors import NotVisible

from .audit import AuditContext, audit_context

# Views that come from Django itself and are guarded by their own means.
_TRUSTED_MODULES = ("django.views.static", "django.contrib.staticfiles")


class RequirePolicyMiddleware:
    """Deny by default: a view that does not declare an access policy is never run.

    Also sets the audit context (client address, user agent) for everything the request does.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        ctx = AuditContext(
            client_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            purpose="TREAT",
        )
        with audit_context(ctx):
            return self.get_response(request)

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
        return None
