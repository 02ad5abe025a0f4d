"""Notifications for staff: the only code that creates, sends, reads or marks them.

Every notification is shown in the app. E-mail and SMS go out after the caller's transaction commits, through
the `deliver` task (coordination/delivery.py), on the channels the user chose (NotificationPreference; no row:
e-mail on, SMS off). What leaves the system says as little as it can: the kind's wording, the patient's
initials and a link to the notifications page. Never the in-app title or body, which may name the patient or
quote clinical content. Sending a notification is not a read of patient data, so it writes no audit event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .choices import NotificationKind
from .delivery import EMAIL, OUTSIDE_WORDING, SMS, deliver, initials, outside_message, work_phone
from .models import Notification, NotificationPreference

# Named with the notifications (inbox, mentions and their tests use them from here).
__all__ = ["OUTSIDE_WORDING", "initials", "outside_message", "work_phone"]


@dataclass(frozen=True)
class Choice:
    """What one user wants for one kind of notification, besides the in-app list."""

    email: bool = True
    sms: bool = False


DEFAULT_CHOICE = Choice()


# --- Actions ----------------------------------------------------------------------------------------------
def do_notify(
    users: Iterable[User],
    kind: NotificationKind,
    title: str,
    *,
    body: str = "",
    url: str = "",
    patient: Patient | None = None,
    outside_text: str = "",
) -> list[Notification]:
    """One notification per distinct active user, written in the caller's transaction; e-mail and SMS are
    queued when that transaction commits, so a rolled-back change notifies nobody.

    The in-app `title` and `body` may name the patient; e-mail and SMS never carry them (see outside_message).
    `outside_text` replaces the kind's wording in e-mail and SMS when the caller has something better to say
    that holds no patient detail (the morning summary's counts).
    """
    recipients = list({u.pk: u for u in users if u.is_active}.values())
    if not recipients:
        return []
    choices = preferences_for([u.pk for u in recipients], kind)
    message = outside_message(kind, patient, outside_text)
    now = clock.now()
    created: list[Notification] = []
    with transaction.atomic():
        for user in recipients:
            notification = Notification.objects.create(
                user=user,
                kind=kind,
                title=title.strip()[:200],
                body=body.strip(),
                url=url[:300],
                patient=patient,
                created_at=now,
            )
            created.append(notification)
            choice = choices.get(user.pk, DEFAULT_CHOICE)
            channels = [c for c, wanted in ((EMAIL, choice.email), (SMS, choice.sms)) if wanted]
            if channels:
                transaction.on_commit(partial(deliver, notification.pk, channels, message), robust=True)
    return created


def do_mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read. Anyone else's answers as missing."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotVisible(f"Notification {notification_id}")
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def do_mark_all_read(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=clock.now())


def do_set_preferences(user: User, choices: Mapping[str, Choice]) -> None:
    """Save what the user wants per kind. Choosing SMS needs a work phone on the staff profile; the refusal
    names the field (`<kind>_sms`). E-mail without an address is allowed (it is the default): nothing is sent
    until the account has one."""
    errors: dict[str, str] = {}
    for kind, choice in choices.items():
        if kind not in NotificationKind.values:
            errors[""] = f"Unknown kind of notification: {kind}"
        if choice.sms and not work_phone(user):
            errors[f"{kind}_sms"] = (
                "Text messages need a work phone on your staff profile; ask an administrator."
            )
    if errors:
        raise ActionRefused(errors)
    with transaction.atomic():
        for kind, choice in choices.items():
            NotificationPreference.objects.update_or_create(
                user=user, kind=kind, defaults={"email": choice.email, "sms": choice.sms}
            )
        audit.record(
            user,
            AuditAction.UPDATE,
            object_type="NotificationPreference",
            object_id=str(user.pk),
            detail="; ".join(
                f"{kind}: {'e-mail ' if c.email else ''}{'sms' if c.sms else ''}".strip()
                for kind, c in sorted(choices.items())
            ),
        )


# --- Queries ----------------------------------------------------------------------------------------------
def preferences_for(user_ids: Sequence[int], kind: NotificationKind | str) -> dict[int, Choice]:
    """The users' choices for one kind; users without a row are left out (DEFAULT_CHOICE applies)."""
    rows = NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind)
    return {row.user_id: Choice(row.email, row.sms) for row in rows}


# UM reviewers and medical directors work on prior-authorisation requests, not on cases: their notifications are
# about requests, and only they get those.
UM_KINDS = (NotificationKind.PRIOR_AUTH,)


def kinds_for(role: str) -> tuple[NotificationKind, ...]:
    """The kinds of notification someone in this role can get, so their settings offer only those."""
    if role in (Role.UM_REVIEWER, Role.MEDICAL_DIRECTOR):
        return UM_KINDS
    return tuple(kind for kind in NotificationKind if kind not in UM_KINDS)


def preferences(user: User) -> dict[str, Choice]:
    """Every kind, with the default where the user has chosen nothing."""
    saved = {row.kind: Choice(row.email, row.sms) for row in NotificationPreference.objects.filter(user=user)}
    return {kind: saved.get(kind, DEFAULT_CHOICE) for kind in NotificationKind.values}


def unread_count(user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def recent(user: User, limit: int = 50) -> QuerySet[Notification]:
    """The user's latest notifications, unread first, newest first within each."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return Notification.objects.filter(user=user).order_by(unread_first, "-created_at", "-pk")[:limit]
