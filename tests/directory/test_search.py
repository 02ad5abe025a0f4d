"""The directory search on screen (issue 20): a case manager finds the services that fit, each with why; from a
patient's chart the search starts from the chart's needs, ZIP code, language and age; strangers to the patient
find nothing of theirs; roles without the page are refused; the page's queries do not grow with the services."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careconductor.assessments.models import Finding
from careconductor.core import clock
from careconductor.demo.directory import STARTER
from careconductor.directory.actions import do_import_hsds, do_verify_service
from careconductor.directory.models import Service

from ..assessments.helpers import record
from ..personas import World

pytestmark = pytest.mark.django_db

OFTEN, NEVER = "LA28397-0", "LA28398-8"  # the Hunger Vital Sign's answers (LOINC answer codes)


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def directory(world: World) -> None:
    do_import_hsds(world.adam, json.loads(STARTER.read_text(encoding="utf-8")))


def test_a_case_manager_finds_food_help_near_a_zip_with_the_reasons(
    world: World, directory: None, login
) -> None:
    page = _text(
        login(world.alice).get(
            reverse("directory:search"), {"needs": "food", "postal_code": "97901", "within": "5"}
        )
    )
    assert "Weekly food pantry" in page and "Hot community meals" in page
    assert "Groceries delivered to seniors" in page  # by phone: distance does not count
    assert "Rent help" not in page  # housing
    assert "Why:</strong> helps with food; 0.4 miles away" in page
    assert "Why:</strong> helps with food; by phone or online, wherever the patient is" in page


def test_filters_narrow_and_say_what_does_not_fit(world: World, directory: None, login) -> None:
    client = login(world.alice)
    url = reverse("directory:search")
    vietnamese = _text(client.get(url, {"language": "vi"}))
    assert "24-hour safety line" in vietnamese and "Weekly food pantry" not in vietnamese
    free = _text(client.get(url, {"needs": "behavioural-health", "free_only": "on"}))
    assert "No service fits every filter" in free
    young = _text(client.get(url, {"needs": "food", "age": "30"}))
    assert "Groceries delivered to seniors" not in young and "Weekly food pantry" in young
    unknown = _text(client.get(url, {"postal_code": "00000", "within": "5"}))
    assert "That ZIP code is not known here" in unknown
    # Last, at noon on the coming Monday (logged in then: a session has an age, whatever the suite's clock).
    today = clock.today()
    monday = today + dt.timedelta(days=(7 - today.weekday()) % 7 or 7)
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(monday, dt.time(12))), tick=False):
        open_now = _text(login(world.alice).get(url, {"needs": "food", "open_now": "on"}))
    assert "Weekly food pantry" not in open_now  # Tuesday, Thursday and Saturday only
    assert "Groceries delivered to seniors" in open_now


def test_from_the_chart_the_search_starts_from_the_patients_needs(
    world: World, directory: None, login
) -> None:
    # The Hunger Vital Sign positive (clinical.md §3.3): the chart's finding is the search's need.
    record(world.alice, world.paula, "hunger-vital-sign", {"hvs-1": [OFTEN], "hvs-2": [NEVER]})
    assert Finding.objects.filter(patient=world.paula, domain="food-insecurity", status="active").exists()
    world.paula.postal_code = "97901"
    world.paula.save(update_fields=["postal_code"])
    client = login(world.alice)
    chart = _text(client.get(reverse("patients:chart", args=[world.paula.pk])))
    url = reverse("directory:patient_search", args=[world.paula.pk])
    assert f'href="{url}"' in chart
    page = _text(client.get(url))
    assert re.search(r'<input type="checkbox" name="needs" value="food"[^>]*checked', page)
    assert 'value="97901"' in page and "Weekly food pantry" in page


def test_strangers_and_roles_without_the_page_are_refused(world: World, directory: None, login) -> None:
    assert login(world.bob).get(reverse("directory:patient_search", args=[world.paula.pk])).status_code == 404
    assert login(world.charlie).get(reverse("directory:search"), {"needs": "food"}).status_code == 200
    assert "Weekly food pantry" not in _text(
        login(world.charlie).get(reverse("directory:search"), {"needs": "food"})
    )
    assert login(world.pia).get(reverse("directory:search")).status_code == 403


def test_the_search_costs_the_same_queries_for_14_services_and_28(
    world: World, directory: None, login
) -> None:
    client = login(world.alice)
    url = reverse("directory:search")
    client.get(url, {"needs": "food"})

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, {"postal_code": "97901"}).status_code == 200
        return len(queries.captured_queries)

    few = count()
    more = json.loads(STARTER.read_text(encoding="utf-8"))
    for service in more:  # the same services again under new ids
        service["id"] = service["id"][:-4] + "beef"
    do_import_hsds(world.adam, more)
    assert Service.objects.count() == 28
    assert count() == few


def test_a_service_is_marked_verified(world: World, directory: None) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    do_verify_service(world.adam, service, on=dt.date(2026, 11, 30))
    service.refresh_from_db()
    assert (service.verified_on, service.verified_by) == (dt.date(2026, 11, 30), world.adam)
