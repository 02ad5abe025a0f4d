"""The notices a request's decisions send (issue 21), kept as they went out (models.Notice; the PDF is made from
what is kept): the decision to the member, in their language, with the specific reason and appeal rights, and to
the provider; the request for information to the provider; the appeal's outcome to the member."""

from __future__ import annotations

import datetime as dt

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.letters.drafting import letterhead, patient_address

from .. import criteria, notice_text, rules
from ..choices import REASON_LABELS, NoticeKind, NoticeRecipient
from ..models import AuthRequest, Notice
from .base import member_name, services_words, um_settings, zone


def add_notice(
    user: User | None,
    request: AuthRequest,
    kind: NoticeKind,
    recipient: NoticeRecipient,
    language: str,
    subject: str,
    body: str,
) -> Notice:
    to_member = recipient == NoticeRecipient.MEMBER
    return Notice.objects.create(
        request=request,
        kind=kind,
        recipient=recipient,
        language=language,
        recipient_name=member_name(request) if to_member else request.requesting_provider,
        recipient_address=patient_address(request.patient) if to_member else "",
        letterhead=letterhead(request.organization, language),
        subject=subject,
        body=body,
        sent_at=clock.now(),
        sent_by=user,
    )


def information_request(request: AuthRequest, asked: str, reply_by: dt.date) -> tuple[str, str]:
    return notice_text.information_request(
        request.reference, member_name(request), asked, reply_by, request.organization.phone
    )


def decision_notices(user: User, request: AuthRequest) -> list[Notice]:
    """The decision to the member (their language) and to the provider."""
    status = rules.Status(request.status)
    appeal_by = None
    if status in rules.ADVERSE:
        appeal_by = _appeal_by(request, request.decided_at or clock.now())
    return _send_decision(
        user, request, _facts(request, services_words(request), appeal_by, request.decision_note)
    )


def stay_notices(user: User, request: AuthRequest, asked: int, granted: int, note: str) -> list[Notice]:
    """A concurrent review that granted fewer days than the hospital asked for: a partial approval of the stay."""
    services = f"{asked} more day(s) in hospital at {request.servicing_provider}; {granted} approved"
    return _send_decision(user, request, _facts(request, services, _appeal_by(request, clock.now()), note))


def _appeal_by(request: AuthRequest, decided: dt.datetime) -> dt.date:
    return clock.localdate(decided) + dt.timedelta(days=um_settings(request.organization_id).appeal_days)


def _facts(request: AuthRequest, services: str, appeal_by: dt.date | None, note: str) -> notice_text.Decision:
    return notice_text.Decision(
        reference=request.reference,
        member_name=member_name(request),
        services=services,
        status=rules.Status(request.status),
        reason_en=REASON_LABELS[rules.DenialReason(request.reason)] if request.reason else "",
        reason_code=request.reason,
        note=note,
        auth_number=request.auth_number,
        valid_from=request.valid_from,
        valid_until=request.valid_until,
        appeal_by=appeal_by,
        organisation=request.organization.name,
        phone=request.organization.phone,
    )


def _send_decision(user: User, request: AuthRequest, facts: notice_text.Decision) -> list[Notice]:
    language = notice_text.notice_language(request.patient.preferred_language)
    chosen = criteria.all_criteria().get(request.criteria_set)
    return [
        add_notice(user, request, NoticeKind.DECISION, NoticeRecipient.MEMBER, language,
                   *notice_text.decision_to_member(facts, language)),
        add_notice(user, request, NoticeKind.DECISION, NoticeRecipient.PROVIDER, "en",
                   *notice_text.decision_to_provider(facts, chosen.title if chosen else "")),
    ]  # fmt: skip


def appeal_notice(user: User, request: AuthRequest, overturned: bool, note: str) -> Notice:
    language = notice_text.notice_language(request.patient.preferred_language)
    subject, body = notice_text.appeal_outcome(
        request.reference, member_name(request), overturned, note, language
    )
    return add_notice(user, request, NoticeKind.APPEAL, NoticeRecipient.MEMBER, language, subject, body)


def extension_notices(user: User, request: AuthRequest) -> list[Notice]:
    """More time: to the member (their language) and a copy to the provider."""
    new_due = request.due_at.astimezone(zone(request.organization)).date()
    language = notice_text.notice_language(request.patient.preferred_language)
    words = request.extension_reason
    return [
        add_notice(user, request, NoticeKind.EXTENSION, NoticeRecipient.MEMBER, language,
                   *notice_text.extension_notice(request.reference, member_name(request), new_due, words,
                                                 request.organization.phone, language)),
        add_notice(user, request, NoticeKind.EXTENSION, NoticeRecipient.PROVIDER, "en",
                   *notice_text.extension_notice(request.reference, member_name(request), new_due, words,
                                                 request.organization.phone, "en")),
    ]  # fmt: skip
