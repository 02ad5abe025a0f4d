"""What every portal page shows around its content (whose record, unread messages, the team's number), and
the request's log-in and record as the portal guard left them."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careconductor.accounts.models import User
from careconductor.patients.models import Patient

from . import queries


def portal_user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def portal_patient(request: HttpRequest) -> Patient:
    """The record the portal acts for (set by `guards.portal_view`)."""
    return request.portal_patient  # type: ignore[attr-defined]


def portal_context(request: HttpRequest, nav: str, **extra: Any) -> dict[str, Any]:
    patient = portal_patient(request)
    user = portal_user(request)
    return {
        "portal_patient": patient,
        "acting_as_proxy": patient.portal_user_id != user.pk,
        "other_records": len(request.portal_choices) > 1,  # type: ignore[attr-defined]
        "portal_unread": queries.unread_for_patient(patient),
        "team_phone": queries.team_phone(patient),
        "nav": nav,
        **extra,
    }


def render_portal(
    request: HttpRequest, template: str, nav: str, status: int = 200, **extra: Any
) -> HttpResponse:
    """A portal page: `engagement/portal/<template>` in the portal's frame, `nav` the menu item it is under."""
    return render(
        request, f"engagement/portal/{template}", portal_context(request, nav, **extra), status=status
    )
