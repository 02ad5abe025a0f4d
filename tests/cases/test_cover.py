"""Cover for leave (issue 17 §4): Bob covers Alice's caseload for some days. Before, during and after the dates
(both inclusive, in the organisation's time zone) he may or may not open Paula's chart, and his worklist does or
does not carry her due work under 'Covering for Alice Tester until …'."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.cover import do_end_cover, do_record_cover
from careconductor.cases.models import Cover
from careconductor.coordination.actions import do_create_task
from careconductor.coordination.choices import NotificationKind
from careconductor.coordination.models import Notification
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.privacy import policy

from ..personas import World, make_staff

pytestmark = pytest.mark.django_db


def day(n: int) -> dt.date:
    return clock.today() + dt.timedelta(days=n)


def at(d: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in the organisation's time zone."""
    return timezone.make_aware(dt.datetime.combine(d, dt.time(hour, minute)))


def cover(world: World, start: int = 2, end: int = 4, by: User | None = None) -> Cover:
    return do_record_cover(
        by or world.sam, absent=world.alice, delegate=world.bob, start_date=day(start), end_date=day(end)
    )


def covered_items(world: World) -> list[str]:
    worklist = build_worklist(User.objects.get(pk=world.bob.pk))
    _own, covering = worklist.split_covering(worklist.items)
    return [f"{c.label}: {item.reason}" for c, items in covering for item in items]


# Bob covers from day 2 to day 4. Each row: the moment (days from today, hour), whether the cover is in force.
@pytest.mark.parametrize(
    ("offset", "hour", "minute", "in_force"),
    [
        (1, 12, 0, False),  # the day before
        (1, 23, 59, False),  # a minute before the first day, in the organisation's time zone
        (2, 0, 1, True),  # the first day
        (3, 12, 0, True),
        (4, 23, 59, True),  # the last day, to its end
        (5, 0, 1, False),  # the day after
        (30, 12, 0, False),
    ],
)
def test_the_delegate_sees_the_absent_persons_patients_and_work_only_during_the_cover(
    world: World, offset: int, hour: int, minute: int, in_force: bool
) -> None:
    do_create_task(
        world.alice,
        world.paula,
        owner=world.alice,
        title="Refill check",
        due_at=clock.now() + dt.timedelta(days=1),
    )
    until = day(4)
    cover(world)
    with time_machine.travel(at(day(offset), hour, minute), tick=False):
        assert policy.can(world.bob, policy.Action.VIEW, world.paula) is in_force
        items = covered_items(world)
    if in_force:
        label = f"Covering for Alice Tester until {until:%a} {until.day} {until:%b}"
        assert items and all(i.startswith(label) for i in items)
        assert any("Refill check" in i for i in items)
    else:
        assert items == []


