"""The receiving side's answers: received, accepted, declined with a reason, a date proposed, and how it went.
They come through the organisation's single-use link, its partner log-in, its system (a FHIR Task update), or
from staff who record what the organisation told them by phone."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import policy

from .. import rules
from ..choices import Actor, ReferralStatus
from ..models import Referral
from ..queries import partner_referral
from .links import PARTNER, issue_link, open_link
from .moving import move


def do_record_answer(
    user: User,
    referral: Referral,
    to: ReferralStatus,
    *,
    note: str = "",
    decline_reason: str = "",
    proposed_at: dt.datetime | None = None,
) -> Referral:
    """Staff record the organisation's answer (they called)."""
    policy.require(user, policy.Action.CHANGE, referral.patient)
    with transaction.atomic():
        referral = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        move(
            referral,
            to,
            side=rules.Side.RECEIVER,
            actor=Actor.STAFF,
            user=user,
            note=note or "Recorded by staff",
            decline_reason=decline_reason,
            proposed_at=proposed_at,
        )
    return referral


def do_answer_by_link(
    referral_id: int,
    token: str,
    to: ReferralStatus,
    *,
    note: str = "",
    decline_reason: str = "",
    proposed_at: dt.datetime | None = None,
) -> tuple[Referral, str]:
    """The organisation answers through its link: the link is spent and, while the referral stays open, a new
    one is made for the next step. Returns the referral and the new token ('' when it is closed). Raises
    links.LinkRefused for a link that does not open, ActionRefused for an answer that does not fit."""
    if to not in rules.RECEIVER_MOVES:
        raise ActionRefused({"status": "Choose an answer from the list."})
    # Checked first outside the transaction, so that a refusal's audit event stays when the answer is refused.
    open_link(referral_id, token)
    with transaction.atomic():
        link = open_link(referral_id, token, for_update=True)
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=link.referral_id)
        )
        move(
            referral,
            to,
            side=rules.Side.RECEIVER,
            actor=Actor.PARTNER_LINK,
            user=None,
            note=note,
            decline_reason=decline_reason,
            proposed_at=proposed_at,
            audit_as=PARTNER,
        )
        link.used_at = clock.now()
        link.save(update_fields=["used_at"])
        token = issue_link(referral, by=None)
    return referral, token


def do_answer_as_partner(
    user: User,
    referral_id: int,
    to: ReferralStatus,
    *,
    note: str = "",
    decline_reason: str = "",
    proposed_at: dt.datetime | None = None,
) -> Referral:
    """A partner organisation's user answers a referral sent to it."""
    if to not in rules.RECEIVER_MOVES:
        raise ActionRefused({"status": "Choose an answer from the list."})
    return _partner_moves(user, referral_id, to, Actor.PARTNER_LOGIN, note, decline_reason, proposed_at)


def do_answer_from_fhir(
    user: User,
    referral: Referral,
    to: ReferralStatus,
    *,
    note: str = "",
    decline_reason: str = "",
    proposed_at: dt.datetime | None = None,
) -> Referral:
    """The organisation's system updates the referral's Task. `user` is its API client: a partner account of the
    organisation the referral was sent to."""
    return _partner_moves(user, referral.pk, to, Actor.PARTNER_FHIR, note, decline_reason, proposed_at)


def _partner_moves(
    user: User,
    referral_id: int,
    to: ReferralStatus,
    actor: Actor,
    note: str,
    decline_reason: str,
    proposed_at: dt.datetime | None,
) -> Referral:
    """The receiving organisation's own move, on a referral its log-in or token may read (else NotVisible)."""
    with transaction.atomic():
        referral = partner_referral(user, referral_id, for_update=True)
        move(
            referral,
            to,
            side=rules.Side.RECEIVER,
            actor=actor,
            user=user,
            note=note,
            decline_reason=decline_reason,
            proposed_at=proposed_at,
        )
    return referral
