"""A contact records whether an interpreter was used, and how (issue 17 §5): Paula needs one; the contact form
asks, the log shows it, and an answer not on the list is refused beside its field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from careconductor.coordination.models import Contact
from careconductor.core import clock

from ..personas import World

pytestmark = pytest.mark.django_db


def _form(**changes: str) -> dict[str, str]:
    an_hour_ago = timezone.localtime(clock.now()) - dt.timedelta(hours=1)
    return {
        "reached": "yes",
        "contact_at": f"{an_hour_ago:%Y-%m-%dT%H:%M}",
        "mode": "phone",
        "direction": "outbound",
        "party": "patient",
        "minutes": "12",
        "meds_taken": "",
        "teach_back": "",
        **changes,
    }


def test_the_contact_form_records_the_interpreter_and_the_log_shows_it(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.alice)
    url = reverse("coordination:contacts", args=[world.paula.pk])
    form = client.get(url).content.decode()
    assert 'name="interpreter"' in form
    response = client.post(url, _form(interpreter="professional"))
    assert response.status_code == 302
    assert Contact.objects.get(patient=world.paula).interpreter == "professional"
    log = client.get(url).content.decode().split("<h2>Contact log</h2>", 1)[1]
    assert re.search(r"Interpreter:</strong> professional interpreter", log)


def test_an_interpreter_answer_not_on_the_list_is_refused_beside_its_field(world: World, login) -> None:  # type: ignore[no-untyped-def]
    client = login(world.alice)
    url = reverse("coordination:contacts", args=[world.paula.pk])
    response = client.post(url, _form(interpreter="a neighbour"))
    assert response.status_code == 400
    assert 'id="id_interpreter_error"' in response.content.decode()
    assert not Contact.objects.exists()
