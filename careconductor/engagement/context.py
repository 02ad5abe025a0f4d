"""What every portal page shows around its content (whose record, unread messages, the team's number), from
the log-in and record the portal guard left on the request (core.requests.PortalRequest)."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render

from careconductor.core.requests import PortalRequest

from . import queries


def portal_context(request: PortalRequest, nav: str, **extra: Any) -> dict[str, Any]:
    patient = request.portal_patient
    user = request.user
    return {
        "portal_patient": patient,
        "acting_as_proxy": patient.portal_user_id != user.pk,
        "other_records": len(request.portal_choices) > 1,
        "portal_unread": queries.unread_for_patient(patient),
        "team_phone": queries.team_phone(patient),
        "nav": nav,
        **extra,
    }


def render_portal(
    request: PortalRequest, template: str, nav: str, status: int = 200, **extra: Any
) -> HttpResponse:
    """A portal page: `engagement/portal/<template>` in the portal's frame, `nav` the menu item it is under."""
    return render(
        request, f"engagement/portal/{template}", portal_context(request, nav, **extra), status=status
    )
