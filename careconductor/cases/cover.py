"""Cover for leave: a colleague (the delegate) covers an absent case manager between two dates. While the
cover is in force (both dates inclusive, in the organisation's time zone: core.clock) the delegate's worklist
shows the absent person's due work and privacy.policy lets them open those patients; both end with the cover.

Recorded by the absent person themselves, the supervisor of their team, or an administrator."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.notify import do_notify
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .models import Cover

MAX_COVER_DAYS = 366
MAX_NOTE = 300
REFUSED = "Only the person on leave, their team's supervisor or an administrator records their cover."


def may_arrange_cover(user: User, absent: User) -> bool:
    """The absent person themselves, the supervisor of their team, or an administrator of the organisation."""
    if (
        not user.is_authenticated
        or user.organization_id is None
        or absent.organization_id != user.organization_id
    ):
        return False
    if user.role == Role.ADMIN or user.pk == absent.pk:
        return True
    return (
        user.role == Role.SUPERVISOR
        and User.objects.filter(pk=absent.pk, profile__team__supervisor=user).exists()
    )


def _person_errors(user: User, absent: User | None, delegate: User | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if (
        absent is None
        or absent.organization_id != user.organization_id
        or absent.role not in policy.COVERING_ROLES
    ):
        errors["absent"] = "Choose a case manager or supervisor of this organisation."
    if delegate is None:
        errors["delegate"] = "Choose who covers."
    elif (
        delegate.organization_id != user.organization_id
        or not delegate.is_active
        or delegate.role not in policy.COVERING_ROLES
    ):
        errors["delegate"] = "Choose an active case manager or supervisor of this organisation."
    elif absent is not None and delegate.pk == absent.pk:
        errors["delegate"] = "Someone else covers: choose a colleague."
    return errors


def _date_errors(start: dt.date | None, end: dt.date | None, today: dt.date) -> dict[str, str]:
    if start is None:
        return {"start_date": "Give the first day of the leave."}
    if end is None:
        return {"end_date": "Give the last day of the leave."}
    if end < start:
        return {"end_date": "The last day is on or after the first."}
    if end < today:
        return {"end_date": "That leave is over: a cover must end today or later."}
    if (start - today).days >= MAX_COVER_DAYS:
        return {"start_date": "Record a cover at most a year ahead."}
    if (end - start).days >= MAX_COVER_DAYS:
        return {"end_date": "A cover lasts at most a year; for longer, reassign the cases."}
    return {}


def do_record_cover(
    user: User,
    *,
    absent: User | None,
    delegate: User | None,
    start_date: dt.date | None,
    end_date: dt.date | None,
    note: str = "",
) -> Cover:
    """Record that `delegate` covers `absent` from `start_date` to `end_date`. One cover at a time per absent
    person: a cover overlapping another is refused, naming it. The delegate is told."""
    errors = _person_errors(user, absent, delegate)
    errors |= _date_errors(start_date, end_date, clock.today())
    if len(note.strip()) > MAX_NOTE:
        errors["note"] = f"Keep the note to {MAX_NOTE} characters."
    if errors:
        raise ActionRefused(errors)
    assert absent is not None and delegate is not None and start_date is not None and end_date is not None
    if not may_arrange_cover(user, absent):
        raise ActionRefused(REFUSED)
    with transaction.atomic():
        # Two people recording covers for the same absent person at once: the second waits, then sees the first.
        User.objects.select_for_update().filter(pk=absent.pk).first()
        clash = (
            Cover.objects.filter(
                absent=absent, cancelled_at__isnull=True, start_date__lte=end_date, end_date__gte=start_date
            )
            .select_related("delegate")
            .first()
        )
        if clash is not None:
            raise ActionRefused(
                {
                    "start_date": f"{absent.display_name()} is already covered by {clash.delegate.display_name()} "
                    f"from {clash.start_date:%d %b %Y} to {clash.end_date:%d %b %Y}: end that cover first."
                }
            )
        cover = Cover.objects.create(
            organization_id=user.org_id,
            absent=absent,
            delegate=delegate,
            start_date=start_date,
            end_date=end_date,
            note=note.strip(),
            created_by=user,
        )
        audit.record(
            user,
            AuditAction.CREATE,
            obj=cover,
            object_type="Cover",
            detail=f"user {delegate.pk} covers user {absent.pk} {start_date}–{end_date}",
        )
        if delegate.pk != user.pk:
            do_notify(
                [delegate],
                NotificationKind.HANDOVER,
                f"You cover for {absent.display_name()} from {start_date:%a %d %b} to {end_date:%a %d %b}",
                body=(
                    "Their due contacts, tasks and alerts show on your worklist under "
                    f"'Covering for {absent.display_name()}' while the cover lasts."
                    + (f"\n{note.strip()}" if note.strip() else "")
                ),
                url=reverse("coordination:worklist"),
                outside_text="You cover a colleague's caseload while they are away",
            )
    return cover


def do_end_cover(user: User, cover: Cover) -> Cover:
    """End a cover now: one that has begun ends yesterday (its days so far stay on record), one that has not
    begun is cancelled. Access and the worklist group end with it."""
    if cover.organization_id != user.organization_id or not may_arrange_cover(user, cover.absent):
        raise ActionRefused(REFUSED)
    today = clock.today()
    with transaction.atomic():
        cover = Cover.objects.select_for_update().get(pk=cover.pk)
        if cover.cancelled_at is not None or cover.end_date < today:
            raise ActionRefused("That cover has ended already.")
        if cover.start_date < today:
            cover.end_date = today - dt.timedelta(days=1)
            cover.save(update_fields=["end_date", "updated_at"])
            detail = f"ended on {cover.end_date}"
        else:
            cover.cancelled_at, cover.cancelled_by = clock.now(), user
            cover.save(update_fields=["cancelled_at", "cancelled_by", "updated_at"])
            detail = "cancelled"
        audit.record(user, AuditAction.UPDATE, obj=cover, object_type="Cover", detail=detail)
    return cover


def current_covers(user: User) -> QuerySet[Cover]:
    """Covers running or to come that concern the user: theirs and the ones they cover; a supervisor's teams';
    the whole organisation's for an administrator."""
    qs = Cover.objects.filter(
        organization_id=user.organization_id or 0, cancelled_at__isnull=True, end_date__gte=clock.today()
    )
    if user.role == Role.SUPERVISOR:
        qs = qs.filter(Q(absent__profile__team__supervisor=user) | Q(absent=user) | Q(delegate=user))
    elif user.role != Role.ADMIN:
        qs = qs.filter(Q(absent=user) | Q(delegate=user))
    return qs.select_related("absent__profile__team", "delegate").order_by("start_date", "pk")


def cover_people(user: User) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Whom the form offers: as absent, the user or (supervisor) their teams' staff or (admin) anyone who carries
    cases; as delegate, every active case manager and supervisor of the organisation."""
    staff = User.objects.filter(
        organization_id=user.organization_id or 0, role__in=policy.COVERING_ROLES, is_active=True
    ).order_by("last_name", "first_name", "pk")
    absent = staff
    if user.role == Role.SUPERVISOR:
        absent = staff.filter(Q(profile__team__supervisor=user) | Q(pk=user.pk))
    elif user.role != Role.ADMIN:
        absent = staff.filter(pk=user.pk)
    everyone = [(u.pk, u.display_name()) for u in staff]
    allowed = set(absent.values_list("pk", flat=True))
    return [(pk, name) for pk, name in everyone if pk in allowed], everyone
