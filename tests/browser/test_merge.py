"""An administrator merges a patient registered twice, in Chromium (docs/administration.md "Merging duplicate
records"): Paula Reyes, and "Pau Reyes" registered again by her case manager with a Part 2 condition and a
note. Adam finds both by the nickname, reviews them side by side (counts, never content, and not even the
count of the Part 2 record), is refused without a reason, merges; the history lists it. Alice's bookmark of the
duplicate's chart then opens Paula's chart at its own address. Screenshots (test-artifacts/screenshots/merge-*):
the search and the review at a laptop's size and a phone's, and the chart reached through the old link."""

from __future__ import annotations

import pytest

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.patients.actions import PatientDetails, do_add_condition, do_add_note
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient, PatientMerge
from careconductor.privacy.choices import Sensitivity

from ..personas import build_world
from .test_morning import log_in, overflow, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SECRET = "Attends the methadone programme on Tuesdays"


def test_an_administrator_merges_a_duplicate_and_old_links_follow(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = build_world()
    pau = do_register_and_refer(
        world.alice,
        PatientDetails(
            given_name="Pau",
            family_name="Reyes",
            birth_date=world.paula.birth_date,
            sex=Sex.FEMALE,
            city="Salem",
        ),
        program=Program.CCM,
        referral_source=ReferralSource.PCP,
        referral_reason="Diabetes",
        case_manager=world.alice,
    )
    do_add_condition(world.alice, pau, icd10_code="E11.9", display="Type 2 diabetes")
    do_add_condition(
        world.alice, pau, icd10_code="F11.20", display="Opioid use disorder", sensitivity=Sensitivity.PART2
    )
    do_add_note(world.alice, pau, text=SECRET, sensitivity=Sensitivity.PART2)
    pau = Patient.objects.get(pk=pau.pk)  # with the MRN registration gave her
    base = live_server.url

    # On a phone Adam only looks; on the laptop he merges.
    for name, viewport in (("phone", PHONE), ("laptop", LAPTOP)):
        context, page = log_in(browser, base, world.adam, viewport)
        page.goto(f"{base}/setup/merge/")
        page.get_by_label("Find the records").fill("Reyes")
        page.get_by_role("button", name="Find").click()
        page.get_by_label(f"Keep Paula Reyes ({world.paula.mrn})").check()
        page.get_by_label(f"Pau Reyes ({pau.mrn}) is the duplicate").check()
        screenshot(f"merge-search-{name}", page)
        page.get_by_role("button", name="Review the two records").click()
        settle(page)
        body = page.locator("main").inner_text()
        # Counts, never content: one condition (the diabetes), the Part 2 one not even counted.
        assert "Records you may not read" in body and SECRET not in body and "Opioid" not in body
        assert page.locator("tr", has_text="Conditions").locator("td").nth(1).inner_text() == "1"
        screenshot(f"merge-review-{name}", page)
        assert overflow(page)["page"] == 0, "the review scrolls sideways"
        if name == "phone":
            context.close()
            continue
        merge = page.get_by_role("button", name="Merge Pau Reyes into Paula Reyes")
        merge.click()  # no reason, no tick: refused beside the fields, nothing merged
        expect(page.locator("main")).to_contain_text("Tick the box")
        assert not PatientMerge.objects.exists()
        page.get_by_label("Why are these the same person?").fill("Pau is Paula: same birth date, same city")
        page.get_by_label("I have checked that both records are the same person", exact=False).check()
        page.get_by_role("button", name="Merge Pau Reyes into Paula Reyes").click()
        page.wait_for_url("**/setup/merges/")
        expect(page.locator("main")).to_contain_text("Pau is Paula")
        settle(page)
        context.close()

    assert Patient.objects.get(pk=pau.pk).merged_into_id == world.paula.pk
    context, page = log_in(browser, base, world.alice, LAPTOP)
    page.goto(f"{base}/patients/{pau.pk}/")  # a bookmark from before the merge
    page.wait_for_url(f"**/patients/{world.paula.pk}/")
    assert "Paula Reyes" in page.locator(".chart-header").inner_text()
    # Alice is Paula's case manager, so she reads the Part 2 note that moved with the record.
    expect(page.locator("main")).to_contain_text(SECRET)
    screenshot("merge-old-link-chart", page)
    context.close()
