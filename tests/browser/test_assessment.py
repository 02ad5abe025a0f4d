"""A case manager completes a PHQ-9 with Paula on a tablet-sized screen: one screen per section, answers
saved as they are given, the result in plain words, and the same-day safety task that item 9 raises on the
result, the chart and the case manager's task list."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.assessments.models import Assessment
from careconductor.coordination.models import Task

from ..conftest import current_code
from ..personas import PASSWORD, build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {  # PHQ-9 item → answer: total 7 (mild), item 9 "several days"
    1: "Several days", 2: "Several days", 3: "More than half the days", 4: "Several days",
    5: "Not at all", 6: "Several days", 7: "Not at all", 8: "Not at all", 9: "Several days",
}  # fmt: skip


def test_a_phq9_on_a_tablet_shows_the_result_and_the_urgent_task(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    world = build_world()
    context = browser.new_context(viewport={"width": 1024, "height": 1366})  # a tablet, portrait
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    device = TOTPDevice.objects.create(user=world.alice, name="Alice's tablet", confirmed=True)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("textbox", name="Code").fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    # Wait for the log-in to finish: the live server shares its SQLite connection with this thread, so two
    # requests (or a request and a query here) at once can collide.
    page.wait_for_url(lambda url: "/login/" not in url and "second-factor" not in url)

    page.goto(f"{live_server.url}/patients/{world.paula.pk}/")
    page.get_by_role("link", name="Assessments, scores and risk").click()
    row = page.locator("tr", has_text="Patient Health Questionnaire-9")
    row.get_by_label("Language").select_option("en")
    row.get_by_role("button", name="Start").click()
    assert "Section 1 of 2" in page.locator(".progress").inner_text()

    for item, answer in ANSWERS.items():
        question = page.locator(f"#q-phq9-{item}")
        if item == 1:  # keyboard only: focus the first answer, arrow to "Several days"
            question.get_by_label("Not at all").focus()
            page.keyboard.press("ArrowRight")
        else:
            question.get_by_text(answer, exact=True).click()
    # Each answer is saved as it is given (htmx): the status line counts them.
    expect(page.locator("#save-status")).to_contain_text("9 of 10 answered")
    screenshot("assessment-phq9-section", on=page)
    assert Assessment.objects.get().answers["phq9-9"] == ["LA6569-3"]

    page.get_by_role("button", name="Save and next").click()
    page.locator("#q-phq9-difficulty").get_by_text("Somewhat difficult").click()
    # The test database (in-memory SQLite) has no busy wait: let the save land before finishing.
    expect(page.locator("#save-status")).to_contain_text("10 of 10 answered")
    page.get_by_role("button", name="Finish and score").click()

    body = page.locator("main").inner_text()
    assert re.search(r"^7 out of 27", page.locator(".score").first.inner_text())
    assert "mild" in body and "a clinician must follow up today" in body
    assert "Same-day suicide risk follow-up" in body
    screenshot("assessment-phq9-result", on=page)

    page.goto(f"{live_server.url}/patients/{world.paula.pk}/")
    assert "Thoughts of death or self-harm" in page.locator(".chart-header .alerts").inner_text()
    screenshot("chart-safety-alert", on=page)
    page.get_by_role("link", name="Cases").first.click()
    tasks = page.locator("section", has_text="My open tasks").inner_text()
    assert "Same-day suicide risk follow-up" in tasks and "Reyes, Paula" in tasks
    screenshot("case-list-my-tasks", on=page)
    assert {t.owner.username for t in Task.objects.all()} == {"alice", "sam"}
    context.close()
