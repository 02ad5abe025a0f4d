"""The operator's ADT feeds pages (issue 19): the feeds with their last message and the week's counts, adding,
pausing and resuming a feed, the match queue worked on screen, the message list and one message's raw text
beside what it did. Only the organisation's administrators open them; a message read is audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.patients.models import Encounter, Patient
from careconductor.privacy.models import AuditEvent
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.choices import Outcome
from careconductor.transitions.models import AdtMessage, Feed

from ..personas import World, make_staff
from .messages import adt

pytestmark = pytest.mark.django_db

UNREADABLE = "MSH|^~\\&|EPIC|STMARYS|CC|CC|2026||ADT^A01|X1|P|2.1\rPID|1||H1"


def _nguyen(control_id: str, trigger: str = "A01", **more: object) -> str:
    """A message about someone with no record here: held in the match queue."""
    return adt(trigger, control_id, mrn="H777", family="Nguyen", given="Thanh", birth="19480203", sex="M",
               **more)  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
def feed(world: World) -> Feed:
    return do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")


@pytest.fixture
def traffic(world: World, feed: Feed) -> dict[str, AdtMessage]:
    """One message of each outcome: applied (Paula admitted), held (Nguyen), not applied, unreadable."""
    return {
        "applied": do_receive(adt("A01", "M1")).message,
        "held": do_receive(_nguyen("M2")).message,
        "error": do_receive(adt("A11", "M3", pv1={19: "V404"})).message,
        "rejected": do_receive(UNREADABLE).message,
    }


def _twin(world: World) -> Patient:
    """A second Paula Reyes born the same day: messages about Paula are then held with both as candidates."""
    return Patient.objects.create(
        organization=world.riverside, given_name="Paula", family_name="Reyes",
        birth_date=dt.date(1956, 3, 14), sex="female",
    )  # fmt: skip


def test_the_feeds_page_shows_each_feed_its_last_message_and_the_weeks_counts(
    world: World, traffic: dict[str, AdtMessage], login
) -> None:
    page = login(world.adam).get(reverse("transitions:feeds"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "St. Mary&#x27;s Hospital" in html and "STMARYS" in html and "Pause" in html
    assert 'aria-current="page">ADT feeds' in html  # the set-up tab
    row = next(r for r in _feed_rows(world) if r.feed.sending_facility == "STMARYS")
    assert row.last_message_at == max(m.received_at for m in traffic.values())
    # (trigger, words, applied/held/error/rejected, total): the unreadable one counts under its facility.
    assert row.rows == [
        ("A01", "admitted", [1, 1, 0, 1], 3),
        ("A11", "admission cancelled", [0, 0, 1, 0], 1),
    ]
    assert "admission cancelled" in html


def _feed_rows(world: World):  # type: ignore[no-untyped-def]
    from careconductor.transitions.queries import access_feeds

    return access_feeds(world.adam)


def test_the_pages_render_for_an_administrator_with_messages_of_every_outcome(
    world: World, traffic: dict[str, AdtMessage], login
) -> None:
    client = login(world.adam)
    listed = client.get(reverse("transitions:messages")).content.decode()
    assert "Paula Reyes" in listed and "Rejected, unreadable (AR)" in listed and "no visit V404" in listed
    only_held = client.get(reverse("transitions:messages"), {"outcome": "held"}).content.decode()
    assert "1 message," in only_held and "Waiting for a patient match" in only_held
    queue = client.get(reverse("transitions:queue")).content.decode()
    assert "Thanh Nguyen" in queue and "3 Feb 1948" in queue and "Male" in queue and "H777" in queue
    assert "no patient matches" in queue and "Create the patient" in queue
    for name, message in traffic.items():
        shown = client.get(reverse("transitions:message", args=[message.pk]))
        assert shown.status_code == 200, name
        assert '<code class="wrap">MSH|^~\\&amp;|EPIC|STMARYS' in shown.content.decode(), name
        assert f"<code>{message.ack_code}</code>" in shown.content.decode(), name


def test_the_message_page_shows_the_raw_text_beside_what_it_did_and_audits_the_read(
    world: World, traffic: dict[str, AdtMessage], login
) -> None:
    message = traffic["applied"]
    client = login(world.adam)
    html = client.get(reverse("transitions:message", args=[message.pk])).content.decode()
    # The segments, one a line.
    for segment in ("MSH|", "EVN|A01", "PID|1||H100^^^STMARYS^MR", "PV1|"):
        assert f'<code class="wrap">{segment}' in html
    assert "Paula Reyes admitted (V1)" in html and "<code>AA</code>" in html
    assert reverse("patients:chart", args=[world.paula.pk]) in html and "V1, 4W room 412 bed B" in html
    assert AuditEvent.objects.filter(
        user=world.adam, patient_id=world.paula.pk, action="read", object_type="AdtMessage",
        object_id=str(message.pk),
    ).exists()  # fmt: skip


def test_the_match_queue_names_the_candidates_and_this_is_applies_the_message(
    world: World, feed: Feed, login
) -> None:
    twin = _twin(world)
    held = do_receive(adt("A01", "M1")).message
    assert held.outcome == Outcome.HELD
    client = login(world.adam)
    queue = client.get(reverse("transitions:queue")).content.decode()
    assert "2 patients may be this person" in queue
    assert queue.count("This is Paula Reyes") == 2
    assert reverse("patients:chart", args=[twin.pk]) in queue
    assert reverse("patients:chart", args=[world.paula.pk]) in queue
    done = client.post(reverse("transitions:resolve", args=[held.pk]), {"patient": world.paula.pk})
    assert done.status_code == 302 and done["Location"] == reverse("transitions:queue")
    held.refresh_from_db()
    assert held.outcome == Outcome.APPLIED and held.patient_id == world.paula.pk
    assert held.resolved_by_id == world.adam.pk
    assert Encounter.objects.filter(patient=world.paula, source="hl7v2").count() == 1
    assert "No message is waiting" in client.get(reverse("transitions:queue")).content.decode()


def test_create_the_patient_applies_every_message_held_for_the_mrn(world: World, feed: Feed, login) -> None:
    first = do_receive(_nguyen("M1")).message
    do_receive(_nguyen("M2", "A03", pv1={36: "01", 45: "20261203100000"}))
    client = login(world.adam)
    done = client.post(reverse("transitions:resolve", args=[first.pk]), {"create": "1"})
    assert done.status_code == 302
    assert "2 messages applied" in client.get(done["Location"]).content.decode()
    nguyen = Patient.objects.get(family_name="Nguyen")
    assert set(AdtMessage.objects.values_list("outcome", "patient")) == {(Outcome.APPLIED, nguyen.pk)}


def test_someone_else_finds_a_patient_the_message_did_not_match(world: World, feed: Feed, login) -> None:
    # The hospital has his birth date wrong: he is not a candidate, staff find him by name.
    thanh = Patient.objects.create(
        organization=world.riverside, given_name="Thanh", family_name="Nguyen", birth_date=dt.date(1948, 3, 2),
        sex="male",
    )  # fmt: skip
    Patient.objects.create(
        organization=world.lakeside, given_name="Thanh", family_name="Nguyen", birth_date=dt.date(1948, 2, 3),
        sex="male",
    )  # fmt: skip
    held = do_receive(_nguyen("M1")).message
    assert held.outcome == Outcome.HELD and held.candidates == []
    client = login(world.adam)
    queue = reverse("transitions:queue")
    page = client.get(queue, {"message": held.pk, "find": "nguyen"}).content.decode()
    assert "Found for “nguyen”" in page and page.count("This is Thanh Nguyen") == 1  # not Lakeside's
    assert AuditEvent.objects.filter(object_type="AdtMatchSearch", patient=thanh).exists()
    nobody = client.get(queue, {"message": held.pk, "find": "zzzz"}).content.decode()
    assert "No patient you may see is found for “zzzz”" in nobody
    for bad in (
        {"message": "x", "find": "nguyen"},
        {"message": held.pk, "find": ""},
        {"message": "²", "find": "a"},
    ):
        answer = client.get(queue, bad)
        assert answer.status_code == 200 and "Found for" not in answer.content.decode()
    client.post(reverse("transitions:resolve", args=[held.pk]), {"patient": thanh.pk})
    held.refresh_from_db()
    assert held.outcome == Outcome.APPLIED and held.patient_id == thanh.pk


def test_a_resolve_without_a_choice_or_with_a_patient_out_of_reach_changes_nothing(
    world: World, feed: Feed, login
) -> None:
    held = do_receive(_nguyen("M1")).message
    stranger = Patient.objects.create(
        organization=world.lakeside, given_name="Lou", family_name="Lake", birth_date=dt.date(1950, 1, 1),
        sex="male",
    )  # fmt: skip
    client = login(world.adam)
    url = reverse("transitions:resolve", args=[held.pk])
    nothing = client.post(url, {})
    assert nothing.status_code == 400 and "Choose the patient, or create one" in nothing.content.decode()
    elsewhere = client.post(url, {"patient": stranger.pk})
    assert elsewhere.status_code == 400 and "not one you may choose" in elsewhere.content.decode()
    assert AdtMessage.objects.get(pk=held.pk).outcome == Outcome.HELD
    assert not Patient.objects.filter(family_name="Nguyen").exists()


def test_adding_a_feed_with_bad_input_shows_errors_beside_the_fields_and_changes_nothing(
    world: World, feed: Feed, login
) -> None:
    client = login(world.adam)
    url = reverse("transitions:feeds")
    blank = client.post(url, {"name": "", "sending_facility": "ST|MARYS"})
    assert blank.status_code == 400
    html = blank.content.decode()
    assert 'id="id_name_error"' in html and "This field is required" in html
    again = client.post(url, {"name": "Mercy", "sending_facility": "STMARYS"})
    assert again.status_code == 400
    assert 'id="id_sending_facility_error">A feed already receives messages from that facility' in (
        again.content.decode()
    )
    bad = client.post(url, {"name": "Mercy", "sending_facility": "ST|MARYS"})
    assert bad.status_code == 400 and 'id="id_sending_facility_error">Give MSH-4' in bad.content.decode()
    assert list(Feed.objects.values_list("sending_facility", flat=True)) == ["STMARYS"]
    added = client.post(url, {"name": "Mercy General", "sending_facility": "MERCY", "mrn_authority": "MGH"})
    assert added.status_code == 302
    mercy = Feed.objects.get(sending_facility="MERCY")
    assert mercy.mrn_authority == "MGH" and mercy.organization_id == world.riverside.pk and mercy.active


def test_pausing_a_feed_rejects_its_messages_until_it_is_resumed(world: World, feed: Feed, login) -> None:
    client = login(world.adam)
    url = reverse("transitions:feed_active", args=[feed.pk])
    assert client.post(url, {"active": "no"}).status_code == 302
    assert not Feed.objects.get(pk=feed.pk).active
    assert "Resume" in client.get(reverse("transitions:feeds")).content.decode()
    assert do_receive(adt("A01", "M1")).message.outcome == Outcome.REJECTED
    assert client.post(url, {"active": "maybe"}).status_code == 400
    assert client.post(url, {"active": "yes"}).status_code == 302
    assert Feed.objects.get(pk=feed.pk).active


def test_a_case_manager_and_another_organisations_administrator_are_refused(
    world: World, traffic: dict[str, AdtMessage], feed: Feed, login
) -> None:
    held, applied = traffic["held"], traffic["applied"]
    gets = [
        reverse("transitions:feeds"),
        reverse("transitions:queue"),
        reverse("transitions:messages"),
        reverse("transitions:message", args=[applied.pk]),
    ]
    posts = [
        (reverse("transitions:resolve", args=[held.pk]), {"create": "1"}),
        (reverse("transitions:feed_active", args=[feed.pk]), {"active": "no"}),
    ]
    alice = login(world.alice)
    for url in gets:
        assert alice.get(url).status_code == 403, url
    for url, data in posts:
        assert alice.post(url, data).status_code == 403, url
    ana = login(make_staff("ana", Role.ADMIN, world.lakeside))
    for url in gets[:3]:
        page = ana.get(url)
        html = page.content.decode()
        assert page.status_code == 200 and "Reyes" not in html and "Nguyen" not in html, url
        assert reverse("transitions:feed_active", args=[feed.pk]) not in html and "<code>STMARYS" not in html
    assert ana.get(gets[3]).status_code == 404
    for url, data in posts:
        assert ana.post(url, data).status_code == 404, url
    assert AdtMessage.objects.get(pk=held.pk).outcome == Outcome.HELD and Feed.objects.get(pk=feed.pk).active
    assert not AuditEvent.objects.filter(
        user__username__in=["alice", "ana"], patient=world.paula, action="read"
    ).exists()


def _queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_feeds_and_queue_pages_cost_the_same_queries_however_many_messages(
    world: World, feed: Feed, login, django_assert_max_num_queries
) -> None:
    _twin(world)
    do_create_feed(world.adam, name="Mercy General", sending_facility="MERCY")
    do_receive(adt("A01", "M1"))  # two candidates
    do_receive(_nguyen("N1"))
    client = login(world.adam)
    feeds, queue = reverse("transitions:feeds"), reverse("transitions:queue")
    with django_assert_max_num_queries(12):
        client.get(feeds)
    with django_assert_max_num_queries(19):
        client.get(queue)
    small = _queries(client, feeds), _queries(client, queue)
    for n in range(6):
        do_receive(adt("A01", f"P{n}", mrn=f"Q{n}", family=f"Quinn{n}", facility="MERCY"))
        do_receive(adt("A08", f"R{n}", mrn="H100"))  # behind Paula's held admission
        do_receive(UNREADABLE.replace("X1", f"U{n}"))
    assert AdtMessage.objects.filter(outcome=Outcome.HELD).count() == 14
    assert (_queries(client, feeds), _queries(client, queue)) == small
