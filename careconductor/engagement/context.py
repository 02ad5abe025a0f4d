"""What every portal page shows around its content: whose record, unread messages, the team's number."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from careconductor.accounts.models import User
from careconductor.patients.models import Patient

from . import queries


def portal_context(request: HttpRequest, nav: str, **extra: Any) -> dict[str, Any]:
    patient: Patient = request.portal_patient  # type: ignore[attr-defined]
    user: User = request.user  # type: ignore[assignment]
    return {
        "portal_patient": patient,
        "acting_as_proxy": patient.portal_user_id != user.pk,
        "other_records": len(request.portal_choices) > 1,  # type: ignore[attr-defined]
        "portal_unread": queries.unread_for_patient(patient),
        "team_phone": queries.team_phone(patient),
        "nav": nav,
        **extra,
    }
