"""What the UM actions share: who may act, the organisation's UM settings and zone, fetching a request to change
it (through the policy, locked), writing a step of its history, and the member's words for notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.conf import settings

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import Organization, StaffProfile, User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.engagement import attachments as checked_files
from careconductor.privacy import policy

from .. import rules
from ..models import Attachment, AuthRequest, Step, UmSettings

NOT_UM = "Only UM reviewers and the medical director work on prior-authorisation requests."


def require_um(user: User) -> int:
    """The UM worker's organisation; ActionRefused for anyone else."""
    if user.role not in policy.UM_ROLES or user.organization_id is None or not user.is_active:
        raise ActionRefused(NOT_UM)
    return user.organization_id


def is_physician(user: User) -> bool:
    """A medical director, or a UM reviewer who is a physician (their staff profile's discipline)."""
    if user.role == Role.MEDICAL_DIRECTOR:
        return True
    return (
        user.role == Role.UM_REVIEWER
        and StaffProfile.objects.filter(user=user, discipline=Discipline.PHYSICIAN).exists()
    )


def actor(user: User) -> rules.Actor:
    return rules.Actor(user_id=user.pk, physician=is_physician(user))


def um_settings(organization_id: int) -> UmSettings:
    """The organisation's UM settings, or the defaults (unsaved) when it has not set any."""
    found = UmSettings.objects.filter(organization_id=organization_id).first()
    return found or UmSettings(organization_id=organization_id)


def zone(organization: Organization) -> ZoneInfo:
    return ZoneInfo(organization.time_zone or settings.TIME_ZONE)


def locked_request(user: User, request_id: int) -> AuthRequest:
    """The request, locked for the change, if the user may read it and is a UM worker; NotVisible as if missing."""
    require_um(user)
    found = (
        policy.um_rows(user)
        .select_for_update()
        .select_related("patient", "organization")
        .filter(pk=request_id)
        .first()
    )
    if found is None:
        raise NotVisible
    return found


def add_step(
    request: AuthRequest, user: User | None, move: str, note: str = "", at: dt.datetime | None = None
) -> Step:
    return Step.objects.create(
        request=request, at=at or clock.now(), by=user, move=move, to_status=request.status, note=note
    )


def pends_of(request: AuthRequest) -> list[rules.Pend]:
    return [rules.Pend(p.started_at, p.ended_at) for p in request.pends.all()]


def recompute_due(request: AuthRequest) -> None:
    """The due time again from receipt, urgency, plan type and pends (the pend rule decides whether they count)."""
    request.due_at = rules.due_at(
        request.received_at,
        rules.Urgency(request.urgency),
        zone(request.organization),
        plan_type=rules.PlanType(request.plan_type),
        pends=pends_of(request),
        rule=rules.PendRule(request.pend_rule),
        now=clock.now(),
        extension_days=request.extension_days,
    )


def member_name(request: AuthRequest) -> str:
    p = request.patient
    return f"{p.given_name} {p.family_name}"


def services_words(request: AuthRequest) -> str:
    return "; ".join(
        f"{line.description or 'service'} ({line.code}) x {line.units}" for line in request.lines.all()
    )


def keep_files(request: AuthRequest, user: User, files: Sequence[checked_files.Checked]) -> None:
    """Keep documents that came with the request or with the information a pend asked for."""
    now = clock.now()
    for item in files:
        Attachment.objects.create(
            request=request,
            file=item.file,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
            added_at=now,
            added_by=user,
        )
