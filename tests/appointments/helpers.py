from __future__ import annotations

import datetime as dt
from typing import Any

from careconductor.accounts.models import User
from careconductor.appointments import actions
from careconductor.appointments.models import Appointment
from careconductor.patients.models import Patient

from ..personas import World
from .conftest import TODAY, at


def book(
    world: World, *, who: User | None = None, patient: Patient | None = None, **changes: Any
) -> Appointment:
    """Paula sees Dana (her physician, on her care team) tomorrow at 10:00, in person, with an interpreter."""
    fields: dict[str, Any] = {
        "starts_at": at(TODAY + dt.timedelta(days=1), 10),
        "duration": dt.timedelta(minutes=30),
        "purpose": "Follow-up after the hospital",
        "staff": world.dana,
        "location": "Riverside Clinic, 12 Main St, room 4",
        "what_to_bring": "Your medicines and your glasses",
    }
    fields.update(changes)
    return actions.do_book_appointment(who or world.alice, patient or world.paula, **fields)


def referral(world: World, patient: Patient | None = None, need: str = "transport") -> Any:
    """A referral as referrals keeps it (its actions are the lead's): made directly, for linking."""
    from careconductor.referrals.models import Referral

    return Referral.objects.create(
        organization=world.riverside,
        patient=patient or world.paula,
        need=need,
        reason="A ride to the clinic",
        recipient_name="Riverside Rides",
        requested_by=world.alice,
    )
