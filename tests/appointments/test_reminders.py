"""Reminders: each sent once, at the right local time across a daylight-saving change, by the patient's
preferred channel, in their language, carrying the portal link; a sweep run twice (or by two workers) sends
nothing more, and a moved appointment is reminded of again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail

from careconductor.appointments import actions
from careconductor.appointments.choices import Channel, ReminderOutcome
from careconductor.appointments.models import Reminder
from careconductor.appointments.reminders import do_send_due_reminders
from careconductor.core import sms
from careconductor.patients.models import Patient

from ..personas import World
from .conftest import NOW, at
from .helpers import book

pytestmark = pytest.mark.django_db

# Monday 15 March 2027, 09:00 in New York: the clocks went forward on Sunday 14 March at 02:00.
MONDAY = dt.date(2027, 3, 15)
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _outboxes(settings: Any) -> Iterator[None]:
    settings.SMS_BACKEND = "careconductor.core.sms.LocmemBackend"
    settings.SITE_URL = "https://cc.example"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def reachable(patient: Patient, **fields: Any) -> None:
    # Contact details as the registration screen keeps them (test set-up, not the behaviour under test).
    Patient.objects.filter(pk=patient.pk).update(**fields)


def sweep_until(
    until: dt.datetime, traveller: time_machine.Traveller, step: dt.timedelta
) -> list[dt.datetime]:
    """Run the worker's sweep every `step` from now until `until`; the moments when something was sent."""
    moments = []
    moment = NOW
    while moment <= until:
        traveller.move_to(moment)
        if do_send_due_reminders():
            moments.append(moment)
        assert do_send_due_reminders() == 0  # a second run at the same moment sends nothing
        moment += step
    return moments


def test_reminders_go_once_at_the_right_local_time_across_a_daylight_saving_change(
    world: World, traveller: time_machine.Traveller
) -> None:
    reachable(world.paula, phone="555-0101", preferred_contact_method="text", preferred_language="en")
    appointment = book(world, starts_at=at(MONDAY, 9))
    moments = sweep_until(at(MONDAY, 9, 30), traveller, dt.timedelta(minutes=15))
    # Two days before at 10:00 (Saturday, still standard time: 15:00 UTC), and two hours before (07:00 on
    # Monday, daylight time: 11:00 UTC). Nothing at 10:00 UTC or 09:00 local by a fixed UTC offset.
    assert moments == [at(dt.date(2027, 3, 13), 10), at(MONDAY, 7)]
    assert [m.astimezone(UTC).hour for m in moments] == [15, 11]
    assert len(sms.outbox) == 2 and {m.to for m in sms.outbox} == {"555-0101"}
    assert sms.outbox[0].body == (
        "Reminder: you have an appointment on Monday, 15 March at 09:00, at Riverside Clinic, 12 Main St, "
        f"room 4. Confirm it or ask to change it here: https://cc.example/portal/appointments/{appointment.pk}/"
    )
    rows = list(Reminder.objects.filter(appointment=appointment).values_list("offset", "channel", "outcome"))
    assert rows == [("2d@10:00", "sms", "sent"), ("2h", "sms", "sent")]


def test_in_the_organisations_own_time_zone(world: World, traveller: time_machine.Traveller) -> None:
    world.riverside.time_zone = "America/Chicago"
    world.riverside.save(update_fields=["time_zone"])
    reachable(world.paula, phone="555-0101", preferred_contact_method="text")
    actions.do_set_reminder_offsets(world.adam, ["1d@18:00"])
    book(world, starts_at=dt.datetime(2027, 3, 15, 9, tzinfo=dt.UTC))  # 04:00 in Chicago, on the Monday
    moments = sweep_until(at(MONDAY, 6), traveller, dt.timedelta(minutes=30))
    assert moments == [dt.datetime(2027, 3, 14, 23, 0, tzinfo=UTC)]  # Sunday 18:00 CDT


def test_in_the_patients_language_by_e_mail(world: World, traveller: time_machine.Traveller) -> None:
    reachable(
        world.paula, email="paula@example.org", preferred_contact_method="email", preferred_language="es"
    )
    appointment = book(world, starts_at=at(MONDAY, 9))
    traveller.move_to(at(dt.date(2027, 3, 13), 10, 1))
    assert do_send_due_reminders() == 1
    [message] = mail.outbox
    assert message.to == ["paula@example.org"] and message.subject == "Su cita"
    assert message.body.startswith(
        "Recordatorio: tiene una cita el lunes, 15 marzo a las 09:00, en Riverside"
    )
    assert f"/portal/appointments/{appointment.pk}/" in message.body
    assert "Qué traer:\nYour medicines and your glasses" in message.body
    assert not sms.outbox


def test_by_the_portal_or_not_at_all(world: World, traveller: time_machine.Traveller) -> None:
    reachable(world.paula, phone="", email="", preferred_contact_method="phone")
    appointment = book(world, starts_at=at(MONDAY, 9))
    traveller.move_to(at(dt.date(2027, 3, 13), 10, 1))
    assert do_send_due_reminders() == 0
    reminder = Reminder.objects.get(appointment=appointment)
    assert (reminder.channel, reminder.outcome) == (Channel.NONE, ReminderOutcome.FAILED)


def test_a_moved_appointment_is_reminded_of_again_and_a_cancelled_one_never(
    world: World, traveller: time_machine.Traveller
) -> None:
    reachable(world.paula, phone="555-0101", preferred_contact_method="text")
    moved = book(world, starts_at=at(MONDAY, 9))
    cancelled = book(world, starts_at=at(MONDAY, 11))
    traveller.move_to(at(dt.date(2027, 3, 13), 10, 1))
    assert do_send_due_reminders() == 2
    actions.do_record_outcome(world.alice, cancelled, status="cancelled", reason="Clinic closed")
    actions.do_change_appointment(world.alice, moved, starts_at=at(MONDAY, 14))
    # Booked before 10:00 on Saturday for its new time: the two-day reminder of 14:00 is due again.
    traveller.move_to(at(dt.date(2027, 3, 13), 10, 6))
    assert do_send_due_reminders() == 1
    traveller.move_to(at(MONDAY, 12, 1))
    assert do_send_due_reminders() == 1
    assert len(sms.outbox) == 4
    assert not Reminder.objects.filter(appointment=cancelled, made_at__gt=at(dt.date(2027, 3, 13), 10, 1))


def test_a_failing_provider_is_recorded_and_not_retried(
    world: World, traveller: time_machine.Traveller, settings: Any
) -> None:
    settings.SMS_BACKEND = "tests.appointments.test_reminders.Broken"
    reachable(world.paula, phone="555-0101", preferred_contact_method="text")
    appointment = book(world, starts_at=at(MONDAY, 9))
    traveller.move_to(at(dt.date(2027, 3, 13), 10, 1))
    assert do_send_due_reminders() == 0
    assert do_send_due_reminders() == 0
    assert Reminder.objects.get(appointment=appointment).outcome == ReminderOutcome.FAILED


class Broken:
    def send(self, to: str, body: str) -> None:
        raise ConnectionError("the provider is down")


def test_the_worker_task_sends_them(world: World, traveller: time_machine.Traveller) -> None:
    from careconductor.appointments.tasks import send_reminders

    reachable(world.paula, phone="555-0101", preferred_contact_method="text")
    book(world, starts_at=at(MONDAY, 9))
    traveller.move_to(at(dt.date(2027, 3, 13), 10, 1))
    assert send_reminders.call_local() == 1
    assert send_reminders.call_local() == 0
