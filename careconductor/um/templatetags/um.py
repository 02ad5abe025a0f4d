"""The prior authorisations card on the chart (issue 21: the case manager sees the member's authorisations). A
template tag, so the chart app need not import um."""

from __future__ import annotations

from typing import Any

from django import template

from ..choices import STATUS_LABELS
from ..queries import requests_of
from ..rules import Status

register = template.Library()


@register.inclusion_tag("um/_card.html", takes_context=True)
def authorisation_card(context: dict[str, Any], patient: Any) -> dict[str, Any]:
    """The page has already opened the patient's record through access_* (one query, through the policy)."""
    rows = requests_of(context["request"].user, patient)
    return {
        "patient": patient,
        "rows": [(r, STATUS_LABELS[Status(r.status)]) for r in rows],
    }
