"""A ride referral made for an appointment (the appointment page's "Book a ride" opens the new-referral page with
`?need=transport&appointment=<id>`): referrals calls this inside the transaction that made the referral
(referrals.hooks.after_create, registered from AppointmentsConfig.ready()), and the appointment's ride is booked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from careconductor.core.errors import ActionRefused
from careconductor.core.ids import whole_number

from .actions import do_link_ride
from .models import Appointment

if TYPE_CHECKING:
    from careconductor.accounts.models import User
    from careconductor.referrals.models import Referral


def link_ride_of_new_referral(user: User, referral: Referral, page: Mapping[str, str]) -> None:
    wanted = str(page.get("appointment", "")).strip()
    if not wanted:
        return
    appointment = (
        Appointment.objects.filter(pk=pk, patient_id=referral.patient_id).first()
        if (pk := whole_number(wanted)) is not None
        else None
    )
    if appointment is None:
        raise ActionRefused({"appointment": "That is not an appointment of this patient's."})
    do_link_ride(user, appointment, referral)
