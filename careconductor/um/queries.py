"""Reading prior-authorisation requests, always through the access policy (policy.um_rows: a UM reviewer or
medical director reads their organisation's requests, never the chart; the member's case staff read them on the
chart; the sensitivity rules apply to both). Reads of patient data are audited here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from . import rules
from .models import Attachment, AuthRequest, Notice, Step

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
OPEN_WORK = [s.value for s in (*rules.OPEN, rules.Status.APPEALED)]


def find_member(user: User, member_id: str, birth_date: dt.date) -> Patient:
    """The member a UM worker takes a request for: their plan member ID and birth date must both match (the call
    centre's check). The lookup shows no list of members; a miss is one refusal, whatever did not match."""
    if user.role not in policy.UM_ROLES or user.organization_id is None:
        raise ActionRefused(
            "Only UM reviewers and the medical director take in prior-authorisation requests."
        )
    member_id = member_id.strip()
    found = (
        Patient.objects.filter(
            organization_id=user.organization_id,
            birth_date=birth_date,
            coverages__member_id=member_id,
        )
        .distinct()
        .first()
        if member_id
        else None
    )
    if found is None:
        raise ActionRefused({"member_id": "No member of this plan has this member ID and birth date."})
    audit.record(
        user, AuditAction.READ, patient=found, obj=found, detail="member lookup for prior authorisation"
    )
    return found


def _whole(rows: QuerySet[AuthRequest]) -> QuerySet[AuthRequest]:
    return rows.select_related(
        "patient", "organization", "coverage", "reviewer", "decided_by", "received_by", "referred_case"
    ).prefetch_related(
        "lines",
        "pends",
        "attachments",
        "notices",
        Prefetch("steps", queryset=Step.objects.select_related("by")),
    )


def access_request(user: User, request_id: int) -> AuthRequest:
    """One request the user may read, with everything its page shows; NotVisible as if missing."""
    found = _whole(policy.um_rows(user)).filter(pk=request_id).first()
    if found is None:
        raise NotVisible
    audit.record(
        user, AuditAction.READ, patient=found.patient, obj=found, detail="prior authorisation request"
    )
    return found


@dataclass(frozen=True)
class WorkRow:
    request: AuthRequest
    due_at: dt.datetime  # the decision's, or the appeal's while appealed
    clock: rules.ClockState
    appeal: bool

    @property
    def left(self) -> str:
        return rules.left_words(self.clock.left)


FILTERS = {
    "all": "All open",
    "mine": "Mine",
    "unassigned": "Not taken up",
    "physician": "For a physician",
    "pended": "Pended",
}
LIMIT = 100  # the most urgent; the filters (mine, not taken up, for a physician, pended) narrow the rest


def worklist(user: User, which: str = "all") -> tuple[list[WorkRow], int]:
    """The open requests and appeals, most urgent first (least time left; breached ones at the top), with each
    one's clock; and how many there are in all (the page shows the first LIMIT). Read in order from the
    (organisation, waiting_due_at) index: decided requests have none, so they cost nothing however many. The
    rows' members are audited as one batch."""
    if user.role not in policy.UM_ROLES:
        raise NotVisible
    # `> a day long past` rather than `IS NOT NULL`: SQLite then counts along the index instead of the table.
    rows = policy.um_rows(user).filter(waiting_due_at__gt=LONG_AGO)
    if which == "mine":
        rows = rows.filter(reviewer=user)
    elif which == "unassigned":
        rows = rows.filter(status=rules.Status.RECEIVED.value)
    elif which == "physician":
        rows = rows.filter(status__in=[rules.Status.PHYSICIAN_REVIEW.value, rules.Status.APPEALED.value])
    elif which == "pended":
        rows = rows.filter(status=rules.Status.PENDED.value)
    shown = list(
        rows.select_related("patient", "reviewer", "appeal")
        .prefetch_related("lines")
        .order_by("waiting_due_at", "pk")[:LIMIT]
    )
    total = len(shown) if len(shown) < LIMIT else rows.count()
    now = clock.now()
    work = []
    for request in shown:
        appeal = getattr(request, "appeal", None) if request.status == rules.Status.APPEALED else None
        start = appeal.filed_at if appeal else request.received_at
        due = request.waiting_due_at or request.due_at
        work.append(WorkRow(request, due, rules.clock_state(start, due, now), appeal is not None))
    audit.record_reads(user, [row.request.patient for row in work], object_type="AuthRequest")
    return work, total


def stay_reviews_due(user: User) -> list[AuthRequest]:
    """Inpatient stays whose concurrent review date has come, earliest first (the worklist's second list)."""
    if user.role not in policy.UM_ROLES:
        raise NotVisible
    found = list(
        policy.um_rows(user)
        .filter(
            setting="inpatient",
            next_review_on__lte=clock.today(),
            status__in=[
                rules.Status.IN_REVIEW.value,
                rules.Status.APPROVED.value,
                rules.Status.PARTIAL.value,
            ],
        )
        .select_related("patient", "reviewer")
        .order_by("next_review_on", "pk")[:LIMIT]
    )
    audit_rows(user, found)
    return found


def audit_rows(user: User, requests: list[AuthRequest]) -> None:
    """A list page's rows, read: one event per member shown, in one batch."""
    audit.record_reads(user, [r.patient for r in requests], object_type="AuthRequest")


def requests_of(user: User, patient: Patient) -> list[AuthRequest]:
    """The member's requests on the chart, newest first (the patient was fetched through access_patient, which
    audited the chart's read)."""
    return list(
        policy.um_rows(user)
        .filter(patient=patient)
        .prefetch_related("lines")
        .order_by("-received_at", "-pk")[:20]
    )


def access_notice(user: User, notice_id: int) -> Notice:
    found = (
        Notice.objects.filter(pk=notice_id, request__in=policy.um_rows(user))
        .select_related("request", "request__patient")
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(
        user, AuditAction.PRINT, patient=found.request.patient, obj=found, detail="prior authorisation notice"
    )
    return found


def access_attachment(user: User, attachment_id: int) -> Attachment:
    found = (
        Attachment.objects.filter(pk=attachment_id, request__in=policy.um_rows(user))
        .select_related("request", "request__patient")
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(
        user,
        AuditAction.READ,
        patient=found.request.patient,
        obj=found,
        detail="prior authorisation attachment",
    )
    return found
