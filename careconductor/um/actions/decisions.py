"""Deciding a request (issue 21): approve, partially approve or deny, with the specific reason from the coded list
for anything adverse (CMS-0057-F, clinical.md §8), an authorisation number and validity for what is approved, and
the notices to the member and the provider. Who may decide is rules.move_problems' (only a physician denies; a
nurse approves only with the criteria met). Appeals: filed within the plan's window, decided by another physician
on their own clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .. import rules
from ..choices import NoticeRecipient
from ..models import Appeal, AuthRequest, RequestedService
from .base import add_step, locked_request, um_settings, zone
from .escalation import tell_physicians
from .notices import appeal_notice, decision_notices
from .review import check_move

DECIDING = (rules.Move.APPROVE, rules.Move.PARTIAL, rules.Move.DENY)


@dataclass(frozen=True)
class Decision:
    move: rules.Move
    reason: str = ""
    note: str = ""
    approved_units: Mapping[int, int] = field(default_factory=dict)  # line id → units (a partial approval)
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None


def auth_number(request: AuthRequest, when: dt.datetime) -> str:
    return f"A{when:%y}-{request.pk:06d}"


def do_decide(user: User, request_id: int, decision: Decision) -> AuthRequest:
    if decision.move not in DECIDING:
        raise ActionRefused({"move": "Choose approve, partially approve or deny."})
    with transaction.atomic():
        request = locked_request(user, request_id)
        status = check_move(user, request, decision.move, reason=decision.reason)
        lines = list(request.lines.all())
        if decision.move == rules.Move.DENY:
            _set_units(lines, {line.pk: 0 for line in lines})
        else:
            units = {line.pk: line.units for line in lines}
            if decision.move == rules.Move.PARTIAL:
                units = _partial_units(lines, decision.approved_units)
            _set_units(lines, units)
            _set_validity(request, lines, decision)
        now = clock.now()
        request.status = request.decision = status.value
        request.decided_by, request.decided_at = user, now
        request.reason = decision.reason if decision.move != rules.Move.APPROVE else ""
        request.decision_note = decision.note.strip()
        request.auth_number = auth_number(request, now) if decision.move != rules.Move.DENY else ""
        request.pends.filter(ended_at__isnull=True).update(ended_at=now)
        request.save()
        add_step(request, user, decision.move.value, decision.note.strip())
        decision_notices(user, request)
        audit.record(
            user,
            AuditAction.UPDATE,
            patient=request.patient,
            obj=request,
            detail=f"prior authorisation {status.value}",
        )
    return request


def _partial_units(lines: list[RequestedService], given: Mapping[int, int]) -> dict[int, int]:
    units = {line.pk: given.get(line.pk, line.units) for line in lines}
    if any(not 0 <= units[line.pk] <= line.units for line in lines):
        raise ActionRefused({"approved_units": "Approve between 0 and the units asked for on each line."})
    if all(units[line.pk] == line.units for line in lines) or not any(units.values()):
        raise ActionRefused(
            {
                "approved_units": "A partial approval approves fewer units than asked on some line, and some units."
            }
        )
    return units


def _set_units(lines: list[RequestedService], units: Mapping[int, int]) -> None:
    for line in lines:
        line.approved_units = units[line.pk]
    RequestedService.objects.bulk_update(lines, ["approved_units"])


def _set_validity(request: AuthRequest, lines: list[RequestedService], decision: Decision) -> None:
    starts = [line.start for line in lines if line.start]
    first = min(starts, default=clock.today())
    last = max((line.end or line.start for line in lines if line.start), default=first)
    request.valid_from = decision.valid_from or first
    if (
        request.admitted_on is not None and request.expected_stay_days
    ):  # a stay: the days expected, reviewed on
        stay_end = request.admitted_on + dt.timedelta(days=request.expected_stay_days)
        request.valid_until = decision.valid_until or stay_end
    else:
        request.valid_until = decision.valid_until or max(last, request.valid_from + dt.timedelta(days=89))
    if request.valid_until < request.valid_from:
        raise ActionRefused({"valid_until": "The authorisation cannot end before it starts."})


def do_file_appeal(
    user: User, request_id: int, *, filed_by: NoticeRecipient, urgency: rules.Urgency, grounds: str
) -> Appeal:
    """An appeal the member or provider made (by phone, letter or portal), on its own clock."""
    if not grounds.strip():
        raise ActionRefused({"grounds": "Write down what the appeal says."})
    with transaction.atomic():
        request = locked_request(user, request_id)
        days = um_settings(request.organization_id).appeal_days
        problems = rules.move_problems(
            request.facts, rules.Move.APPEAL, rules.Actor(user.pk, False), now=clock.now(), appeal_days=days
        )
        if problems:
            raise ActionRefused(problems)
        now = clock.now()
        appeal = Appeal.objects.create(
            request=request,
            filed_by=filed_by,
            filed_at=now,
            urgency=urgency.value,
            due_at=rules.appeal_due_at(now, urgency, zone(request.organization)),
            grounds=grounds.strip(),
        )
        request.status = rules.Status.APPEALED.value
        request.waiting_due_at = appeal.due_at
        request.save()
        add_step(
            request,
            user,
            rules.Move.APPEAL.value,
            f"by {appeal.get_filed_by_display().lower()}: {grounds.strip()}",
        )
        audit.record(
            user, AuditAction.CREATE, patient=request.patient, obj=appeal, detail="prior authorisation appeal"
        )
        tell_physicians(request, f"{appeal.get_urgency_display().lower()} appeal filed")
    return appeal


def do_decide_appeal(user: User, request_id: int, *, overturn: bool, note: str) -> AuthRequest:
    """Uphold or overturn the denial: a physician other than the one who made it (rules.move_problems)."""
    if not note.strip():
        raise ActionRefused({"note": "Give the reasons for the appeal's decision."})
    move = rules.Move.OVERTURN if overturn else rules.Move.UPHOLD
    with transaction.atomic():
        request = locked_request(user, request_id)
        reason = request.reason if not overturn else ""
        status = check_move(user, request, move, reason=reason or rules.DenialReason.CRITERIA_NOT_MET.value)
        now = clock.now()
        appeal = request.appeal
        appeal.reviewer, appeal.decided_at, appeal.note = user, now, note.strip()
        appeal.outcome = "overturned" if overturn else "upheld"
        appeal.save()
        if overturn:
            if request.stay_days_denied:  # a stay's days not granted at review: granted now
                request.expected_stay_days = (request.expected_stay_days or 0) + request.stay_days_denied
                request.stay_days_denied = 0
            lines = list(request.lines.all())
            _set_units(lines, {line.pk: line.units for line in lines})
            _set_validity(request, lines, Decision(move))
            request.auth_number = request.auth_number or auth_number(request, now)
        request.status = status.value
        request.save()
        add_step(request, user, move.value, note.strip())
        appeal_notice(user, request, overturn, note.strip())
        audit.record(
            user, AuditAction.UPDATE, patient=request.patient, obj=request, detail=f"appeal {appeal.outcome}"
        )
    return request
