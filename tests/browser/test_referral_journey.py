"""A referral that closes the loop, in Chromium (issue 20): Paula's Hunger Vital Sign found food insecurity; her
plan has a food goal with a cost barrier ("money runs out before payday"). Alice refers her from the barrier:
the directory search starts from the need, she picks the food pantry, writes why, shares the phone number, records
Paula's consent to share with the pantry (a community organisation, not a HIPAA covered entity) and sends. The
pantry, with no account, opens its single-use link on a phone, accepts, and with the next link reports the food box
given. The outcome waits on Alice's worklist; she puts it on the plan: a progress note on the goal and the
barrier resolved with what happened.

Screenshots (test-artifacts/screenshots/referral-journey-*): the referral page at a laptop's size, the partner's
page at a phone's, the worklist row and the goal after."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import time_machine

from careconductor.assessments.models import Finding
from careconductor.careplans.actions import (
    do_add_barrier,
    do_add_goal,
    do_add_problem_from_finding,
    do_create_plan,
)
from careconductor.careplans.choices import BarrierKind
from careconductor.careplans.models import Barrier, Goal, GoalProgress
from careconductor.core import clock
from careconductor.demo.directory import STARTER
from careconductor.directory.actions import do_import_hsds
from careconductor.privacy.choices import ConsentType
from careconductor.referrals.choices import Actor, ReferralStatus
from careconductor.referrals.models import Referral

from ..assessments.helpers import record
from ..coordination.test_followup_actions import enrol
from ..personas import World
from .portal import PHONE
from .test_morning import at, log_in, overflow, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}
OFTEN, NEVER = "LA28397-0", "LA28398-8"  # Hunger Vital Sign answers (clinical.md §3.3)


@pytest.fixture(autouse=True)
def _mid_morning() -> Iterator[None]:
    with time_machine.travel(at(clock.today(), 10), tick=True):
        yield


@pytest.fixture
def paula_needs_food(world: World) -> Goal:
    enrol(world, world.paula_case)
    do_import_hsds(world.adam, json.loads(STARTER.read_text(encoding="utf-8")))
    record(world.alice, world.paula, "hunger-vital-sign", {"hvs-1": [OFTEN], "hvs-2": [NEVER]})
    finding = Finding.objects.get(patient=world.paula, domain="food-insecurity")
    plan = do_create_plan(world.alice, world.paula_case)
    problem = do_add_problem_from_finding(world.alice, plan, finding)
    goal = do_add_goal(
        world.alice,
        plan,
        problem_ids=[problem.pk],
        patient_words="I want enough food until my check comes.",
        measure="food",
        target_text="Screens negative for food insecurity",
    )
    do_add_barrier(world.alice, goal, kind=BarrierKind.COST, description="Money runs out before payday")
    return goal


def test_a_food_referral_closes_the_loop(  # type: ignore[no-untyped-def]
    live_server, browser, screenshot, settings, world: World, paula_needs_food: Goal
) -> None:
    from playwright.sync_api import expect

    base, goal = live_server.url, paula_needs_food
    settings.SITE_URL = base  # the links the pantry gets point at this server

    # --- Alice: from the barrier to the directory, the pantry, the referral -----------------------------------
    laptop, page = log_in(browser, base, world.alice, LAPTOP)
    page.goto(f"{base}/careplans/goals/{goal.pk}/")
    page.get_by_role("link", name="Refer to a service for this").click()
    page.get_by_role("link", name="Find one in the directory").click()
    pantry = page.locator("article.resource", has_text="Weekly food pantry")
    expect(pantry.locator(".why")).to_contain_text("helps with food")
    pantry.get_by_role("link", name="Refer Paula here").click()
    expect(page.get_by_role("combobox", name="Need")).to_have_value("food")
    expect(page.locator("main")).to_contain_text("Money runs out before payday")
    page.get_by_role("textbox", name="Reason for the referral").fill(
        "Runs out of food the week before her check; diabetic, needs low-sugar food. Speaks Spanish."
    )
    page.get_by_label("Phone number and address").check()
    page.get_by_label("Preferred language and interpreter need").check()
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator(".flash")).to_contain_text("Referral saved as a draft")

    # Sending to a community organisation without consent is refused beside the field; with it, sent.
    page.get_by_role("button", name="Send the referral").click()
    expect(page.locator(".error").first).to_contain_text("not a HIPAA covered entity")
    page.get_by_label("The patient agrees now; record their consent").check()
    page.get_by_label("How they agreed").select_option("verbal")
    page.get_by_role("button", name="Send the referral").click()
    expect(page.locator(".flash")).to_contain_text("Referral sent to Weekly food pantry")
    link = page.locator("[data-partner-link]").input_value()
    settle(page)
    screenshot("referral-journey-1-laptop-referral-sent", on=page)
    referral = Referral.objects.get(patient=world.paula)
    assert referral.status == ReferralStatus.SENT and referral.barrier_id == goal.barriers.get().pk
    assert referral.consent is not None and referral.consent.consent_type == ConsentType.SHARING
    laptop.close()

    # --- The pantry, no account, on a phone: accept, then report the food box given ---------------------------
    partner = browser.new_context(**PHONE)
    phone = partner.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(link)
    expect(phone.get_by_role("heading", level=1)).to_contain_text("A referral from Riverside Health")
    expect(phone.locator("main")).to_contain_text("Paula Reyes")
    expect(phone.locator("main")).to_contain_text("555-0100")  # shared: phone and address
    expect(phone.locator("main")).not_to_contain_text("1956")  # not shared: the birth date
    assert overflow(phone)["page"] <= 0, overflow(phone)
    screenshot("referral-journey-2-phone-partner-link", on=phone)
    phone.get_by_role("combobox", name="Answer").select_option("accepted")
    phone.get_by_label("Note").fill("We will call her on Monday to book a time.")
    phone.get_by_role("button", name="Send the answer").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    next_link = phone.locator("[data-next-link]").get_attribute("href")
    assert next_link and next_link != link
    phone.goto(link)  # the first link is spent
    expect(phone.get_by_role("heading", level=1)).to_have_text("This link does not open")
    phone.goto(next_link)
    phone.get_by_role("combobox", name="Answer").select_option("completed")
    phone.get_by_label("Note").fill("Gave a two-week food box; she can come every Tuesday.")
    phone.get_by_role("button", name="Send the answer").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Thank you")
    settle(phone)
    partner.close()
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.COMPLETED and referral.needs_attention
    assert [e.actor for e in referral.events.all()] == [Actor.STAFF, Actor.PARTNER_LINK, Actor.PARTNER_LINK]

    # --- Alice: the outcome on the worklist, put on the plan ------------------------------------------------
    laptop, page = log_in(browser, base, world.alice, LAPTOP)
    page.goto(f"{base}/worklist/")
    row = page.locator('tr[data-kind="referral"]')
    expect(row).to_contain_text("Referral to Weekly food pantry")
    expect(row).to_contain_text("completed. Gave a two-week food box")
    settle(page)
    screenshot("referral-journey-3-laptop-worklist", on=page)
    row.get_by_role("link", name="Read and act").click()
    expect(page.get_by_role("heading", name="Came back: completed")).to_be_visible()
    page.get_by_label("Note for the goal (optional)").fill("She will go every Tuesday with her neighbour.")
    page.get_by_label("This resolves the barrier").check()
    page.get_by_role("button", name="Put it on the plan").click()
    expect(page.locator(".flash")).to_contain_text("Put on the plan")
    page.goto(f"{base}/worklist/")
    expect(page.locator('tr[data-kind="referral"]')).to_have_count(0)
    page.goto(f"{base}/careplans/goals/{goal.pk}/")
    expect(page.locator("section[aria-labelledby='progress-title'] ol.timeline")).to_contain_text(
        re.compile(r"Referral to Weekly food pantry .* completed")
    )
    barriers = page.locator("section[aria-labelledby='barriers-title']")
    expect(barriers).to_contain_text("(resolved)")
    settle(page)
    screenshot("referral-journey-4-laptop-goal-after", on=page)
    laptop.close()
    barrier = Barrier.objects.get(goal=goal)
    assert barrier.resolved and "completed" in barrier.response
    assert "every Tuesday with her neighbour" in GoalProgress.objects.get(goal=goal).note
