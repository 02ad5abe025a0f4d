"""What leaves the system when a staff member is notified: the e-mail and SMS of a notification, sent by the
queued `deliver` task after the transaction that made it commits (notify.do_notify queues it). What goes out
says as little as it can: the kind's wording, the patient's initials and a link to the notifications page.

Its own module so that notify queues the task without importing the worker's periodic jobs (tasks.py), which
build on notify: no import cycle, no import inside a function."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from huey.contrib.djhuey import db_task  # type: ignore[import-untyped]

from careconductor.accounts.models import User
from careconductor.core import clock, sms
from careconductor.patients.models import Patient

from .choices import NotificationKind
from .models import Notification

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
    NotificationKind.HOSPITAL: "A patient on your caseload was admitted to or discharged from hospital",
    NotificationKind.PRIOR_AUTH: "A prior-authorisation request needs you",
}


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


def work_phone(user: User) -> str:
    profile = getattr(user, "profile", None)  # a user without a staff profile has no number
    return profile.work_phone.strip() if profile is not None else ""


@db_task(retries=3, retry_delay=60)
def deliver(notification_id: int, channels: Sequence[str], message: str) -> None:
    do_deliver(notification_id, channels, message)


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
