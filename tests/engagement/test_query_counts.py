"""Portal and staff pages cost the same number of queries however much the patient has reported (STYLE.md 8)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.engagement import actions

from .conftest import Portal, patient_client

pytestmark = pytest.mark.django_db


def _report(portal: Portal, times: int) -> None:
    paula = portal.world.paula
    for i in range(times):
        actions.do_report_blood_pressure(
            portal.paula_login, paula, systolic=Decimal(130 + i), diastolic=Decimal(80)
        )
        actions.do_report_reading(portal.paula_login, paula, measure="glucose", value=Decimal(110 + i))
        actions.do_report_wellbeing(portal.paula_login, paula, mood=3, symptoms=["tired"])
        actions.do_send_message(portal.paula_login, paula, subject=f"Question {i}", body="Text")
        actions.do_send_message(portal.world.alice, paula, subject=f"Answer {i}", body="Text")


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "name", ["portal:home", "portal:trends", "portal:messages", "portal:check_in", "portal:plan"]
)
def test_portal_pages_do_not_grow_with_the_reports(client: Client, portal: Portal, name: str) -> None:
    _report(portal, 1)
    patient_client(client, portal.paula_login)
    client.get(reverse("portal:home"))  # today's use is noted once
    few = _count(client, reverse(name))
    _report(portal, 8)
    assert _count(client, reverse(name)) == few
    assert few <= 40


@pytest.mark.parametrize("name", ["engagement:portal", "engagement:messages", "patients:chart"])
def test_staff_pages_do_not_grow_with_the_reports(client: Client, login, portal: Portal, name: str) -> None:
    login(portal.world.alice)
    url = reverse(name, args=[portal.world.paula.pk])
    client.get(reverse("coordination:worklist"))  # the session's first-request work, not the page's
    _report(portal, 1)  # both counts open a page with unread messages (the messages page marks them read)
    few = _count(client, url)
    _report(portal, 8)
    assert _count(client, url) == few
