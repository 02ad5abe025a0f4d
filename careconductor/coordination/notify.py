"""Notifications for staff: the only code that creates, sends, reads or marks them.

Every notification is shown in the app. E-mail and SMS go out after the caller's transaction commits, through
the `deliver` task (coordination/tasks.py), on the channels the user chose (NotificationPreference; no row:
e-mail on, SMS off). What leaves the system says as little as it can: the kind's wording, the patient's
initials and a link to the notifications page. Never the in-app title or body, which may name the patient or
quote clinical content. Sending a notification is not a read of patient data, so it writes no audit event.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.urls import reverse

from careconductor.accounts.models import User
from careconductor.core import clock, sms
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.patients.models import Patient
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from .choices import NotificationKind
from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

EMAIL = "email"
SMS = "sms"

# What e-mail and SMS say for each kind: enough to know something waits, nothing about the patient's care.
OUTSIDE_WORDING: dict[str, str] = {
    NotificationKind.TASK_ASSIGNED: "A task was assigned to you or your team for a patient on your caseload",
    NotificationKind.TASK_ESCALATED: "An overdue task for a patient of your team was escalated to you",
    NotificationKind.CONTACT_DUE: "Your worklist for today is ready",
    NotificationKind.CLOSURE: "A case closure on your caseload needs your attention",
    NotificationKind.PORTAL_MESSAGE: "A patient on your caseload sent you a message",
    NotificationKind.MENTION: "A colleague mentioned you in a note about a patient",
    NotificationKind.HANDOVER: "Work was handed over to you",
}


@dataclass(frozen=True)
class Choice:
    """What one user wants for one kind of notification, besides the in-app list."""

    email: bool = True
    sms: bool = False


DEFAULT_CHOICE = Choice()


def initials(patient: Patient) -> str:
    return " ".join(
        f"{name.strip()[0].upper()}." for name in (patient.given_name, patient.family_name) if name
    )


def outside_message(kind: NotificationKind | str, patient: Patient | None = None, text: str = "") -> str:
    """The sentence e-mail and SMS carry: `text` (which must hold no patient detail) or the kind's wording,
    with the patient's initials when the notification is about a patient."""
    sentence = (
        text or OUTSIDE_WORDING.get(str(kind), "Something in CareConductor needs your attention")
    ).rstrip(".")
    if patient is not None:
        sentence += f" ({initials(patient)})"
    return sentence + "."


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
                transaction.on_commit(_enqueuer(notification.pk, channels, message), robust=True)
    return created


def _enqueuer(notification_id: int, channels: list[str], message: str) -> Callable[[], None]:
    def enqueue() -> None:
        # Imported here: tasks.py builds on this module, and importing it binds the task to the queue.
        from .tasks import deliver

        deliver(notification_id, channels, message)

    return enqueue


def do_deliver(notification_id: int, channels: Sequence[str], message: str) -> Notification | None:
    """Send a notification on the channels asked for, each at most once: a channel already stamped is
    skipped, so a retry after a failed SMS does not send the e-mail again. A user without an e-mail address
    or a work phone is skipped on that channel and nothing is stamped. Raises on a failed send (the task
    retries)."""
    notification = (
        Notification.objects.select_related("user", "user__profile").filter(pk=notification_id).first()
    )
    if notification is None:  # the user was deleted meanwhile
        return None
    user = notification.user
    link = settings.SITE_URL + reverse("notifications:list")
    if EMAIL in channels and notification.email_sent_at is None and user.is_active and user.email:
        send_mail(
            # The kind's wording only: subjects show on lock screens and in inbox lists.
            subject=f"CareConductor: {outside_message(notification.kind)}".rstrip("."),
            message=(
                f"{message}\n\nOpen CareConductor to see it:\n{link}\n\n"
                "This message leaves out the details on purpose; they are in CareConductor.\n"
                "Choose which messages you get by e-mail: "
                f"{settings.SITE_URL}{reverse('notifications:settings')}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
        notification.email_sent_at = clock.now()
        notification.save(update_fields=["email_sent_at"])
    elif EMAIL in channels and not user.email:
        logger.info("Notification %s: user %s has no e-mail address", notification.pk, user.pk)
    phone = work_phone(user)
    if SMS in channels and not phone:
        logger.info("Notification %s: user %s has no work phone for SMS", notification.pk, user.pk)
    if SMS in channels and notification.sms_sent_at is None and user.is_active and phone:
        sms.send_sms(phone, f"CareConductor: {message} {link}")
        notification.sms_sent_at = clock.now()
        notification.save(update_fields=["sms_sent_at"])
    return notification


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
def work_phone(user: User) -> str:
    profile = getattr(user, "profile", None)  # a user without a staff profile has no number
    return profile.work_phone.strip() if profile is not None else ""


def preferences_for(user_ids: Sequence[int], kind: NotificationKind | str) -> dict[int, Choice]:
    """The users' choices for one kind; users without a row are left out (DEFAULT_CHOICE applies)."""
    rows = NotificationPreference.objects.filter(user_id__in=user_ids, kind=kind)
    return {row.user_id: Choice(row.email, row.sms) for row in rows}


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
