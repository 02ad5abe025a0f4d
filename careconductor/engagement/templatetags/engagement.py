"""The self-management card on the chart. A template tag, so the chart app need not import engagement."""

from __future__ import annotations

from typing import Any

from django import template

from ..queries import self_management

register = template.Library()


@register.inclusion_tag("engagement/staff/_self_management_card.html")
def self_management_card(patient: Any, active_flags: Any = None) -> dict[str, Any]:
    """The page has already opened the patient's record through access_*. `active_flags`: the patient's
    active flags when the page has read them (the chart's header), so the card does not read them again."""
    return {"patient": patient, "s": self_management(patient, active_flags)}