def test_covering_adds_no_query_to_the_worklist_whatever_the_covered_caseload(world: World) -> None:
    bob = User.objects.get(pk=world.bob.pk)
    do_register_and_refer(  # a case of his own, so both worklists have every part
        bob,
        PatientDetails(given_name="Ivan", family_name="Own", birth_date=dt.date(1950, 1, 1), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
    )
    with CaptureQueriesContext(connection) as alone:
        build_worklist(bob)
    cover(world, start=0, end=3)
    with CaptureQueriesContext(connection) as covering:
        worklist = build_worklist(bob)
    assert worklist.covering and len(covering.captured_queries) == len(alone.captured_queries)


def test_access_ends_when_the_cover_is_ended_early(world: World) -> None:
    made = cover(world, start=0, end=5)
    assert policy.can(world.bob, policy.Action.VIEW, world.paula)
    do_end_cover(world.sam, made)
    assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    assert Cover.objects.get(pk=made.pk).cancelled_at is not None  # it had not begun a day before: cancelled


def test_a_cover_that_has_begun_ends_yesterday_and_stays_on_record(world: World) -> None:
    made = cover(world, start=0, end=5)
    with time_machine.travel(at(day(2), 10), tick=False):
        do_end_cover(world.alice, made)
        assert not policy.can(world.bob, policy.Action.VIEW, world.paula)
    made.refresh_from_db()
    assert made.end_date == day(1) and made.cancelled_at is None


def test_the_delegate_is_told(world: World) -> None:
    cover(world)
    [told] = Notification.objects.filter(user=world.bob)
    assert told.kind == NotificationKind.HANDOVER and told.title.startswith(
        "You cover for Alice Tester from "
    )


@pytest.mark.parametrize(
    ("start", "end", "delegate", "errors"),
    [
        (3, 2, "bob", {"end_date": "The last day is on or after the first."}),
        (-5, -1, "bob", {"end_date": "That leave is over: a cover must end today or later."}),
        (0, 400, "bob", {"end_date": "A cover lasts at most a year; for longer, reassign the cases."}),
        (400, 401, "bob", {"start_date": "Record a cover at most a year ahead."}),
        (0, 1, "alice", {"delegate": "Someone else covers: choose a colleague."}),
        (0, 1, "dana", {"delegate": "Choose an active case manager or supervisor of this organisation."}),
        (0, 1, "charlie", {"delegate": "Choose an active case manager or supervisor of this organisation."}),
        (0, 1, None, {"delegate": "Choose who covers."}),
    ],
)
def test_a_cover_is_checked_beside_its_fields_and_nothing_is_kept(
    world: World, start: int, end: int, delegate: str | None, errors: dict[str, str]
) -> None:
    with pytest.raises(ActionRefused) as refused:
        do_record_cover(
            world.sam,
            absent=world.alice,
            delegate=getattr(world, delegate) if delegate else None,
            start_date=day(start),
            end_date=day(end),
        )
    assert refused.value.errors == errors
    assert not Cover.objects.exists()


def test_an_inactive_delegate_is_refused(world: World) -> None:
    gone = make_staff("gone", Role.CASE_MANAGER, world.riverside, team=world.north)
    gone.is_active = False
    gone.save()
    with pytest.raises(ActionRefused) as refused:
        do_record_cover(world.sam, absent=world.alice, delegate=gone, start_date=day(0), end_date=day(1))
    assert set(refused.value.errors) == {"delegate"}


@pytest.mark.parametrize(
    ("start", "end", "clash"), [(4, 6, True), (0, 2, True), (3, 3, True), (5, 9, False), (0, 1, False)]
)
def test_covers_for_the_same_person_do_not_overlap(world: World, start: int, end: int, clash: bool) -> None:
    cover(world, start=2, end=4)
    attempt = lambda: do_record_cover(  # noqa: E731
        world.sam, absent=world.alice, delegate=world.sam, start_date=day(start), end_date=day(end)
    )
    if clash:
        with pytest.raises(ActionRefused) as refused:
            attempt()
        assert refused.value.errors["start_date"].startswith(
            "Alice Tester is already covered by Bob Tester from "
        )
    else:
        attempt()


@pytest.mark.parametrize(("who", "allowed"), [("alice", True), ("sam", True), ("adam", True), ("bob", False)])
def test_the_absent_person_their_supervisor_or_an_administrator_records_it(
    world: World, who: str, allowed: bool
) -> None:
    if allowed:
        cover(world, by=getattr(world, who))
    else:
        with pytest.raises(ActionRefused):
            cover(world, by=getattr(world, who))


# --- Pages ---------------------------------------------------------------------------------------------------
def test_the_delegates_worklist_page_shows_the_covered_group(world: World, login) -> None:
    do_create_task(world.alice, world.paula, owner=world.alice, title="Refill check", due_at=clock.now())
    cover(world, start=0, end=3)
    body = login(world.bob).get(reverse("coordination:worklist")).content.decode()
    until = day(3)
    assert f"Covering for Alice Tester until {until:%a} {until.day} {until:%b}" in body
    assert "Refill check" in body and "Reyes, Paula" in body
    assert login(world.bob).get(reverse("patients:chart", args=[world.paula.pk])).status_code == 200


def test_a_case_manager_records_their_own_cover_on_the_page_and_errors_show_beside_the_fields(
    world: World, login
) -> None:
    client = login(world.alice)
    page = client.get(reverse("cases:covers"))
    assert page.status_code == 200 and "Record a cover" in page.content.decode()
    refused = client.post(
        reverse("cases:covers"),
        {"absent": world.alice.pk, "delegate": world.bob.pk, "start_date": day(3), "end_date": day(1)},
    )
    assert refused.status_code == 400 and 'id="id_end_date_error"' in refused.content.decode()
    assert not Cover.objects.exists()
    done = client.post(
        reverse("cases:covers"),
        {"absent": world.alice.pk, "delegate": world.bob.pk, "start_date": day(1), "end_date": day(3)},
    )
    assert done.status_code == 302
    listed = client.get(reverse("cases:covers")).content.decode()
    assert "Bob Tester" in listed and "Cancel" in listed
    made = Cover.objects.get()
    assert client.post(reverse("cases:cover_end"), {"cover": made.pk}).status_code == 302
    assert Cover.objects.get().cancelled_at is not None


def test_a_colleague_cannot_end_someone_elses_cover_nor_see_it(world: World, login) -> None:
    made = cover(world)
    charlie = login(world.charlie)
    assert charlie.post(reverse("cases:cover_end"), {"cover": made.pk}).status_code == 404
    assert "Alice" not in charlie.get(reverse("cases:covers")).content.decode()
    assert Cover.objects.get().cancelled_at is None


def test_the_covers_page_has_a_query_budget(world: World, login, django_assert_max_num_queries) -> None:
    cover(world)
    client = login(world.sam)
    with django_assert_max_num_queries(COVERS_BUDGET):
        assert client.get(reverse("cases:covers")).status_code == 200


# Session, user, second factor and organisation (4), the people offered (2), the covers (1), the session save (3).
COVERS_BUDGET = 10


def test_covered_work_ranks_with_the_delegates_own_by_urgency_and_says_whose_it_is(
    world: World, login
) -> None:
    """Issue 18: Paula's contact, overdue on Alice's caseload, sits in Bob's 'Contacts due' among his own overdue
    contacts (by how overdue), each of its rows marked as covered; not in a group after all of his work."""
    from tests.coordination.test_followup_actions import enrol

    start = clock.now()
    enrol(world, world.paula_case)  # tier 3: every 14 days
    ivan = do_register_and_refer(
        world.bob,
        PatientDetails(given_name="Ivan", family_name="Own", birth_date=dt.date(1950, 1, 1), sex=Sex.MALE),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        acuity_tier=4,  # every 7 days
    )
    enrol(world, ivan.cases.get(), world.bob)
    with time_machine.travel(start + dt.timedelta(days=20), tick=False):
        do_create_task(world.bob, ivan, owner=world.bob, title="Post the leaflet", due_at=clock.now())
        cover(world, start=0, end=3)
        body = login(world.bob).get(reverse("coordination:worklist")).content.decode()
        label = f"Covering for Alice Tester until {day(3):%a} {day(3).day} {day(3):%b}"
    section = body[body.index(">Contacts due") :]  # the first band: both contacts are overdue
    # Ivan is 13 days overdue, Paula 6: Ivan's group first, then Paula's, each row of hers marked as covered
    # (no section of its own after Bob's work any more).
    assert section.index("Own, Ivan") < section.index("Reyes, Paula") < section.index(label)
    assert not re.search(r"<h2[^>]*>\s*Covering for", body)
    assert section.count(label) == section.count(f'data-patient="{world.paula.pk}"') - 1
