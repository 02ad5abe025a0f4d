"""The patient's Learn pages in the portal: what the care team gave them, in their language; opening one is
recorded; another patient's material is not found; withdrawn material is gone from the list."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.education import actions
from careconductor.education.models import Assignment
from careconductor.patients.actions import do_link_portal_user
from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def paula_login(world: World):  # type: ignore[no-untyped-def]
    login = do_create_user("paula.reyes", Role.PATIENT, world.riverside, PASSWORD)
    do_link_portal_user(world.adam, world.paula, login)
    world.paula.refresh_from_db()
    return login


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_patient_sees_her_materials_in_spanish_and_opening_one_is_recorded(
    world: World, login, paula_login, assignment: Assignment
) -> None:
    client = login(paula_login)
    page = _text(client.get(reverse("portal:learn")))
    assert "Aprenda sobre su salud" in page
    assert "Pésese todos los días" in page and "Nuevo" in page
    opened = client.get(reverse("portal:learn_material", args=[assignment.pk]))
    assert opened.status_code == 200
    body = _text(opened)
    assert "Pésese igual cada mañana" in body and "<li>Después de ir al baño.</li>" in body
    assert "Volver a Aprender" in body
    assignment.refresh_from_db()
    assert assignment.opened_at is not None
    assert AuditEvent.objects.filter(user=paula_login, detail="opened", object_id=str(assignment.pk)).exists()
    assert "Ya leyó esto." in _text(client.get(reverse("portal:learn")))


def test_the_portal_in_english_shows_the_english_text(world: World, login, paula_login, assignment) -> None:
    client = login(paula_login)
    client.post(reverse("portal:language"), {"language": "en"})
    body = _text(client.get(reverse("portal:learn_material", args=[assignment.pk])))
    assert "Weigh the same way every morning" in body


def test_an_empty_list_says_so(world: World, login, paula_login) -> None:
    page = _text(login(paula_login).get(reverse("portal:learn")))
    assert "Todavía no hay nada aquí." in page


def test_withdrawn_material_is_not_shown(world: World, login, paula_login, assignment: Assignment) -> None:
    actions.do_withdraw_assignment(world.alice, assignment, reason="Wrong sheet")
    client = login(paula_login)
    assert "Pésese" not in _text(client.get(reverse("portal:learn")))
    assert client.get(reverse("portal:learn_material", args=[assignment.pk])).status_code == 404


def test_another_patients_material_is_not_found(world: World, login, assignment: Assignment) -> None:
    pat = do_create_user("pat", Role.PATIENT, world.riverside, PASSWORD)
    client = login(pat)
    response = client.get(reverse("portal:learn_material", args=[assignment.pk]))
    assert response.status_code == 404
    assert "Pésese" not in response.content.decode()
    assignment.refresh_from_db()
    assert assignment.opened_at is None


def test_staff_cannot_use_the_portal_pages(world: World, login, assignment: Assignment) -> None:
    client = login(world.alice)
    assert client.get(reverse("portal:learn_material", args=[assignment.pk])).status_code == 403
