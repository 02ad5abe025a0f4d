"""Where apps above referrals act on a referral being made without an import cycle: appointments registers, from
its AppConfig.ready(), what links a ride referral to the appointment it is for (the new-referral page passes on
its `appointment` parameter); the FHIR API, what a change of status sends to its subscribers (AFTER_MOVE)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careconductor.accounts.models import User

    from .models import Referral, ReferralEvent

# Called inside the transaction that made the referral, with the page's parameters; raises ActionRefused to undo.
AfterCreate = Callable[["User", "Referral", Mapping[str, str]], None]

AFTER_CREATE: list[AfterCreate] = []


def after_create(fn: AfterCreate) -> AfterCreate:
    if fn not in AFTER_CREATE:
        AFTER_CREATE.append(fn)
    return fn


# Called inside the transaction of each change of a referral's status, after it is saved: the FHIR API numbers the
# event for its subscriptions and queues their notifications for after the commit.
AfterMove = Callable[["Referral", "ReferralEvent"], None]

AFTER_MOVE: list[AfterMove] = []


def after_move(fn: AfterMove) -> AfterMove:
    if fn not in AFTER_MOVE:
        AFTER_MOVE.append(fn)
    return fn
