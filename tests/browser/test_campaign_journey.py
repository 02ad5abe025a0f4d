"""From a registry to the people themselves, in Chromium (issue 22). Ivy, the plan's population health analyst,
invites every member of a heart failure registry in a call campaign the North team works (a campaign without a
name is refused beside the field first; the member with no phone is left out and named). Bob, a case manager of
North with no relationship to any of them, finds the campaign on his worklist, opens its call list on his phone
and records what each said: Hannah wants to join, Harold does not answer. Ivy refers the one who said yes into
chronic care management's intake.

Screenshots (test-artifacts/screenshots/campaign-*): the registry's campaign form, the campaign on a laptop, the
call list on a phone with an answer recorded, the referral said."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from careconductor.accounts.choices import Role
from careconductor.cases.choices import Program
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.patients.models import Patient
from careconductor.population.registry_actions import do_create_registry
from careconductor.population.stratify import do_stratify

from ..personas import World, make_staff
from ..population.test_registries import heart_failure
from .portal import PHONE
from .test_morning import at, log_in, overflow, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _mid_morning() -> Iterator[None]:
    with time_machine.travel(at(clock.today(), 10), tick=True):
        yield


def test_a_campaign_is_called_by_the_team_and_the_yes_is_referred(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, world: World
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    ivy = make_staff("ivy", Role.POPULATION_HEALTH, world.riverside)
    for name, phone in (("Hannah", "541-555-0141"), ("Harold", "541-555-0142"), ("Nophone", "")):
        Patient.objects.filter(pk=heart_failure(world, name, 2).pk).update(phone=phone)
    do_stratify(world.adam)
    registry = do_create_registry(
        ivy, name="Heart failure, high use", rule="heart_failure AND admissions >= 2"
    )

    context, page = log_in(browser, base, ivy, LAPTOP)
    page.goto(f"{base}/population/registries/{registry.pk}/")
    page.get_by_label("Every member not referred from this registry yet").check()
    page.get_by_label("Programme").select_option(Program.CCM)
    page.get_by_label("Team").select_option(label="North")
    page.get_by_label("How to reach them").select_option("call")
    page.get_by_role("button", name="Start the campaign").click()
    expect(page.locator("#id_campaign_name_error")).to_contain_text("Name the campaign")
    screenshot("campaign-1-refused", on=page)
    page.get_by_label("Campaign name").fill("Heart failure calls")
    page.get_by_role("button", name="Start the campaign").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heart failure calls")
    expect(page.get_by_text("Nophone Member (no phone number on record)")).to_be_visible()
    expect(page.get_by_role("link", name="541-555-0141")).to_be_visible()
    screenshot("campaign-2-laptop", on=page)
    settle(page)
    context.close()

    # Bob works the call list on his phone, from his worklist.
    context, page = log_in(browser, base, world.bob, PHONE["viewport"])
    page.goto(f"{base}/worklist/")
    page.get_by_role("link", name="Heart failure calls").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heart failure calls")
    hannah = page.locator("tr", has_text="Hannah Member")
    hannah.get_by_label("What they said").select_option("interested")
    hannah.get_by_label("Note").fill("Wants help after her last admission")
    hannah.get_by_role("button", name="Record").click()
    expect(page.get_by_text("Hannah Member: said yes: to be referred.")).to_be_visible()
    harold = page.locator("tr", has_text="Harold Member")
    harold.get_by_label("What they said").select_option("no-answer")
    harold.get_by_role("button", name="Record").click()
    expect(page.locator("tr", has_text="Harold Member")).to_contain_text("1 call unanswered")
    screenshot("campaign-3-phone", on=page)
    assert overflow(page)["page"] == 0
    settle(page)
    context.close()

    context, page = log_in(browser, base, ivy, LAPTOP)
    page.goto(f"{base}/population/")
    page.get_by_role("link", name="Heart failure calls").click()
    page.get_by_role("button", name="Refer the 1 who said yes").click()
    expect(page.get_by_text("1 referred into intake.")).to_be_visible()
    expect(page.locator("tr", has_text="Hannah Member")).to_contain_text("Referred: Chronic care management")
    screenshot("campaign-4-referred", on=page)
    settle(page)
    context.close()
    assert Case.objects.filter(patient__given_name="Hannah", program=Program.CCM).exists()
