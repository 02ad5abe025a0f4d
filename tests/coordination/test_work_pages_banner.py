"""The patient's banner on the work pages (issue 17 §5): logging a contact, a task, a new task, time, the care
team and closing the case show who the patient is and every alert (safety flags first), as the chart does, at a
fixed number of queries whatever the number of alerts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from careconductor.coordination.actions import do_create_task, do_raise_flag
from careconductor.core import clock

from ..personas import World

pytestmark = pytest.mark.django_db


def _pages(world: World, task_id: int) -> list[str]:
    paula = world.paula.pk
    return [
        reverse("coordination:contacts", args=[paula]),
        reverse("coordination:task", args=[task_id]),
        reverse("coordination:new_task", args=[paula]),
        reverse("coordination:time", args=[paula]),
        reverse("coordination:care_team", args=[paula]),
        reverse("coordination:close_case", args=[world.paula_case.pk]),
    ]


def _task(world: World) -> int:
    due = clock.now() + dt.timedelta(days=1)
    return do_create_task(
        world.alice, world.paula, owner=world.alice, title="Call about her glucometer", due_at=due
    ).pk


def _banner(html: str) -> str:
    found = re.search(
        r'<section class="chart-header" aria-label="Patient summary">(.*?)</section>', html, re.S
    )
    assert found, "no patient banner"
    return found.group(1)


def test_every_work_page_shows_the_patient_and_her_alerts(world: World, login) -> None:  # type: ignore[no-untyped-def]
    do_raise_flag(
        world.alice, world.paula, text="Thoughts of self-harm on the PHQ-9 today", rule="self-harm-thoughts"
    )
    task_id = _task(world)
    client = login(world.alice)
    for url in _pages(world, task_id):
        banner = _banner(client.get(url).content.decode())
        assert "Paula Reyes" in banner and "Tier 3" in banner, url
        assert re.search(r'class="alert danger">Thoughts of self-harm on the PHQ-9 today<', banner), url
        assert "Interpreter needed (Spanish)" in banner, url


def test_the_banner_costs_the_same_queries_whatever_the_number_of_alerts(
    world: World, login, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    task_id = _task(world)
    client = login(world.alice)
    counts = []
    for flags in (1, 5):
        while world.paula.flags.count() < flags:
            do_raise_flag(world.alice, world.paula, text=f"Alert {clock.now():%f}")
        with django_assert_max_num_queries(400) as captured:
            for url in _pages(world, task_id):
                assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
