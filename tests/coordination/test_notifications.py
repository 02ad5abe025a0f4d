"""Notifications: in the app always, by e-mail or SMS as each user chose, never with clinical detail outside
the system; delivered by huey (SQLite or Redis), with the periodic escalation and morning summary."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, include, path, reverse
from huey.consumer_options import ConsumerConfig  # type: ignore[import-untyped]
from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]
from huey.exceptions import TaskLockedException  # type: ignore[import-untyped]

from careconductor import urls as root_urls
from careconductor.accounts.models import StaffProfile, User
from careconductor.coordination import notify, tasks
from careconductor.coordination.actions import do_create_task
from careconductor.coordination.choices import NotificationKind, TaskPriority
from careconductor.coordination.models import Notification, NotificationPreference
from careconductor.core import clock, sms
from careconductor.core.errors import ActionRefused, NotVisible

from ..personas import World

K = NotificationKind

# The pages are tested through the project's URLconf, plus the notification URLs while careconductor/urls.py
# does not include them yet.
urlpatterns: list[Any] = list(root_urls.urlpatterns)
if not any(isinstance(p, URLResolver) and p.app_name == "notifications" for p in urlpatterns):
    urlpatterns.append(path("", include("careconductor.coordination.notification_urls")))
pytestmark = [pytest.mark.urls(__name__), pytest.mark.usefixtures("queue_in_memory_and_sms_kept")]


def notify_and_commit(django_capture_on_commit_callbacks, *args: Any, **kwargs: Any) -> list[Notification]:
    with django_capture_on_commit_callbacks(execute=True):
        return notify.do_notify(*args, **kwargs)


# --- Who gets what ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_without_a_choice_a_user_gets_it_in_the_app_and_by_email_but_not_by_sms(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    [n] = notify_and_commit(
        django_capture_on_commit_callbacks, [reachable.alice], K.TASK_ASSIGNED, "New task", url="/worklist/"
    )
    n.refresh_from_db()
    assert n.user == reachable.alice and n.read_at is None and n.url == "/worklist/"
    assert [m.to for m in mail.outbox] == [["alice@riverside.example"]]
    assert mail.outbox[0].from_email == "CareConductor <careconductor@localhost>"
    assert sms.outbox == []
    assert n.email_sent_at is not None and n.sms_sent_at is None


@pytest.mark.django_db
def test_a_user_who_chose_sms_gets_a_text_at_their_work_phone(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    notify.do_set_preferences(reachable.alice, {K.TASK_ESCALATED: notify.Choice(email=False, sms=True)})
    [n] = notify_and_commit(
        django_capture_on_commit_callbacks,
        [reachable.alice],
        K.TASK_ESCALATED,
        "Escalated",
        patient=reachable.paula,
    )
    assert mail.outbox == []
    [text] = sms.outbox
    assert text.to == "+1 555 0199"
    assert text.body.startswith("CareConductor: ") and "https://care.example.org/notifications/" in text.body
    n.refresh_from_db()
    assert n.sms_sent_at is not None and n.email_sent_at is None


@pytest.mark.django_db
def test_a_user_who_wants_neither_sees_it_in_the_app_only(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    notify.do_set_preferences(reachable.alice, {K.CLOSURE: notify.Choice(email=False, sms=False)})
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        [n] = notify.do_notify([reachable.alice], K.CLOSURE, "Case closed")
    assert callbacks == []  # nothing is even queued
    assert mail.outbox == [] and sms.outbox == []
    assert notify.unread_count(reachable.alice) == 1
    n.refresh_from_db()
    assert n.email_sent_at is None and n.sms_sent_at is None


@pytest.mark.django_db
def test_a_choice_for_one_kind_leaves_the_others_at_the_default(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    notify.do_set_preferences(reachable.alice, {K.CLOSURE: notify.Choice(email=False, sms=True)})
    notify_and_commit(django_capture_on_commit_callbacks, [reachable.alice], K.TASK_ASSIGNED, "New task")
    assert len(mail.outbox) == 1 and sms.outbox == []


@pytest.mark.django_db
def test_each_distinct_active_user_gets_one_notification(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    User.objects.filter(pk=reachable.bob.pk).update(is_active=False)
    reachable.bob.refresh_from_db()
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False):
        created = notify_and_commit(
            django_capture_on_commit_callbacks,
            [reachable.alice, reachable.sam, reachable.alice, reachable.bob],
            K.TASK_ASSIGNED,
            "New task",
        )
    assert sorted(n.user.username for n in created) == ["alice", "sam"]
    assert {n.created_at for n in created} == {dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)}
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@riverside.example", "sam@riverside.example"]
    assert notify.do_notify([], K.TASK_ASSIGNED, "Nobody") == []


@pytest.mark.django_db
def test_nothing_is_sent_when_the_callers_transaction_rolls_back(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "New task")
        raise RuntimeError("the change failed")
    assert callbacks == []
    assert not Notification.objects.exists() and mail.outbox == []


# --- What leaves the system -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_email_and_sms_hold_only_the_patients_initials_and_a_link(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    notify.do_set_preferences(reachable.alice, {K.TASK_ESCALATED: notify.Choice(email=True, sms=True)})
    paula = reachable.paula
    [n] = notify_and_commit(
        django_capture_on_commit_callbacks,
        [reachable.alice],
        K.TASK_ESCALATED,
        "Overdue: call Paula Reyes about her insulin doses",
        body="PHQ-9 item 9 answered 'several days'; A1c 11.2",
        url=f"/patients/{paula.pk}/",
        patient=paula,
    )
    [email] = mail.outbox
    [text] = sms.outbox
    assert "Paula" in n.title  # the in-app title may name the patient
    outside = " ".join([str(email.subject), str(email.body), text.body])
    for detail in ("Paula", "Reyes", "insulin", "PHQ", "A1c", "11.2", paula.mrn, f"/patients/{paula.pk}"):
        assert detail not in outside, detail
    assert "(P. R.)" in email.body and "(P. R.)" in text.body
    assert "(P. R.)" not in email.subject  # subjects show on lock screens
    assert "https://care.example.org/notifications/" in email.body
    assert "escalated" in email.subject.lower()


def test_the_outside_wording_comes_from_the_kind_unless_the_caller_gives_safe_text() -> None:
    assert notify.outside_message(K.CONTACT_DUE) == "Your worklist for today is ready."
    assert notify.outside_message(K.CONTACT_DUE, text="3 items on your worklist today (1 overdue)") == (
        "3 items on your worklist today (1 overdue)."
    )
    assert set(notify.OUTSIDE_WORDING) == set(NotificationKind.values)


# --- Delivery ---------------------------------------------------------------------------------------------
class FlakySms:
    """Fails the first send, as a provider might."""

    calls = 0

    def send(self, to: str, body: str) -> None:
        FlakySms.calls += 1
        if FlakySms.calls == 1:
            raise ConnectionError("provider unreachable")
        sms.outbox.append(sms.SmsMessage(to, body))


@pytest.mark.django_db
def test_delivery_stamps_each_channel_once_and_a_retry_sends_only_what_failed(
    reachable: World, settings
) -> None:
    settings.SMS_BACKEND = f"{__name__}.FlakySms"
    FlakySms.calls = 0
    n = notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "New task")[0]  # not committed: nothing queued
    sent_at = dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC)
    with time_machine.travel(sent_at, tick=False):
        with pytest.raises(ConnectionError):
            tasks.deliver.call_local(n.pk, ["email", "sms"], "A task was assigned to you.")
        n.refresh_from_db()
        assert n.email_sent_at == sent_at and n.sms_sent_at is None and len(mail.outbox) == 1
        tasks.deliver.call_local(n.pk, ["email", "sms"], "A task was assigned to you.")  # the retry
    n.refresh_from_db()
    assert n.sms_sent_at == sent_at and len(mail.outbox) == 1 and len(sms.outbox) == 1
    tasks.deliver.call_local(n.pk, ["email", "sms"], "again")
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert tasks.deliver.retries == 3


@pytest.mark.django_db
def test_a_message_queued_under_the_old_job_name_is_still_sent(reachable: World) -> None:
    # Queues keep a job by its registered name; the delivery job moved from tasks.py to delivery.py.
    registered = set(HUEY._registry._registry)
    assert {
        "careconductor.coordination.tasks.deliver",
        "careconductor.coordination.delivery.deliver",
    } <= registered
    n = notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "New task")[0]
    tasks.deliver_queued_before_the_move.call_local(n.pk, ["email"], "A task was assigned to you.")
    n.refresh_from_db()
    assert n.email_sent_at is not None and len(mail.outbox) == 1


@pytest.mark.django_db
def test_no_number_or_no_address_skips_that_channel_and_stamps_nothing(reachable: World) -> None:
    n = notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "New task")[0]
    StaffProfile.objects.filter(user=reachable.alice).update(work_phone="")
    User.objects.filter(pk=reachable.alice.pk).update(email="")
    tasks.deliver.call_local(n.pk, ["email", "sms"], "A task was assigned to you.")
    n.refresh_from_db()
    assert n.email_sent_at is None and n.sms_sent_at is None
    assert mail.outbox == [] and sms.outbox == []
    tasks.deliver.call_local(987654, ["email"], "gone")  # a deleted notification is no error


def test_sms_backends(capsys: pytest.CaptureFixture[str], settings) -> None:
    settings.SMS_BACKEND = "careconductor.core.sms.ConsoleBackend"
    sms.send_sms(" +1 555 0100 ", "hello")
    assert capsys.readouterr().out == "SMS to +1 555 0100: hello\n"
    settings.SMS_BACKEND = "careconductor.core.sms.LocmemBackend"
    sms.send_sms("+1 555 0100", "hi")
    assert sms.outbox == [sms.SmsMessage("+1 555 0100", "hi")]
    with pytest.raises(ValueError):
        sms.send_sms("  ", "nobody")


# --- Reading and marking read -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_users_mark_only_their_own_notifications_read(reachable: World) -> None:
    [mine] = notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "For Alice")
    with pytest.raises(NotVisible):
        notify.do_mark_read(reachable.bob, mine.pk)
    with time_machine.travel(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC), tick=False):
        notify.do_mark_read(reachable.alice, mine.pk)
    notify.do_mark_read(reachable.alice, mine.pk)  # again: the first reading counts
    mine.refresh_from_db()
    assert mine.read_at == dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_recent_lists_unread_first_then_newest_and_counts_unread(reachable: World) -> None:
    alice = reachable.alice
    for day, title in ((1, "oldest"), (2, "middle"), (3, "newest")):
        with time_machine.travel(dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC), tick=False):
            notify.do_notify([alice], K.TASK_ASSIGNED, title)
    notify.do_notify([reachable.bob], K.TASK_ASSIGNED, "Bob's")
    newest = Notification.objects.get(title="newest")
    notify.do_mark_read(alice, newest.pk)
    assert [n.title for n in notify.recent(alice)] == ["middle", "oldest", "newest"]
    assert [n.title for n in notify.recent(alice, 1)] == ["middle"]
    assert notify.unread_count(alice) == 2
    assert notify.do_mark_all_read(alice) == 2 and notify.unread_count(alice) == 0
    assert notify.unread_count(reachable.bob) == 1


# --- Pages ------------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_notifications_page_lists_only_the_users_own_unread_first(reachable: World, login) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC), tick=False):
        [read] = notify.do_notify([reachable.alice], K.CLOSURE, "Closure approved")
    notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "New task for Alice", url="/worklist/")
    notify.do_notify([reachable.bob], K.TASK_ASSIGNED, "Bob's secret task")
    notify.do_mark_read(reachable.alice, read.pk)
    client: Client = login(reachable.alice)
    page = client.get(reverse("notifications:list"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("New task for Alice") < html.index("Closure approved")
    assert "Bob&#x27;s secret task" not in html and "Bob's secret task" not in html
    assert "1 unread." in html and reverse("notifications:settings") in html


@pytest.mark.django_db
def test_marking_read_from_the_page(reachable: World, login) -> None:
    [first, second] = [
        notify.do_notify([reachable.alice], K.TASK_ASSIGNED, title, url="/worklist/")[0]
        for title in ("a", "b")
    ]
    [bobs] = notify.do_notify([reachable.bob], K.TASK_ASSIGNED, "Bob's")
    client: Client = login(reachable.alice)
    assert client.get(reverse("notifications:mark_read", args=[first.pk])).status_code == 405
    response = client.post(reverse("notifications:mark_read", args=[first.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("notifications:list")
    response = client.post(reverse("notifications:mark_read", args=[second.pk]), {"next": "/worklist/"})
    assert response["Location"] == "/worklist/"  # "Open" marks it read and goes there
    response = client.post(
        reverse("notifications:mark_read", args=[first.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:list")
    for nasty in ("javascript:alert(1)", "//evil.example/", "a\x00b", "x" * 10_000):
        response = client.post(reverse("notifications:mark_read", args=[first.pk]), {"next": nasty})
        assert response.status_code == 302 and not response["Location"].startswith(("javascript", "//"))
    # Someone else's notification answers as if it did not exist.
    assert client.post(reverse("notifications:mark_read", args=[bobs.pk])).status_code == 404
    assert client.post(reverse("notifications:mark_read", args=[999999])).status_code == 404
    bobs.refresh_from_db()
    assert bobs.read_at is None and notify.unread_count(reachable.alice) == 0
    notify.do_notify([reachable.alice], K.TASK_ASSIGNED, "c")
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302
    assert notify.unread_count(reachable.alice) == 0 and notify.unread_count(reachable.bob) == 1


@pytest.mark.django_db
def test_the_settings_page_shows_labelled_checkboxes_and_saves_choices(reachable: World, login) -> None:
    client: Client = login(reachable.alice)
    url = reverse("notifications:settings")
    html = client.get(url).content.decode()
    for kind in NotificationKind:
        for channel in ("email", "sms"):
            # Prior-authorisation notices go to UM staff only: a case manager is not offered them.
            assert (f'<label for="id_{kind.value}_{channel}">' in html) == (kind != K.PRIOR_AUTH)
        assert (kind.label in html) == (kind != K.PRIOR_AUTH)
    assert 'name="task_assigned_email" id="id_task_assigned_email" checked' in html  # the default: e-mail on
    assert 'name="task_assigned_sms" id="id_task_assigned_sms" checked' not in html
    response = client.post(
        url, {"task_escalated_sms": "on", "task_escalated_email": "on", "closure_email": "on"}
    )
    assert response.status_code == 302 and response["Location"] == url
    saved = {p.kind: (p.email, p.sms) for p in NotificationPreference.objects.filter(user=reachable.alice)}
    assert saved == {
        K.TASK_ESCALATED: (True, True),
        K.CLOSURE: (True, False),
        K.TASK_ASSIGNED: (False, False),
        K.CONTACT_DUE: (False, False),
        K.PORTAL_MESSAGE: (False, False),
        K.MENTION: (False, False),
        K.HANDOVER: (False, False),
        K.HOSPITAL: (False, False),
    }
    assert notify.preferences(reachable.alice)[K.TASK_ESCALATED] == notify.Choice(email=True, sms=True)
    assert 'name="task_escalated_sms" id="id_task_escalated_sms" checked' in client.get(url).content.decode()


@pytest.mark.django_db
def test_um_staff_are_offered_only_the_prior_authorisation_notices(reachable: World, login) -> None:
    client: Client = login(reachable.uma)
    html = client.get(reverse("notifications:settings")).content.decode()
    assert K.PRIOR_AUTH.label in html and K.CONTACT_DUE.label not in html
    assert client.post(reverse("notifications:settings"), {"prior_auth_email": "on"}).status_code == 302
    assert {p.kind for p in NotificationPreference.objects.filter(user=reachable.uma)} == {K.PRIOR_AUTH}


@pytest.mark.django_db
def test_choosing_sms_without_a_work_phone_is_refused_beside_the_checkbox(reachable: World, login) -> None:
    client: Client = login(reachable.sam)  # Sam has an e-mail address but no work phone
    response = client.post(reverse("notifications:settings"), {"closure_sms": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(
        r'<td class="has-error">\s*<div class="field-check"><input[^>]*id="id_closure_sms"', html
    )
    assert 'id="id_closure_sms_error"' in html and "work phone" in html
    assert not NotificationPreference.objects.filter(user=reachable.sam).exists()
    with pytest.raises(ActionRefused) as refused:
        notify.do_set_preferences(reachable.sam, {K.CLOSURE: notify.Choice(email=True, sms=True)})
    assert set(refused.value.errors) == {"closure_sms"}


@pytest.mark.django_db
def test_the_pages_need_a_log_in(client: Client) -> None:
    for name in ("notifications:list", "notifications:settings"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- Periodic jobs ----------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_five_minute_job_escalates_an_overdue_task_to_the_supervisor(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    task = do_create_task(
        reachable.alice,
        reachable.paula,
        owner=reachable.alice,
        title="Call Paula about her insulin",
        due_at=clock.now() - dt.timedelta(hours=30),
    )
    assert tasks.escalate_overdue.call_local.__name__ == "escalate_overdue"
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_overdue.call_local() == 1
    task.refresh_from_db()
    assert task.escalated_to == reachable.sam and task.escalated_at is not None
    [n] = Notification.objects.filter(user=reachable.sam, kind=K.TASK_ESCALATED)
    assert "insulin" in n.title  # in the app, the supervisor sees what it is about
    [email] = mail.outbox
    assert email.to == ["sam@riverside.example"] and "insulin" not in str(email.body) + email.subject
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.escalate_overdue.call_local() == 0  # once only
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_one_escalation_sweep_at_a_time_and_a_stale_lock_is_cleared_when_the_worker_starts(
    world: World, settings
) -> None:
    with tasks.ESCALATION_LOCK, pytest.raises(TaskLockedException):
        tasks.escalate_overdue.call_local()
    assert tasks.escalate_overdue.call_local() == 0  # released afterwards
    tasks.ESCALATION_LOCK.acquire()  # as a worker killed mid-sweep leaves it
    HUEY.create_consumer(**ConsumerConfig(**settings.HUEY["consumer"]).values)
    assert not tasks.ESCALATION_LOCK.is_locked()


def test_the_jobs_are_scheduled_every_five_minutes_and_every_hour(settings) -> None:
    every_five = tasks.escalate_overdue.s().validate_datetime
    hourly = tasks.morning_summary.s().validate_datetime
    # huey's clock is naive UTC; the summary job looks at each organisation's own hour itself.
    assert every_five(dt.datetime(2026, 3, 2, 12, 5)) and not every_five(dt.datetime(2026, 3, 2, 12, 7))
    assert hourly(dt.datetime(2026, 3, 2, 7, 0)) and hourly(dt.datetime(2026, 3, 7, 23, 0))
    assert not hourly(dt.datetime(2026, 3, 2, 12, 1))
    assert HUEY.utc


@pytest.mark.parametrize(
    ("local", "summary"),
    [
        (dt.datetime(2026, 3, 2, 7, 0), True),  # a Monday at seven
        (dt.datetime(2026, 3, 6, 7, 30), True),  # a Friday, in a zone half an hour off the hour
        (dt.datetime(2026, 3, 2, 6, 59), False),
        (dt.datetime(2026, 3, 2, 8, 0), False),
        (dt.datetime(2026, 3, 7, 7, 0), False),  # Saturday
        (dt.datetime(2026, 3, 8, 7, 0), False),  # Sunday
    ],
)
def test_the_summary_goes_out_at_seven_on_weekdays(local: dt.datetime, summary: bool) -> None:
    assert tasks.is_summary_hour(local) is summary


@pytest.mark.django_db
def test_each_organisation_gets_its_summary_at_seven_in_its_own_time_zone(
    reachable: World, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TIME_ZONE = "America/New_York"
    # 2026-03-02 12:00 UTC, a Monday: 07:00 in New York, 04:00 in Los Angeles.
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC), tick=False):
        do_create_task(
            reachable.alice,
            reachable.paula,
            owner=reachable.alice,
            title="Overdue call",
            due_at=clock.now() - dt.timedelta(days=2),
            priority=TaskPriority.URGENT,
        )
        reachable.riverside.time_zone = "America/Los_Angeles"
        reachable.riverside.save(update_fields=["time_zone"])
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.morning_summary.call_local() == 0
        reachable.riverside.time_zone = ""  # the installation's: New York
        reachable.riverside.save(update_fields=["time_zone"])
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.morning_summary.call_local() == 1
    assert Notification.objects.get(kind=K.CONTACT_DUE).user == reachable.alice


@pytest.mark.django_db
def test_the_morning_summary_counts_what_is_due_and_is_sent_once_a_day(
    reachable: World, django_capture_on_commit_callbacks
) -> None:
    pytest.importorskip("careconductor.coordination.worklist")
    now = clock.now()
    for title, due in (
        ("Overdue call", now - dt.timedelta(days=2)),
        ("Call today", now + dt.timedelta(hours=2)),
    ):
        do_create_task(
            reachable.alice,
            reachable.paula,
            owner=reachable.alice,
            title=title,
            due_at=due,
            priority=TaskPriority.URGENT,
        )
    with django_capture_on_commit_callbacks(execute=True):
        sent = tasks.summarise_organisation(reachable.riverside)
    [n] = Notification.objects.filter(kind=K.CONTACT_DUE)
    assert n.user == reachable.alice and n.url == "/worklist/"
    assert n.title == "2 items on your worklist today (1 overdue)"
    assert sent == 1  # Bob, Sam and Charlie have nothing due; Dana is not a case manager
    [email] = [m for m in mail.outbox if "worklist" in m.subject]
    assert "2 items on your worklist today (1 overdue)." in str(email.body)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.summarise_organisation(reachable.riverside) == 0
    assert Notification.objects.filter(kind=K.CONTACT_DUE).count() == 1
