"""View guards. Every URL pattern's view declares one; RequirePolicyMiddleware refuses views without one.

`public`            no login (log-in page, health check)
`signed_in_view`    logged in with a password, second factor not yet given (the second-factor pages)
`staff_view(...)`   logged-in staff who have passed the second factor their role requires, optionally
                    limited to roles; patient rows are then fetched through the `access_*` queries, which
                    apply privacy.policy and audit the read. Responses are never cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

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


def signed_in_view(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    wrapper.access_policy = "signed_in"  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


def needs_second_factor(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.mfa_required and not user.is_verified())  # type: ignore[union-attr]


def staff_view(roles: Iterable[Role] | None = None) -> Callable[[View], View]:
    allowed = frozenset(roles) if roles is not None else STAFF_ROLES

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if needs_second_factor(request):
                return redirect_to_login(request.get_full_path(), login_url="second_factor")
            if user.role not in allowed:
                return refuse(request, "Your role does not include this page.")
            response = view(request, *args, **kwargs)
            add_never_cache_headers(response)  # pages hold patient data: no copies in browser or proxy caches
            return response

        wrapper.access_policy = "staff"  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
