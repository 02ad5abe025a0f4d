"""The chart's referral card (`{% load referrals %}{% referral_card patient %}`): the patient's open referrals
and what came back, one query. The page has already opened the patient's record through access_*."""

from __future__ import annotations

from typing import Any

from django import template

from careconductor.privacy import policy

from .. import rules
from ..queries import patient_referrals

register = template.Library()


@register.inclusion_tag("referrals/_card.html", takes_context=True)
def referral_card(context: dict[str, Any], patient: Any) -> dict[str, Any]:
    user = context["request"].user
    referrals = patient_referrals(user, patient)
    return {
        "patient": patient,
        "shown": [r for r in referrals if r.needs_attention or not rules.is_terminal(r.status)][:6],
        "closed": sum(1 for r in referrals if rules.is_terminal(r.status) and not r.needs_attention),
        "may_change": policy.may(user, policy.Action.CHANGE, patient),
    }
