"""The appointments card on the chart. A template tag, so the chart app need not import appointments."""

from __future__ import annotations

from typing import Any

from django import template

from ..queries import upcoming

register = template.Library()


@register.inclusion_tag("appointments/_card.html")
def appointment_card(patient: Any) -> dict[str, Any]:
    """The page has already opened the patient's record through access_* (one query)."""
    return {"patient": patient, "coming": upcoming(patient)}
