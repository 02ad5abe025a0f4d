"""View guards. Every URL pattern's view declares one; RequirePolicyMiddleware refuses views without one.

`public`            no login (log-in page, health check)
`staff_view(...)`   logged-in staff, optionally limited to roles; patient rows are then fetched through
                    the `access_*` queries, which apply privacy.policy and audit the read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from careconductor.accounts.choices import STAFF_ROLES, Role

from . import audit
from .choices import AuditAction, AuditOutcome

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def public(view: View) -> View:
    view.access_policy = "public"  # type: ignore[attr-defined]
    return view


def refuse(request: HttpRequest, reason: str, status: int = 403) -> HttpResponse:
    """Answer a refusal in plain words and record it."""
    audit.record(
        request.user,  # type: ignore[arg-type]
        AuditAction.REFUSED,
        object_type="View",
        object_id=request.resolver_match.view_name if request.resolver_match else "",
        outcome=AuditOutcome.MINOR_FAILURE,
        detail=reason,
    )
    return render(request, "refused.html", {"reason": reason}, status=status)


def staff_view(roles: Iterable[Role] | None = None) -> Callable[[View], View]:
    allowed = frozenset(roles) if roles is not None else STAFF_ROLES

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in allowed:
                return refuse(request, "Your role does not include this page.")
            return view(request, *args, **kwargs)

        wrapper.access_policy = "staff"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
