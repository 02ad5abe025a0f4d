"""The staff inbox (issue 17 §4): notes that mention the user and work handed over to them, read through the
policy when the page is opened, at a fixed number of queries; marking read; the top bar's count."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.coordination import notify
from careconductor.coordination.actions import do_create_task, do_move_task, do_reassign_task
from careconductor.coordination.choices import NotificationKind, TaskStatus
from careconductor.coordination.inbox import access_inbox
from careconductor.coordination.mentions import do_add_note
from careconductor.coordination.models import Notification, Task
from careconductor.core import clock
from careconductor.patients.actions import do_end_care_team_member
from careconductor.privacy.actions import do_record_consent, do_revoke_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType, Sensitivity
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db

P2_WORDS = "Methadone 60 mg at the programme"


def _mention_dana(world: World, text: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    do_add_note(world.alice, world.paula, text=text, **kwargs)


def _hand_bob_a_task(world: World):  # type: ignore[no-untyped-def]
    task = do_create_task(
        world.alice,
        world.paula,
        owner=world.alice,
        title="Call the pharmacy",
        due_at=clock.now() + dt.timedelta(1),
    )
    return do_reassign_task(world.alice, task, owner=world.bob, reason="Alice is on leave")


def test_the_inbox_lists_mentions_and_hand_overs_newest_first(world: World, login) -> None:
    start = clock.now()
    with time_machine.travel(start, tick=False) as traveller:
        _mention_dana(world, "@dana A1c 9.1 today.\nSecond line stays on the chart.")
        traveller.shift(dt.timedelta(minutes=5))
        task = do_create_task(
            world.alice,
            world.paula,
            owner=world.alice,
            title="Review insulin",
            due_at=start + dt.timedelta(1),
        )
        do_reassign_task(world.alice, task, owner=world.dana, reason="Dana prescribes")
        traveller.shift(dt.timedelta(minutes=5))
        notify.do_notify([world.dana], NotificationKind.TASK_ASSIGNED, "Not an inbox item")
    items = access_inbox(world.dana)
    assert [i.kind_label for i in items] == ["Hand-over", "Mention"]
    handover, mention = items
    assert handover.title == "Alice Tester handed you a task: Review insulin"
    assert handover.body.startswith("Why: Dana prescribes. Due ")
    assert handover.url == reverse("coordination:task", args=[task.pk])
    assert (mention.patient_name, mention.writer, mention.line) == (
        "Paula Reyes",
        "Alice Tester",
        "@dana A1c 9.1 today.",
    )
    assert mention.unread and "#note-" in mention.url
    body = login(world.dana).get(reverse("coordination:inbox")).content.decode()
    for words in (
        "Inbox",
        "Alice Tester handed you a task: Review insulin",
        "Paula Reyes",
        "A1c 9.1 today",
        "2 unread",
    ):
        assert words in body, words
    assert "Second line" not in body and "Not an inbox item" not in body
    # Showing a note's first line is a read of Paula's record, audited.
    assert AuditEvent.objects.filter(
        user=world.dana, patient=world.paula, object_type="Note", action="read"
    ).exists()


def test_the_page_costs_the_same_queries_whatever_the_number_of_items(
    world: World, login, django_assert_max_num_queries
) -> None:
    client = login(world.dana)
    url = reverse("coordination:inbox")
    _mention_dana(world, "@dana first")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    one = queries()
    for i in range(8):
        _mention_dana(world, f"@dana note {i}")
        task = do_create_task(
            world.alice,
            world.paula,
            owner=world.alice,
            title=f"Task {i}",
            due_at=clock.now() + dt.timedelta(1),
        )
        do_reassign_task(world.alice, task, owner=world.dana, reason="Hers")
    notify.do_notify(
        [world.dana], NotificationKind.HANDOVER, "Three cases were handed over to you", url="/cases/"
    )
    assert queries() == one
    # Session, user, second factor and organisation; the notifications, the patients she may open, the notes she
    # may read; the audit's emergency check, savepoint, chain head, insert and chain update; the session's save.
    with django_assert_max_num_queries(16):
        body = client.get(url).content.decode()
    assert body.count('id="inbox-') == 18


def test_an_item_about_a_patient_no_longer_open_to_the_reader_shows_no_patient(world: World, login) -> None:
    _mention_dana(world, "@dana Her daughter Rosa will call you")
    membership = world.paula.care_team.get(user=world.dana)
    do_end_care_team_member(world.alice, membership, reason="Moved to another clinic")
    with time_machine.travel(
        clock.now() + dt.timedelta(days=2), tick=False
    ):  # her membership ended yesterday
        [item] = access_inbox(world.dana)
        assert item.title == "Alice Tester mentioned you in a note"
        assert (item.patient_id, item.patient_name, item.url, item.line) == (None, "", "", "")
        assert item.withheld == "About a patient whose record you may no longer open."
        body = login(world.dana).get(reverse("coordination:inbox")).content.decode()
    for leak in ("Paula", "Reyes", "P. R.", "Rosa", f"/patients/{world.paula.pk}/"):
        assert leak not in body, leak
    assert not AuditEvent.objects.filter(user=world.dana, patient=world.paula, action="read").exists()


def test_a_hand_over_shows_its_patient_only_while_the_task_gives_access(world: World, login) -> None:
    task = _hand_bob_a_task(world)  # Bob reaches Paula only through the task
    [item] = access_inbox(world.bob)
    assert (
        item.patient_name == "Paula Reyes"
        and item.title == "Alice Tester handed you a task: Call the pharmacy"
    )
    do_move_task(world.bob, task, TaskStatus.COMPLETED)
    [item] = access_inbox(world.bob)
    assert (item.title, item.body, item.url, item.patient_name) == ("Work was handed over to you", "", "", "")
    assert "Reyes" not in login(world.bob).get(reverse("coordination:inbox")).content.decode()


def test_a_sensitive_note_shows_its_words_only_to_who_may_read_it_now(world: World, login) -> None:
    consent = do_record_consent(
        world.alice,
        world.paula,
        consent_type=ConsentType.PART2,
        method=ConsentMethod.WRITTEN,
        given_on=clock.today(),
        recipient_user=world.dana,
    )
    _mention_dana(world, f"{P2_WORDS} @dana @sam", sensitivity=Sensitivity.PART2)
    assert P2_WORDS in access_inbox(world.dana)[0].line
    assert P2_WORDS in access_inbox(world.sam)[0].line  # her case's supervisor
    do_revoke_consent(world.alice, consent)
    [item] = access_inbox(world.dana)
    assert item.line == "" and item.withheld == "You may no longer read this note."
    assert item.patient_name == "Paula Reyes"  # she is still on the care team
    for page in ("coordination:inbox", "notifications:list"):
        body = login(world.dana).get(reverse(page)).content.decode()
        assert "Methadone" not in body, page


def test_marking_read_one_or_all_leaves_other_notifications_alone(world: World, login) -> None:
    _mention_dana(world, "@dana one")
    _mention_dana(world, "@dana two")
    [other] = notify.do_notify([world.dana], NotificationKind.TASK_ASSIGNED, "New task")
    [bobs] = notify.do_notify([world.bob], NotificationKind.HANDOVER, "Bob's")
    client = login(world.dana)
    first = access_inbox(world.dana)[0]
    response = client.post(
        reverse("coordination:inbox_mark_read", args=[first.notification_id]), {"next": first.url}
    )
    assert response.status_code == 302 and response["Location"] == first.url
    assert [i.unread for i in access_inbox(world.dana)] == [False, True]
    assert client.post(reverse("coordination:inbox_mark_read", args=[bobs.pk])).status_code == 404
    response = client.post(
        reverse("coordination:inbox_mark_read", args=[first.notification_id]), {"next": "//evil"}
    )
    assert response["Location"] == reverse("coordination:inbox")
    assert client.post(reverse("coordination:inbox_mark_all_read")).status_code == 302
    assert not any(i.unread for i in access_inbox(world.dana))
    other.refresh_from_db()
    bobs.refresh_from_db()
    assert other.read_at is None and bobs.read_at is None


def test_the_top_bar_counts_unread_and_those_in_the_inbox(world: World, login) -> None:
    client = login(world.dana)
    badge = reverse("coordination:notification_badge")
    assert client.get(badge).content.decode() == "Notifications"
    notify.do_notify([world.dana], NotificationKind.TASK_ASSIGNED, "New task")
    assert "count-inbox" not in client.get(badge).content.decode()
    _mention_dana(world, "@dana look")
    text = client.get(badge).content.decode()
    assert "<span class='count'>2</span>" in text and "@1</span>" in text
    page = client.get(reverse("notifications:list")).content.decode()
    assert "Inbox: mentions and hand-overs (1 unread)" in page


def test_a_hand_over_about_no_patient_shows_as_sent(world: World) -> None:
    notify.do_notify(
        [world.bob], NotificationKind.HANDOVER, "Three cases were handed over to you", url="/cases/"
    )
    [item] = access_inbox(world.bob)
    assert (item.title, item.url, item.patient_id, item.withheld) == (
        "Three cases were handed over to you",
        "/cases/",
        None,
        "",
    )
    assert not Notification.objects.filter(user=world.bob, read_at__isnull=False).exists()


def test_a_sensitive_task_handed_over_keeps_its_title_and_reason_out_of_the_notification(
    world: World,
) -> None:
    task = do_create_task(
        world.alice,
        world.paula,
        owner=world.alice,
        title="Methadone dose check",
        due_at=clock.now() + dt.timedelta(1),
    )
    Task.objects.filter(pk=task.pk).update(sensitivity=Sensitivity.PART2)  # work about a Part 2 record
    task.refresh_from_db()
    do_reassign_task(world.alice, task, owner=world.sam, reason="Her programme called about the methadone")
    n = Notification.objects.get(user=world.sam, kind=NotificationKind.HANDOVER)
    assert n.title == "Alice Tester handed you a task on P. R.'s chart"
    assert "ethadone" not in n.title + n.body and n.body.startswith("Due ")
