"""The demo carries a week of believable appointments (issue 20): casemanager's patients, past days attended
or missed, coming days booked, with the care team, specialists and referral services, interpreters and rides."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.accounts.models import User
from careconductor.appointments.choices import AppointmentStatus, WithKind
from careconductor.appointments.models import Appointment, Reminder
from careconductor.coordination.worklist import build_worklist
from careconductor.core import clock

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_week_of_appointments(demo: str) -> None:
    rows = list(Appointment.objects.select_related("staff"))
    assert len(rows) >= 10 and "Appointments:" in demo
    now = clock.now()
    assert max(a.starts_at for a in rows) - min(a.starts_at for a in rows) <= dt.timedelta(days=8)
    past = [a for a in rows if a.ends_at < now]
    coming = [a for a in rows if a.starts_at > now]
    assert past and coming
    assert {a.status for a in past} <= {AppointmentStatus.FULFILLED, AppointmentStatus.NO_SHOW}
    assert {a.status for a in coming} == {AppointmentStatus.BOOKED}
    assert {a.with_kind for a in rows} >= {WithKind.CARE_TEAM, WithKind.OUTSIDE}
    assert any(a.interpreter_needed for a in rows) and any(a.transport_needed for a in rows)
    assert all(a.starts_at.astimezone(dt.UTC).weekday() < 6 for a in rows)
    assert Reminder.objects.exists() or not any(a.starts_at - now < dt.timedelta(days=2) for a in coming)


def test_a_missed_demo_appointment_waits_on_casemanagers_worklist(demo: str) -> None:
    if not Appointment.objects.filter(status=AppointmentStatus.NO_SHOW).exists():
        pytest.skip("no appointment was missed this week (the week's first days were a weekend)")
    manager = User.objects.get(username="casemanager")
    assert any(i.kind == "appointment" for i in build_worklist(manager).items)
