"""What the clock starts (issue 21): a request past its due time is counted as breached and the medical
directors are told (the worker's sweep, tasks.py); a request or appeal that comes to a physician tells them; and a
denial, a repeated request or a long stay can refer the member to case management (a referral into intake with the
reason, which the receiving team's supervisor takes up)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_refer_case
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.notify import do_notify
from careconductor.core import clock
from careconductor.core.errors import ActionRefused

from .. import rules
from ..models import AuthRequest
from .base import add_step, locked_request


def medical_directors(organization_id: int) -> list[User]:
    return list(
        User.objects.filter(organization_id=organization_id, role=Role.MEDICAL_DIRECTOR, is_active=True)
    )


def do_mark_breaches(now: dt.datetime | None = None) -> int:
    """Every open request past its due time that nobody has been told of yet: marked (counted in the metrics) and
    its organisation's medical directors notified. Safe to run again: a marked request is not marked twice."""
    now = now or clock.now()
    marked = 0
    late = AuthRequest.objects.filter(
        status__in=[s.value for s in rules.OPEN], due_at__lte=now, breached_at__isnull=True
    ).select_related("patient")
    for request in late:
        with transaction.atomic():
            updated = AuthRequest.objects.filter(pk=request.pk, breached_at__isnull=True).update(
                breached_at=now
            )
            if not updated:
                continue
            request.breached_at = now
            add_step(request, None, "breached", f"due {request.due_at:%Y-%m-%d %H:%M} UTC")
            do_notify(
                medical_directors(request.organization_id),
                NotificationKind.PRIOR_AUTH,
                f"{request.reference} is past due ({request.get_urgency_display().lower()})",
                body="The decision was due and has not been made. Open the request to decide it or reassign it.",
                url=reverse("um:request", args=[request.pk]),
            )
            marked += 1
    return marked


def tell_physicians(request: AuthRequest, title: str) -> None:
    """A request sent for physician review, or an appeal filed: the medical directors see it in their worklist and
    are told now (an expedited one cannot wait for them to look)."""
    do_notify(
        medical_directors(request.organization_id),
        NotificationKind.PRIOR_AUTH,
        f"{request.reference}: {title}",
        url=reverse("um:request", args=[request.pk]),
    )


def do_refer_to_case_management(user: User, request_id: int, *, program: Program, reason: str) -> Case:
    if not reason.strip():
        raise ActionRefused({"reason": "Say why the member needs case management."})
    with transaction.atomic():
        request = locked_request(user, request_id)
        if request.referred_case_id is not None:
            raise ActionRefused("The member was already referred to case management from this request.")
        case = do_refer_case(
            user,
            request.patient,
            program=program,
            referral_source=ReferralSource.UTILISATION,
            referral_reason=f"{reason.strip()} (prior authorisation {request.reference})",
        )
        request.referred_case = case
        request.save()
        add_step(request, user, "referred", f"{program.label}: {reason.strip()}")
        supervisor = case.team.supervisor if case.team else None
        if supervisor is not None:
            do_notify(
                [supervisor],
                NotificationKind.HANDOVER,
                f"{program.label} referral from utilisation management",
                body=f"{reason.strip()}. Assign a case manager.",
                url=reverse("patients:chart", args=[request.patient_id]),
                patient=request.patient,
            )
    return case
