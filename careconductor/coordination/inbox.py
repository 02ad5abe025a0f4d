"""The staff inbox: notes that mention the user and work handed over to them, newest first (issue 17 §4).

Its items are the user's notifications of kinds MENTION (coordination.mentions) and HANDOVER (a task handed to
them here, cases handed over by the cases app). Read or unread is the notification's. What an item shows is
decided when it is read, through the policy, not when it was sent: an item about a patient the user may no
longer open shows without the patient (no name, no initials, no link, not the title that may hold them), and a
mention shows the note's first line only while the user may read that note (a sensitive note they have lost
the right to, or never had, shows none of its words). The page costs the same number of queries whatever the
number of items (tests/coordination/test_inbox.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.patients.models import Note
from careconductor.privacy import audit, policy

from .choices import NotificationKind
from .mention_rules import first_line
from .models import Notification, Task
from .notify import do_notify, initials

INBOX_KINDS = (NotificationKind.MENTION, NotificationKind.HANDOVER)
LIMIT = 100
NOT_OPEN = "About a patient whose record you may no longer open."
NOT_READABLE = "You may no longer read this note."


@dataclass(frozen=True)
class InboxItem:
    """One line of the inbox, as this reader may see it now."""

    notification_id: int
    kind: str
    kind_label: str
    at: dt.datetime
    unread: bool
    title: str
    body: str = ""
    url: str = ""  # empty when there is nothing the reader may open
    patient_id: int | None = None  # set only while the reader may open the patient's record
    patient_name: str = ""
    writer: str = ""  # a mention: who wrote the note
    line: str = ""  # a mention: the note's first line, while the reader may read the note
    withheld: str = ""  # why details are left out


def access_inbox(user: User, limit: int = LIMIT) -> list[InboxItem]:
    """The user's latest inbox items, newest first, each checked against the policy now; the patients and notes
    shown are audited as read. Three queries and the audit's, however many items."""
    rows = list(
        Notification.objects.filter(user=user, kind__in=INBOX_KINDS)
        .select_related("patient", "mention__note__author", "mention__note__patient")
        .order_by("-created_at", "-pk")[:limit]
    )
    about = {pid for pid in map(_patient_id, rows) if pid is not None}
    visible = (
        set(policy.visible_patients(user).filter(pk__in=about).values_list("pk", flat=True))
        if about
        else set()
    )
    mentioned = [n.mention.note_id for n in rows if _mention(n) and _patient_id(n) in visible]
    readable = (
        set(
            Note.objects.filter(pk__in=mentioned)
            .filter(policy.sensitivity_q(user))
            .values_list("pk", flat=True)
        )
        if mentioned
        else set()
    )
    items = [_item(n, visible, readable) for n in rows]
    reads = {
        (item.patient_id, "Note" if item.line else "Patient", _read_key(n, item))
        for n, item in zip(rows, items, strict=True)
        if item.patient_id is not None
    }
    if reads:
        audit.record_resource_reads(user, sorted(reads, key=str), detail="inbox")
    return items


def _mention(n: Notification) -> bool:
    return n.kind == NotificationKind.MENTION and getattr(n, "mention", None) is not None


def _patient_id(n: Notification) -> int | None:
    # A mention is about its note's patient (the note is the record; the notification only points at it).
    return n.mention.note.patient_id if _mention(n) else n.patient_id


def _read_key(n: Notification, item: InboxItem) -> str:
    return str(n.mention.note_id) if item.line else str(item.patient_id)


def _item(n: Notification, visible: set[int], readable: set[int]) -> InboxItem:
    sent = InboxItem(
        notification_id=n.pk,
        kind=n.kind,
        kind_label="Mention" if n.kind == NotificationKind.MENTION else "Hand-over",
        at=n.created_at,
        unread=n.read_at is None,
        title=n.title,
    )
    patient_id = _patient_id(n)
    if patient_id is None:  # about no patient (a hand-over of several cases at once): as it was sent
        return replace(sent, body=n.body, url=n.url)
    if not _mention(n):
        if patient_id not in visible or n.patient is None:
            return replace(sent, title="Work was handed over to you", withheld=NOT_OPEN)
        return replace(sent, body=n.body, url=n.url, patient_id=patient_id, patient_name=n.patient.full_name)
    note = n.mention.note
    writer = note.author.display_name()
    if patient_id not in visible:
        return replace(sent, title=f"{writer} mentioned you in a note", writer=writer, withheld=NOT_OPEN)
    shown = replace(
        sent, url=n.url, patient_id=patient_id, patient_name=note.patient.full_name, writer=writer
    )
    if note.pk in readable:
        return replace(shown, line=first_line(note.text))
    return replace(shown, withheld=NOT_READABLE)


def inbox_counts(user: User) -> tuple[int, int]:
    """(unread notifications, unread of them in the inbox), in one query, for the top bar."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True).aggregate(
        all=Count("pk"), inbox=Count("pk", filter=Q(kind__in=INBOX_KINDS))
    )
    return unread["all"], unread["inbox"]


# --- Actions ----------------------------------------------------------------------------------------------
def do_mark_inbox_read(user: User) -> int:
    """Mark every unread item of the user's inbox read (their other notifications stay as they are)."""
    with transaction.atomic():
        return Notification.objects.filter(user=user, kind__in=INBOX_KINDS, read_at__isnull=True).update(
            read_at=clock.now()
        )


def tell_about_handover(actor: User, task: Task, reason: str) -> None:
    """A task handed to a person (coordination.actions.do_reassign_task) is a hand-over in their inbox, with
    who handed it and why; in the caller's transaction. Nobody is told of a task they gave themselves."""
    owner = task.owner
    if owner is None or owner.pk == actor.pk:
        return
    due = f"Due {timezone.localtime(task.due_at):%Y-%m-%d %H:%M}."
    if task.sensitivity:
        # Work about a sensitive record: its title and reason stay on the task, which the policy guards; a
        # notification is shown whatever the reader may see later.
        title = f"{actor.display_name()} handed you a task on {initials(task.patient)}'s chart"
        body = due
    else:
        title = f"{actor.display_name()} handed you a task: {task.title}"
        body = f"Why: {reason.strip().rstrip('.')}. {due}"
    do_notify(
        [owner],
        NotificationKind.HANDOVER,
        title,
        body=body,
        url=reverse("coordination:task", args=[task.pk]),
        patient=task.patient,
    )
