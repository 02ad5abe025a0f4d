"""Reviewing a request (issue 21): taking it up, pending it for information and resuming it, answering the review
criteria, sending it to a physician, the peer-to-peer conversation, withdrawing. Every move is asked of
rules.move_problems (who may make it from where) and kept as a step of the request's history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.engagement import attachments as checked_files
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .. import criteria, rules
from ..choices import ExtensionAskedBy, NoticeKind, NoticeRecipient
from ..models import AuthRequest, PendPeriod
from .base import actor, add_step, keep_files, locked_request, recompute_due, zone
from .escalation import tell_physicians
from .notices import add_notice, extension_notices, information_request, stay_notices


def check_move(user: User, request: AuthRequest, move: rules.Move, *, reason: str = "") -> rules.Status:
    """The status the move leads to; ActionRefused with the rules' words when it may not be made."""
    problems = rules.move_problems(request.facts, move, actor(user), reason=reason, now=clock.now())
    if problems:
        raise ActionRefused(problems)
    return rules.next_status(request.facts, move)


def _changed(user: User, request: AuthRequest, move: rules.Move, note: str = "") -> None:
    request.save()
    add_step(request, user, move.value, note)
    audit.record(
        user,
        AuditAction.UPDATE,
        patient=request.patient,
        obj=request,
        detail=f"prior authorisation {move.value}",
    )


def do_take_review(user: User, request_id: int) -> AuthRequest:
    """The reviewer takes the request up (it is theirs from now on)."""
    with transaction.atomic():
        request = locked_request(user, request_id)
        request.status = check_move(user, request, rules.Move.REVIEW).value
        request.reviewer = user
        _changed(user, request, rules.Move.REVIEW)
    return request


def pend(user: User, request: AuthRequest, asked: str, reply_by: dt.date | None = None) -> PendPeriod:
    """Pend the (locked) request for what the provider must send, and write them the request for information."""
    now = clock.now()
    request.status = check_move(user, request, rules.Move.PEND).value
    reply_by = reply_by or rules.reply_due_on(now, rules.Urgency(request.urgency), zone(request.organization))
    period = PendPeriod.objects.create(request=request, started_at=now, asked=asked, reply_due_on=reply_by)
    recompute_due(request)
    _changed(user, request, rules.Move.PEND, asked)
    subject, body = information_request(request, asked, reply_by)
    add_notice(user, request, NoticeKind.PEND, NoticeRecipient.PROVIDER, "en", subject, body)
    return period


def do_pend(user: User, request_id: int, asked: str, reply_by: dt.date | None = None) -> AuthRequest:
    if not asked.strip():
        raise ActionRefused({"asked": "Say what the provider must send."})
    if reply_by is not None and reply_by < clock.today():
        raise ActionRefused({"reply_by": "The reply cannot be due before today."})
    with transaction.atomic():
        request = locked_request(user, request_id)
        pend(user, request, asked.strip(), reply_by)
    return request


def do_resume(
    user: User, request_id: int, note: str = "", *, files: Sequence[UploadedFile] = ()
) -> AuthRequest:
    """The information came (words, documents or both): the pend ends (and under CLOCK_STOPS the due time moves
    by the time pended)."""
    checked = checked_files.check_all(list(files))
    with transaction.atomic():
        request = locked_request(user, request_id)
        keep_files(request, user, checked)
        request.status = check_move(user, request, rules.Move.RESUME).value
        request.pends.filter(ended_at__isnull=True).update(ended_at=clock.now())
        recompute_due(request)
        if note.strip():
            request.clinical_notes = f"{request.clinical_notes}\n\n{note.strip()}".strip()
        _changed(user, request, rules.Move.RESUME, note.strip())
    return request


def do_answer_criteria(
    user: User, request_id: int, criteria_id: str, answers: dict[str, str]
) -> criteria.Evaluation:
    """Keep the reviewer's answers to a criteria set that applies to the request's services, and whether they
    meet it (None while an answer that could decide it is missing)."""
    with transaction.atomic():
        request = locked_request(user, request_id)
        if request.status not in (rules.Status.IN_REVIEW, rules.Status.PHYSICIAN_REVIEW):
            raise ActionRefused("Take the request into review before answering the criteria.")
        chosen = criteria.all_criteria().get(criteria_id)
        codes = set(request.lines.values_list("code", flat=True))
        if chosen is None or not codes & set(chosen.services):
            raise ActionRefused({"criteria": "Choose a criteria set for this request's services."})
        valid = {q.id: q.answers for q in chosen.questions}
        kept = {k: v for k, v in answers.items() if k in valid and v in valid[k]}
        result = criteria.evaluate(chosen, kept)
        request.criteria_set, request.criteria_answers, request.criteria_met = chosen.id, kept, result.met
        words = {True: "met", False: "not met", None: "not all answered"}[result.met]
        request.save()
        add_step(request, user, "criteria", f"{chosen.title}: {words}")
        audit.record(
            user, AuditAction.UPDATE, patient=request.patient, obj=request, detail="criteria answered"
        )
    return result


def do_send_to_physician(user: User, request_id: int, note: str = "") -> AuthRequest:
    with transaction.atomic():
        request = locked_request(user, request_id)
        request.status = check_move(user, request, rules.Move.TO_PHYSICIAN).value
        _changed(user, request, rules.Move.TO_PHYSICIAN, note.strip())
        tell_physicians(request, "sent for physician review")
    return request


