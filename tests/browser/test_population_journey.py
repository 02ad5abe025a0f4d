"""From a registry to the outcomes, in Chromium (issue 22). Ivy, the plan's population health analyst, lands on the
Population page with the members' tiers, makes a registry of members with heart failure and hospital use from a
rule (a misspelt word is refused beside the field first), ticks one member and refers her into chronic care
management's intake. Sam, the team's supervisor, assigns her to Alice, who reaches and enrols her; Sam then opens
Outcomes for the programme: one referred from a registry, reached, enrolled, and the number opens her name.

Screenshots (test-artifacts/screenshots/population-*): the population page, the new registry with its members, the
referral said, the outcomes on a laptop and on a phone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import time_machine

from careconductor.accounts.choices import Role
from careconductor.cases.actions import do_assign_case
from careconductor.cases.choices import Program
from careconductor.cases.models import Case
from careconductor.coordination.actions import ContactInput, do_log_contact
from careconductor.core import clock
from careconductor.population.stratify import do_stratify

from ..coordination.test_followup_actions import enrol
from ..personas import World, make_staff
from ..population.test_registries import heart_failure
from .portal import PHONE
from .test_morning import at, log_in, overflow, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _mid_morning() -> Iterator[None]:
    with time_machine.travel(at(clock.today(), 9), tick=True):
        yield


def test_a_registry_member_is_referred_enrolled_and_counted(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, world: World
) -> None:
    from playwright.sync_api import expect

    base = live_server.url
    ivy = make_staff("ivy", Role.POPULATION_HEALTH, world.riverside)
    heart_failure(world, "Hannah", 3)
    heart_failure(world, "Harold", 2)
    heart_failure(world, "Quiet", 0)  # heart failure, no stay: not in the registry
    do_stratify(world.adam)

    context, page = log_in(browser, base, ivy, LAPTOP)
    expect(page.get_by_role("heading", level=1)).to_have_text("Population")
    expect(page.get_by_text("3 hospital admissions in 12 months")).to_be_visible()
    screenshot("population-1-tiers", on=page)
    page.get_by_role("link", name="New registry").click()
    page.get_by_label("Name").fill("Heart failure, high use")
    page.get_by_label("Who belongs").fill("hart_failure AND admissions >= 2")
    page.get_by_role("button", name="Make the registry").click()
    expect(page.locator("#id_rule_error")).to_contain_text("Did you mean “heart_failure”?")
    page.get_by_label("Who belongs").fill("heart_failure AND (admissions >= 2 OR lace >= 10)")
    page.get_by_role("button", name="Make the registry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Heart failure, high use")
    expect(page.get_by_text("Registry “Heart failure, high use” made: 2 members now.")).to_be_visible()
    expect(page.get_by_text("Quiet Member")).to_have_count(0)
    screenshot("population-2-registry", on=page)
    page.get_by_label("Choose Hannah Member").check()
    page.get_by_label("Programme").select_option(Program.CCM)
    page.get_by_role("button", name="Refer the chosen members").click()
    expect(page.get_by_text("1 referred into intake.")).to_be_visible()
    expect(page.get_by_text("Chronic care management, referred")).to_be_visible()
    screenshot("population-3-referred", on=page)
    settle(page)
    context.close()

    # Intake as any referral: the supervisor assigns, the case manager reaches and enrols her.
    case = Case.objects.get(patient__given_name="Hannah", program=Program.CCM)
    do_assign_case(world.sam, case, world.alice, override_reason="Heart failure is her field")
    do_log_contact(world.alice, case.patient, ContactInput(clock.now(), "phone", "outbound",
                   reached=True, minutes=15), case=case)  # fmt: skip
    enrol(world, case)

    this_month = f"{clock.today():%Y-%m}"
    for viewport, name in ((LAPTOP, "laptop"), (PHONE["viewport"], "phone")):
        context, page = log_in(browser, base, world.sam, viewport)
        page.goto(f"{base}/population/outcomes/?programme=ccm&start={this_month}&end={this_month}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Outcomes: Chronic care management")
        expect(page.locator("#outcome-referred td").first).to_have_text("1")
        expect(page.locator("#outcome-from_registries td").first).to_have_text("1")
        expect(page.locator("#outcome-reached td").first).to_have_text("1")
        expect(page.locator("#outcome-enrolled td").first).to_have_text("1")
        expect(page.locator("#outcome-ccm td")).to_have_text("15")  # the call's minutes
        screenshot(f"population-4-outcomes-{name}", on=page)
        if name == "phone":
            assert overflow(page)["page"] == 0
        else:
            page.locator("#outcome-enrolled a").click()
            expect(page.get_by_role("link", name="Member, Hannah")).to_be_visible()
        settle(page)
        context.close()
