"""Editing the directory on screens (issue 20): a supervisor adds an organisation (HIPAA covered or not), its place
(coordinates from the ZIP code when none are typed), a service with its needs, phone and hours, and marks it
verified; the search then finds it and links to its page. Errors show beside their fields, no input answers 500,
only administrators and supervisors edit, another organisation's rows are not found, each change is audited and
the pages' queries are bounded."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.demo.directory import STARTER
from careconductor.directory import geo
from careconductor.directory.actions import do_import_hsds
from careconductor.directory.models import Location, Phone, Provider, Schedule, Service, ServiceNeed
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def directory(world: World) -> None:
    do_import_hsds(world.adam, json.loads(STARTER.read_text(encoding="utf-8")))


def _error_beside(page: str, field: str) -> bool:
    return re.search(rf'<p class="error" id="id_{field}_error">', page) is not None


def test_a_supervisor_builds_a_service_on_screens_and_the_search_finds_it(world: World, login) -> None:
    client = login(world.sam)
    answer = client.post(
        reverse("directory:new_provider"),
        {"name": "Valley Clinic (fictional)", "email": "front@example.org", "hipaa_covered": "on"},
    )
    provider = Provider.objects.get(name="Valley Clinic (fictional)")
    assert answer["Location"] == reverse("directory:provider", args=[provider.pk])
    assert provider.hipaa_covered and provider.organization == world.riverside
    client.post(
        reverse("directory:new_location", args=[provider.pk]),
        {"name": "Clinic", "location_type": "physical", "address_1": "1 Main St", "city": "Riverside",
         "state_province": "OR", "postal_code": "97901", "country": "US"},
    )  # fmt: skip
    place = Location.objects.get(provider=provider)
    assert (place.latitude, place.longitude) == geo.postal_coordinates("97901")
    answer = client.post(
        reverse("directory:new_service", args=[provider.pk]),
        {"name": "Counselling", "status": "active", "needs": ["behavioural-health"], "languages": ["en", "es"],
         "cost": "free", "minimum_age": "18", "location_ids": [place.pk], "url": "clinic.example.org"},
    )  # fmt: skip
    service = Service.objects.get(name="Counselling")
    assert answer["Location"] == reverse("directory:service", args=[service.pk])
    assert (service.needs, service.languages, service.free, service.minimum_age) == (
        ["behavioural-health"], ["en", "es"], True, 18,
    )  # fmt: skip
    assert service.url == "https://clinic.example.org"
    assert list(ServiceNeed.objects.filter(service=service).values_list("need", flat=True)) == [
        "behavioural-health"
    ]
    client.post(reverse("directory:add_phone", args=[service.pk]), {"number": "555-0199", "type": "voice"})
    client.post(
        reverse("directory:add_schedule", args=[service.pk]),
        {"days": ["MO", "WE"], "opens_at": "09:00", "closes_at": "17:00"},
    )
    today = clock.today()
    client.post(reverse("directory:verify", args=[service.pk]), {"on": today.isoformat()})
    service.refresh_from_db()
    assert (service.verified_on, service.verified_by) == (today, world.sam)
    assert [str(s) for s in service.schedules.all()] == ["MO,WE 09:00-17:00"]
    page = _text(login(world.alice).get(reverse("directory:search"), {"needs": "behavioural-health"}))
    url = reverse("directory:service", args=[service.pk])
    assert f'<a href="{url}">Counselling</a>' in page
    shown = _text(login(world.alice).get(url))
    assert "Mon, Wed 09:00–17:00" in shown and "555-0199" in shown and "a HIPAA covered entity" in shown
    assert "Add a phone number" not in shown  # a case manager reads, does not edit
    kinds = set(AuditEvent.objects.filter(user=world.sam).values_list("object_type", "action"))
    assert {("Provider", "create"), ("Location", "create"), ("Service", "create"), ("Phone", "create"),
            ("Schedule", "create"), ("Service", "update")} <= kinds  # fmt: skip


def test_changing_a_service_keeps_its_needs_and_places_together(world: World, directory: None, login) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    client = login(world.adam)
    form = _text(client.get(reverse("directory:edit_service", args=[service.pk])))
    assert re.search(r'name="needs" value="food"[^>]*checked', form)
    answer = client.post(
        reverse("directory:edit_service", args=[service.pk]),
        {"name": "Weekly food pantry", "status": "temporarily closed", "needs": ["food", "isolation"],
         "cost": "fees", "fees_description": "$2 a bag"},
    )  # fmt: skip
    assert answer.status_code == 302
    service.refresh_from_db()
    assert (service.status, service.needs, service.free) == (
        "temporarily closed",
        ["food", "isolation"],
        False,
    )
    assert set(ServiceNeed.objects.filter(service=service).values_list("need", flat=True)) == {
        "food",
        "isolation",
    }
    assert not service.locations.exists()  # no place ticked: by phone or online
    phone = Phone.objects.filter(service=service).first()
    schedule = Schedule.objects.filter(service=service).first()
    assert phone and schedule
    client.post(reverse("directory:remove_phone", args=[service.pk, phone.pk]))
    client.post(reverse("directory:remove_schedule", args=[service.pk, schedule.pk]))
    assert (
        not Phone.objects.filter(pk=phone.pk).exists()
        and not Schedule.objects.filter(pk=schedule.pk).exists()
    )
    provider = service.provider
    client.post(
        reverse("directory:provider", args=[provider.pk]),
        {"name": provider.name, "hipaa_covered": ""},
    )
    assert AuditEvent.objects.filter(user=world.adam, object_type="Phone", action="delete").exists()


@pytest.mark.parametrize(
    ("url_name", "data", "field"),
    [
        ("new_provider", {"name": ""}, "name"),
        ("new_provider", {"name": "x", "email": "not-an-email"}, "email"),
        ("new_provider", {"name": "x" * 300}, "name"),
        ("new_service", {"name": "x", "status": "active", "minimum_age": "70", "maximum_age": "60"}, "maximum_age"),
        ("new_service", {"name": "x", "status": "open"}, "status"),
        ("new_service", {"name": "x", "status": "active", "needs": ["fun"]}, "needs"),
        ("new_service", {"name": "x", "status": "active", "location_ids": ["999999"]}, "location_ids"),
        ("new_service", {"name": "x", "status": "active", "minimum_age": "-1"}, "minimum_age"),
        ("new_location", {"location_type": "physical", "latitude": "43.6", "country": "US", "name": "x"}, "longitude"),
        ("new_location", {"location_type": "physical", "latitude": "95", "longitude": "0", "country": "US"},
         "latitude"),
        ("new_location", {"location_type": "physical", "country": "US"}, "address_1"),
        ("new_location", {"location_type": "moon", "country": "US", "name": "x"}, "location_type"),
        ("add_phone", {"number": "", "type": "voice"}, "number"),
        ("add_schedule", {"days": [], "opens_at": "09:00", "closes_at": "17:00"}, "days"),
        ("add_schedule", {"days": ["MO"], "opens_at": "9am", "closes_at": "17:00"}, "opens_at"),
        ("add_schedule", {"days": ["MO"], "opens_at": "09:00", "closes_at": "09:00"}, "closes_at"),
        ("add_schedule", {"days": ["XX"], "opens_at": "09:00", "closes_at": "17:00"}, "days"),
        ("add_schedule", {"days": ["MO"], "opens_at": "09:00", "closes_at": "17:00", "valid_from": "2026-02-01",
                          "valid_to": "2026-01-01"}, "valid_to"),
        ("verify", {"on": "not a date"}, "on"),
        ("verify", {"on": "3000-01-01"}, "on"),
    ],
)  # fmt: skip
def test_errors_show_beside_their_fields_and_change_nothing(
    world: World, directory: None, login, url_name: str, data: dict, field: str
) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    args = [service.provider_id] if url_name.startswith("new_") and url_name != "new_provider" else []
    if url_name in ("add_phone", "add_schedule", "verify"):
        args = [service.pk]
    before = (Provider.objects.count(), Service.objects.count(), Location.objects.count(), Phone.objects.count(),
              Schedule.objects.count(), Service.objects.get(pk=service.pk).verified_on)  # fmt: skip
    answer = login(world.sam).post(reverse(f"directory:{url_name}", args=args), data)
    assert answer.status_code == 400
    assert _error_beside(_text(answer), field), _text(answer)[-3000:]
    after = (Provider.objects.count(), Service.objects.count(), Location.objects.count(), Phone.objects.count(),
             Schedule.objects.count(), Service.objects.get(pk=service.pk).verified_on)  # fmt: skip
    assert after == before


@pytest.mark.parametrize(
    "junk",
    [{}, {"name": "\x00"}, {"name": ["a", "b"], "days": "x"}, {"location_ids": "abc"}, {"on": "2026-13-45"}],
)
def test_no_input_answers_500(world: World, directory: None, login, junk: dict) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    place = Location.objects.filter(provider=service.provider).first()
    assert place is not None
    client = login(world.adam)
    for name, args in (
        ("new_provider", []), ("provider", [service.provider_id]), ("new_service", [service.provider_id]),
        ("edit_service", [service.pk]), ("new_location", [service.provider_id]), ("edit_location", [place.pk]),
        ("add_phone", [service.pk]), ("add_schedule", [service.pk]), ("verify", [service.pk]), ("import", []),
    ):  # fmt: skip
        answer = client.post(reverse(f"directory:{name}", args=args), junk)
        assert answer.status_code in (302, 400), (name, answer.status_code)


def test_only_administrators_and_supervisors_edit(world: World, directory: None, login) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    alice = login(world.alice)
    assert alice.get(reverse("directory:service", args=[service.pk])).status_code == 200
    for name, args in (("providers", []), ("new_provider", []), ("edit_service", [service.pk]),
                       ("provider", [service.provider_id])):  # fmt: skip
        assert alice.get(reverse(f"directory:{name}", args=args)).status_code == 403
    assert alice.post(reverse("directory:verify", args=[service.pk]), {"on": "2026-01-01"}).status_code == 403
    assert login(world.dana).get(reverse("directory:service", args=[service.pk])).status_code == 200
    assert "Change the directory" not in _text(login(world.alice).get(reverse("directory:search")))
    assert login(world.sam).get(reverse("directory:import")).status_code == 403  # importing is the admin's
    assert "Change the directory" in _text(login(world.sam).get(reverse("directory:search")))


def test_another_organisations_rows_are_not_found(world: World, directory: None, login) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    lena = login(User.objects.get(username="lena"))  # a supervisor in Lakeside
    assert lena.get(reverse("directory:service", args=[service.pk])).status_code == 404
    assert lena.get(reverse("directory:provider", args=[service.provider_id])).status_code == 404
    assert lena.post(reverse("directory:verify", args=[service.pk]), {"on": "2026-01-01"}).status_code == 404
    assert login(world.charlie).get(reverse("directory:service", args=[service.pk])).status_code == 404


def test_the_pages_queries_are_bounded(
    world: World, directory: None, login, django_assert_max_num_queries
) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    client = login(world.sam)
    for name, args in (("service", [service.pk]), ("edit_service", [service.pk]), ("provider", [service.provider_id]),
                       ("providers", [])):  # fmt: skip
        client.get(reverse(f"directory:{name}", args=args))
        with django_assert_max_num_queries(14):
            assert client.get(reverse(f"directory:{name}", args=args)).status_code == 200


def test_verifying_a_day_in_the_past(world: World, directory: None, login) -> None:
    service = Service.objects.get(name="Weekly food pantry")
    day = clock.today() - dt.timedelta(days=3)
    answer = login(world.adam).post(reverse("directory:verify", args=[service.pk]), {"on": day.isoformat()})
    assert answer.status_code == 302
    service.refresh_from_db()
    assert service.verified_on == day
