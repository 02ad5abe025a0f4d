"""Each organisation works in its own time zone (core/zones.py, Organization.time_zone): set on the
Organisation screen, used by every request of its staff, the installation's when empty."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from careconductor.accounts.models import Organization
from careconductor.coordination.actions import do_create_task
from careconductor.core import clock, zones

from ..personas import World

pytestmark = pytest.mark.django_db

AUCKLAND = "Pacific/Auckland"  # never the same offset as the installation's American default


def shown(moment: dt.datetime, zone: str) -> str:
    """A moment as the task page writes it (Django's "D j M Y H:i") in `zone`."""
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def test_the_administrator_sets_the_time_zone_and_staff_pages_use_it(world: World, login) -> None:
    due = (clock.now() + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    task = do_create_task(world.alice, world.paula, owner=world.alice, title="Call the pharmacy", due_at=due)
    assert shown(due, AUCKLAND) != shown(due, settings.TIME_ZONE)
    page = reverse("coordination:task", args=[task.pk])
    assert shown(due, settings.TIME_ZONE) in login(world.alice).get(page).content.decode()

    admin = login(world.adam)
    saved = admin.post(
        reverse("administration:organization"),
        {"name": world.riverside.name, "phone": "", "after_hours_phone": "", "time_zone": AUCKLAND},
    )
    assert saved.status_code == 302
    assert Organization.objects.get(pk=world.riverside.pk).time_zone == AUCKLAND
    assert shown(due, AUCKLAND) in login(world.alice).get(page).content.decode()


def test_an_unknown_time_zone_is_refused_beside_the_field_and_nothing_changes(world: World, login) -> None:
    response = login(world.adam).post(
        reverse("administration:organization"),
        {"name": "Renamed", "phone": "", "after_hours_phone": "", "time_zone": "Mars/Olympus_Mons"},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    kept = Organization.objects.get(pk=world.riverside.pk)
    assert (kept.name, kept.time_zone) == (world.riverside.name, "")


@pytest.mark.parametrize(("name", "expected"), [(AUCKLAND, AUCKLAND), ("", None), ("Not/AZone", None)])
def test_work_for_an_organisation_runs_in_its_zone(name: str, expected: str | None) -> None:
    with zones.organisation_zone(name):
        assert timezone.get_current_timezone_name() == (expected or settings.TIME_ZONE)


def test_the_user_comes_with_the_organisation_in_one_query(world: World, django_assert_num_queries) -> None:
    backend = zones.UserWithOrganizationBackend()
    with django_assert_num_queries(1):
        user = backend.get_user(world.alice.pk)
        assert user is not None and user.organization.name == world.riverside.name
