"""The staff's appointment pages through the test client: booking with errors beside their fields, the page of
one appointment (outcome, follow-up), the calendar of a person and a team with busy slots for strangers'
patients, the reminder times, the chart's card and the worklist's rows; strangers get 404, readers 403, bad
input never a 500, and each page has a query budget."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from careconductor.appointments.choices import AppointmentStatus
from careconductor.appointments.models import Appointment, ReminderSetting
from careconductor.coordination.worklist import build_worklist

from ..coordination.test_followup_actions import enrol
from ..personas import World
from .conftest import TODAY, at
from .helpers import book

pytestmark = pytest.mark.django_db

TOMORROW = TODAY + dt.timedelta(days=1)
BUSY = '<span class="muted">Busy</span>'


def _post(patient_id: int, **changes: str) -> dict[str, str]:
    data = {
        "starts_at": f"{TOMORROW:%Y-%m-%d}T09:30",
        "minutes": "45",
        "purpose": "Blood pressure review",
        "with_kind": "care_team",
        "staff": "",
        "referral": "",
        "provider_name": "",
        "mode": "in_person",
        "location": "Riverside Clinic",
        "interpreter_needed": "on",
        "what_to_bring": "Your blood pressure diary",
    }
    data.update(changes)
    return data


def test_alice_books_from_the_patients_appointments_page(
    world: World, login, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = login(world.alice)
    url = reverse("appointments:list", kwargs={"patient_id": world.paula.pk})
    book(world)
    with django_assert_max_num_queries(30):
        page = client.get(url)
    assert page.status_code == 200 and "Follow-up after the hospital" in page.content.decode()
    response = client.post(url, _post(world.paula.pk, staff=str(world.dana.pk)))
    made = Appointment.objects.get(purpose="Blood pressure review")
    assert response.status_code == 302 and response["Location"] == reverse(
        "appointments:detail", kwargs={"appointment_id": made.pk}
    )
    assert (made.staff, made.ends_at - made.starts_at, made.interpreter_needed) == (
        world.dana,
        dt.timedelta(minutes=45),
        True,
    )
    assert made.starts_at == at(TOMORROW, 9, 30)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"staff": ""}, "staff", "Choose the member of the care team."),
        ({"location": ""}, "location", "Say where"),
        ({"starts_at": "yesterday"}, "starts_at", "Enter a valid date/time."),
        ({"minutes": "-3"}, "minutes", "greater than or equal to 5"),
        ({"staff": "99999999"}, "staff", "Select a valid choice"),
        ({"with_kind": "outside", "staff": ""}, "provider_name", "Name the provider"),
    ],
)
def test_booking_errors_stand_beside_their_fields(
    world: World, login, changes: dict[str, str], field: str, words: str
) -> None:  # type: ignore[no-untyped-def]
    client = login(world.alice)
    data = _post(world.paula.pk, staff=str(world.dana.pk))
    data.update(changes)
    response = client.post(reverse("appointments:list", kwargs={"patient_id": world.paula.pk}), data)
    assert response.status_code == 400
    assert words in response.context["form"].errors[field][0]
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Appointment.objects.exists()


def test_strangers_get_404_and_readers_may_not_post(world: World, login) -> None:  # type: ignore[no-untyped-def]
    appointment = book(world)
    urls = [
        reverse("appointments:list", kwargs={"patient_id": world.paula.pk}),
        reverse("appointments:detail", kwargs={"appointment_id": appointment.pk}),
    ]
    for person in (world.bob, world.charlie):
        client = login(person)
        assert [client.get(u).status_code for u in urls] == [404, 404]
        assert client.post(urls[1], {"status": "cancelled"}).status_code == 404
    client = login(world.dana)  # on the care team: reads, does not change
    assert [client.get(u).status_code for u in urls] == [200, 200]
    assert client.post(urls[0], _post(world.paula.pk)).status_code == 403
    outcome = reverse("appointments:outcome", kwargs={"appointment_id": appointment.pk})
    assert client.post(outcome, {"status": "cancelled", "reason": "x"}).status_code == 403


def test_the_appointment_page_records_what_happened(
    world: World, login, traveller: time_machine.Traveller, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    appointment = book(world)
    client = login(world.alice)
    url = reverse("appointments:detail", kwargs={"appointment_id": appointment.pk})
    with django_assert_max_num_queries(30):
        page = client.get(url)
    text = page.content.decode()
    assert (
        "Book a ride" in text
        and f"/patients/{world.paula.pk}/referrals/new/?need=transport&amp;appointment={appointment.pk}"
        in text
    )
    outcome = reverse("appointments:outcome", kwargs={"appointment_id": appointment.pk})
    early = client.post(outcome, {"status": "noshow"})
    assert early.status_code == 400 and "has not started yet" in early.content.decode()
    assert client.post(outcome, {"status": "bogus"}).status_code == 400
    traveller.move_to(at(TOMORROW, 11))
    client = login(world.alice)  # a day later: the session has timed out
    assert client.post(outcome, {"status": "noshow"}).status_code == 302
    assert "Missed: follow it up" in client.get(url).content.decode()
    follow = reverse("appointments:follow_up", kwargs={"appointment_id": appointment.pk})
    assert client.post(follow).status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).followed_up_at is not None


def test_changing_an_appointment_from_its_page(world: World, login) -> None:  # type: ignore[no-untyped-def]
    appointment = book(world)
    client = login(world.alice)
    url = reverse("appointments:detail", kwargs={"appointment_id": appointment.pk})
    response = client.post(url, _post(world.paula.pk, staff=str(world.dana.pk), minutes="60"))
    assert response.status_code == 302
    changed = Appointment.objects.get(pk=appointment.pk)
    assert (changed.starts_at, changed.ends_at, changed.purpose) == (
        at(TOMORROW, 9, 30),
        at(TOMORROW, 10, 30),
        "Blood pressure review",
    )
    assert client.post(url, _post(world.paula.pk, staff="", with_kind="service")).status_code == 400


def test_the_calendar_shows_a_person_or_a_team_by_week_or_day(
    world: World, login, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    book(world)  # with Dana, tomorrow at 10:00
    url = reverse("appointments:calendar")
    client = login(world.alice)
    with django_assert_max_num_queries(20):
        week = client.get(url, {"staff": world.dana.pk})
    text = week.content.decode()
    assert week.status_code == 200 and "Paula" in text and "Follow-up after the hospital" in text
    day = client.get(url, {"staff": world.dana.pk, "view": "day", "day": f"{TOMORROW:%Y-%m-%d}"})
    assert "Follow-up after the hospital" in day.content.decode()
    other_day = client.get(url, {"staff": world.dana.pk, "view": "day", "day": f"{TODAY:%Y-%m-%d}"})
    assert "Follow-up after the hospital" not in other_day.content.decode()
    # Bob follows no record of Paula's: Dana's slot is only "Busy".
    text = login(world.bob).get(url, {"staff": world.dana.pk}).content.decode()
    assert "Paula" not in text and "Follow-up" not in text and BUSY in text
    # The team (Dana is on no team: the team's members, not hers).
    team = login(world.sam).get(url, {"team": world.north.pk})
    assert team.status_code == 200 and "Alice Tester" in team.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "?day=not-a-day",
        "?day=9999-12-31",
        "?day=0001-01-01&view=day",
        "?staff=abc",
        "?team=999999",
        "?view=month",
        "?staff=99999999999999",
    ],
)
def test_the_calendar_takes_bad_links_without_an_error(world: World, login, query: str) -> None:  # type: ignore[no-untyped-def]
    assert login(world.alice).get(reverse("appointments:calendar") + query).status_code == 200


def test_a_care_team_member_has_a_calendar_and_charlie_sees_none_of_riverside(world: World, login) -> None:  # type: ignore[no-untyped-def]
    book(world)
    assert BUSY not in login(world.dana).get(reverse("appointments:calendar")).content.decode()
    text = (
        login(world.charlie).get(reverse("appointments:calendar"), {"staff": world.dana.pk}).content.decode()
    )
    assert BUSY not in text and "Dana" not in text
    assert login(world.uma).get(reverse("appointments:calendar")).status_code == 403


def test_the_administrator_sets_the_reminder_times(world: World, login) -> None:  # type: ignore[no-untyped-def]
    url = reverse("appointments:reminder_settings")
    assert login(world.alice).get(url).status_code == 403
    client = login(world.adam)
    page = client.get(url).content.decode()
    assert "2 days before at 10:00" in page and 'aria-current="page">Appointment reminders' in page
    bad = client.post(url, {"offsets": "1d@18:00, soon"})
    assert bad.status_code == 400 and "“soon” is not a reminder time" in bad.content.decode()
    assert client.post(url, {"offsets": "1d@18:00, 3h"}).status_code == 302
    assert ReminderSetting.objects.get(organization=world.riverside).offsets == ["1d@18:00", "3h"]


def test_the_chart_shows_the_upcoming_appointments(world: World, login) -> None:  # type: ignore[no-untyped-def]
    book(world)
    text = (
        login(world.alice)
        .get(reverse("patients:chart", kwargs={"patient_id": world.paula.pk}))
        .content.decode()
    )
    assert (
        "Upcoming appointments" in text
        and "Follow-up after the hospital" in text
        and "Interpreter not booked" in text
    )


def test_a_missed_appointment_and_a_change_asked_for_are_on_the_worklist(
    world: World, traveller: time_machine.Traveller
) -> None:
    from careconductor.appointments import actions

    enrol(world, world.paula_case)  # the worklist is of active cases
    missed = book(world)
    later = book(world, starts_at=at(TODAY + dt.timedelta(days=5), 10))
    traveller.move_to(at(TOMORROW, 11))
    actions.do_record_outcome(world.alice, missed, status=AppointmentStatus.NO_SHOW)
    Appointment.objects.filter(pk=later.pk).update(
        patient_answer="change", patient_answer_at=at(TOMORROW, 10)
    )

    def rows() -> list[str]:
        return sorted(i.reason for i in build_worklist(world.alice).items if i.kind == "appointment")

    assert rows() == [
        "Asked to change the appointment of Mon Mar 15 10:00 (Follow-up after the hospital)",
        "Missed appointment Thu Mar 11 10:00 (Follow-up after the hospital): follow up",
    ]
    actions.do_follow_up_missed(world.alice, missed)
    actions.do_change_appointment(world.alice, later, starts_at=at(TODAY + dt.timedelta(days=6), 10))
    assert rows() == []


def test_an_interpreter_or_a_ride_still_to_book_is_on_the_worklist_in_one_query(world: World) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from careconductor.appointments import actions
    from careconductor.appointments.worklist import appointment_items
    from careconductor.cases.models import Case

    enrol(world, world.paula_case)
    soon = book(world, transport_needed=True)  # tomorrow: the interpreter (Paula's record) and a ride
    book(world, starts_at=at(TODAY + dt.timedelta(days=6), 10))  # next week: not yet

    def rows() -> list[str]:
        return [i.reason for i in build_worklist(world.alice).items if i.kind == "appointment"]

    assert rows() == ["Book the interpreter and the ride for the appointment of Thu Mar 11 10:00"]
    actions.do_change_appointment(world.alice, soon, starts_at=soon.starts_at, interpreter_booked=True)
    assert rows() == ["Book the ride for the appointment of Thu Mar 11 10:00"]
    cases = list(Case.objects.filter(pk=world.paula_case.pk))
    for n in range(3):
        book(world, starts_at=at(TOMORROW, 13 + n), transport_needed=True)
    with CaptureQueriesContext(connection) as captured:
        assert len(appointment_items(cases, TODAY)) == 4
    assert len(captured.captured_queries) == 1
