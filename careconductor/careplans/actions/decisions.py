"""Shared decisions: the options weighed with the patient and what was decided."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy.choices import AuditAction

from ..models import (
    CarePlan,
    SharedDecision,
)
from .plans import _changed, _editing


def do_record_decision(
    user: User,
    plan: CarePlan,
    *,
    question: str,
    options: list[dict[str, str]],
    what_matters: str,
    decision: str,
    participants: str,
    decided_on: dt.date,
) -> SharedDecision:
    errors: dict[str, str] = {}
    if not question.strip():
        errors["question"] = "Say what had to be decided."
    if len([o for o in options if o.get("option", "").strip()]) < 2:
        errors["options"] = "Record at least two options that were weighed (doing nothing can be one)."
    if not what_matters.strip():
        errors["what_matters"] = "Write what matters most to the patient, in their words."
    if not decision.strip():
        errors["decision"] = "Record the decision (or that it was deferred, and why)."
    if not participants.strip():
        errors["participants"] = "Say who took part."
    if decided_on > clock.today():
        errors["decided_on"] = "The decision cannot be dated in the future."
    if errors:
        raise ActionRefused(errors)
    kept = [
        {k: str(o.get(k, "")).strip()[:1000] for k in ("option", "benefits", "burdens")}
        for o in options
        if str(o.get("option", "")).strip()
    ]
    with transaction.atomic():
        _editing(user, plan)
        record = SharedDecision.objects.create(
            plan=plan,
            question=question.strip()[:300],
            options=kept,
            what_matters=what_matters.strip(),
            decision=decision.strip(),
            participants=participants.strip()[:300],
            decided_on=decided_on,
            recorded_by=user,
        )
        _changed(user, plan, record, AuditAction.CREATE)
    return record
