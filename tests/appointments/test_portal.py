"""The patient's side: upcoming appointments on the portal's home page (in place of the plan's appointment
interventions) and their own page, in the patient's language, where they confirm or ask to change; nobody
else's appointment opens."""

from __future__ import annotations

import pytest
from django.test import Client

from careconductor.appointments.models import Appointment

from ..engagement.conftest import patient_client, portal_login
from ..personas import World
from .helpers import book

pytestmark = pytest.mark.django_db


def test_the_patient_sees_confirms_and_asks_to_change_in_her_language(
    world: World, client: Client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    appointment = book(world)
    login = portal_login(world, world.paula, "paula")
    client = patient_client(client, login)
    home = client.get("/portal/").content.decode()
    # Paula reads Spanish: the portal speaks it.
    assert f'href="/portal/appointments/{appointment.pk}/"' in home and "Follow-up after the hospital" in home
    assert "Mis citas" in home
    url = f"/portal/appointments/{appointment.pk}/"
    with django_assert_max_num_queries(25):
        page = client.get(url)
    text = page.content.decode()
    assert page.status_code == 200 and "Sí, ahí estaré" in text and "Qué traer" in text
    assert "Estamos reservando un intérprete para usted." in text
    empty = client.post(url, {"answer": "change", "note": ""})
    assert empty.status_code == 400 and "Díganos qué le convendría más." in empty.content.decode()
    assert client.post(url, {"answer": "change", "note": "Por la tarde"}).status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).patient_note == "Por la tarde"
    assert client.post(url, {"answer": "confirmed"}).status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).patient_answer == "confirmed"
    assert client.post(url, {"answer": "whatever"}).status_code == 400
    listing = client.get("/portal/appointments/").content.decode()
    assert "Usted confirmó." in listing


def test_nobody_elses_appointment_opens(world: World, client: Client) -> None:
    appointment = book(world)
    import datetime as dt

    from careconductor.cases.actions import do_register_and_refer
    from careconductor.cases.choices import Program, ReferralSource
    from careconductor.patients.actions import PatientDetails
    from careconductor.patients.choices import Sex

    omar = do_register_and_refer(
        world.alice,
        PatientDetails(given_name="Omar", family_name="Haddad", birth_date=dt.date(1960, 1, 2), sex=Sex.MALE),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Heart failure",
    )
    client = patient_client(client, portal_login(world, omar, "omar"))
    assert client.get(f"/portal/appointments/{appointment.pk}/").status_code == 404
    assert client.post(f"/portal/appointments/{appointment.pk}/", {"answer": "confirmed"}).status_code == 404
    assert "Follow-up after the hospital" not in client.get("/portal/").content.decode()
