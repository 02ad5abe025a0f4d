"""What comes back onto the case: the case manager reads the answer (a decline, a no-show, an outcome) and puts
it on the plan: a progress note on the goal the referral serves, the barrier it addressed marked resolved (or its
response updated), the plan intervention it carried out done. Then the worklist row goes."""

from __future__ import annotations

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.careplans.actions import do_record_progress, do_set_intervention_status, do_update_barrier
from careconductor.careplans.choices import InterventionStatus
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from ..choices import ReferralStatus
from ..models import Referral


def outcome_words(referral: Referral) -> str:
    """'Referral to Weekly food pantry at Harbor Food Bank declined: no capacity. They are full until January.'"""
    status = ReferralStatus(referral.status)
    words = f"Referral to {referral.recipient} {status.label.lower()}"
    if status == ReferralStatus.DECLINED and referral.decline_reason:
        words += f": {referral.get_decline_reason_display().lower()}"
    return sentences(words, referral.outcome_note[:200])


def sentences(*parts: str) -> str:
    """Parts joined as sentences, each ending with one full stop."""
    return " ".join(p if p.endswith((".", "!", "?")) else f"{p}." for p in (p.strip() for p in parts) if p)


def do_acknowledge(
    user: User, referral: Referral, *, note: str = "", resolve_barrier: bool = False
) -> Referral:
    """The case manager has read what came back and put it on the plan."""
    policy.require(user, policy.Action.CHANGE, referral.patient)
    if not referral.needs_attention:
        raise ActionRefused({"note": "Nothing new has come back on this referral."})
    if resolve_barrier and referral.barrier is None:
        raise ActionRefused({"resolve_barrier": "This referral was not made for a barrier."})
    words = outcome_words(referral)
    with transaction.atomic():
        if referral.goal is not None:
            do_record_progress(user, referral.goal, note=sentences(words, note))
        if referral.barrier is not None:
            barrier = referral.barrier
            response = "; ".join(
                p for p in (barrier.response.strip(), f"{clock.today():%-d %b %Y}: {words}") if p
            )
            do_update_barrier(user, barrier, response=response, resolved=resolve_barrier or barrier.resolved)
        intervention = referral.intervention
        if (
            intervention is not None
            and intervention.task_id is None
            and referral.status == ReferralStatus.COMPLETED
            and intervention.status != InterventionStatus.COMPLETED
        ):
            do_set_intervention_status(user, intervention, InterventionStatus.COMPLETED)
        referral.needs_attention = False
        referral.acknowledged_at = clock.now()
        referral.save(update_fields=["needs_attention", "acknowledged_at", "updated_at"])
        audit.record(
            user, AuditAction.UPDATE, patient=referral.patient_id, obj=referral, detail="acknowledged"
        )
    return referral