def do_record_peer_to_peer(user: User, request_id: int, *, held: bool, note: str) -> AuthRequest:
    """A peer-to-peer conversation offered to the requesting provider, or held (with what was said)."""
    if held and not note.strip():
        raise ActionRefused({"note": "Write down what was discussed."})
    with transaction.atomic():
        request = locked_request(user, request_id)
        now = clock.now()
        request.peer_to_peer_offered_at = request.peer_to_peer_offered_at or now
        if held:
            request.peer_to_peer_held_at = now
            request.peer_to_peer_note = note.strip()
        request.save()
        add_step(request, user, "peer-to-peer", ("held: " if held else "offered. ") + note.strip())
        audit.record(user, AuditAction.UPDATE, patient=request.patient, obj=request, detail="peer to peer")
    return request


def do_withdraw(user: User, request_id: int, note: str) -> AuthRequest:
    if not note.strip():
        raise ActionRefused({"note": "Say who withdrew it and why."})
    with transaction.atomic():
        request = locked_request(user, request_id)
        request.status = check_move(user, request, rules.Move.WITHDRAW).value
        request.pends.filter(ended_at__isnull=True).update(ended_at=clock.now())
        _changed(user, request, rules.Move.WITHDRAW, note.strip())
    return request


def do_extend(user: User, request_id: int, *, days: int, asked_by: str, reason: str) -> AuthRequest:
    """More time to decide, once (rules.MAX_EXTENSION_DAYS): the due time moves, the member and the provider are
    told why and until when."""
    problems: dict[str, str] = {}
    if not 1 <= days <= rules.MAX_EXTENSION_DAYS:
        problems["days"] = f"Extend by 1 to {rules.MAX_EXTENSION_DAYS} calendar days."
    if asked_by not in ExtensionAskedBy.values:
        problems["asked_by"] = "Say who asked: the member, or the plan because it needs information."
    if not reason.strip():
        problems["reason"] = "Say why: the member's letter gives this reason."
    if problems:
        raise ActionRefused(problems)
    with transaction.atomic():
        request = locked_request(user, request_id)
        request.status = check_move(user, request, rules.Move.EXTEND).value
        request.extended_at = clock.now()
        request.extension_days = days
        request.extension_asked_by = asked_by
        request.extension_reason = reason.strip()
        recompute_due(request)
        _changed(user, request, rules.Move.EXTEND, f"{days} days: {reason.strip()}")
        extension_notices(user, request)
    return request


def do_review_stay(
    user: User,
    request_id: int,
    *,
    extra_days: int,
    next_review_on: dt.date | None,
    note: str,
    asked_days: int | None = None,
    reason: str = "",
) -> AuthRequest:
    """Concurrent review of an inpatient stay: the days the hospital asked to add (`asked_days`, the same as those
    granted when not given) and those granted, and the next review date, or none when the member went home.
    Granting fewer than asked is a physician's partial denial with a coded reason: the request becomes partially
    approved (open to appeal) and the member and the hospital get the decision."""
    asked = extra_days if asked_days is None else asked_days
    if not 0 <= extra_days <= 60 or not 0 <= asked <= 60:
        raise ActionRefused({"extra_days": "Add 0 to 60 days."})
    if not note.strip():
        raise ActionRefused({"note": "Say what the hospital reported."})
    if problems := rules.stay_review_problems(asked, extra_days, actor(user), reason):
        raise ActionRefused(problems)
    today = clock.today()
    if next_review_on is not None and not today <= next_review_on <= today + dt.timedelta(days=30):
        raise ActionRefused(
            {"next_review_on": "Give a review date in the next 30 days, or none when discharged."}
        )
    with transaction.atomic():
        request = locked_request(user, request_id)
        if request.setting != "inpatient" or request.admitted_on is None:
            raise ActionRefused("Only an inpatient stay has concurrent review.")
        if request.status not in (rules.Status.IN_REVIEW, rules.Status.APPROVED, rules.Status.PARTIAL):
            raise ActionRefused("Review a stay while it is in review or authorised.")
        request.expected_stay_days = (request.expected_stay_days or 0) + extra_days
        if request.valid_until is not None and extra_days:
            request.valid_until = request.admitted_on + dt.timedelta(days=request.expected_stay_days)
        request.next_review_on = next_review_on
        denied = asked - extra_days
        if denied:
            if request.status not in rules.DECIDED:
                raise ActionRefused("Decide the admission first; then review the days asked for.")
            request.status = rules.Status.PARTIAL.value
            request.reason = reason
            request.decided_by = (
                user  # the adverse decision an appeal is about: its physician may not decide it
            )
            request.stay_days_denied += denied
        request.save()
        words = (
            f"+{extra_days} day(s), expected stay {request.expected_stay_days} days; " if extra_days else ""
        )
        if denied:
            words = f"{asked} day(s) asked, {denied} not granted ({reason}); " + words
        words += f"next review {next_review_on:%b %-d}" if next_review_on else "review ended (discharged)"
        add_step(request, user, "review-date", f"{words}. {note.strip()}")
        if denied:
            stay_notices(user, request, asked, extra_days, note.strip())
        audit.record(
            user, AuditAction.UPDATE, patient=request.patient, obj=request, detail="concurrent review"
        )
    return request
