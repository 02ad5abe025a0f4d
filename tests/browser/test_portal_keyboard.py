"""The check-in by keyboard alone (WCAG 2.1.1): Tab, Shift+Tab, Enter, Space, arrows and typing, never a click.
From the log-in page to the portal home, "Check in", the blood pressure form (saved), then mood and symptoms
(a mood by the arrow keys, a symptom by Space). Every element the test stops on shows the focus ring."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from careconductor.engagement.models import CheckIn

from ..personas import PASSWORD
from .portal import build_portal, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}
NOTE = "Feet swell by the evening"

# What the focused element is, and whether its focus is visible (an outline at least 2 px wide, or a ring).
ACTIVE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : '';
  return {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id, name: el.name || '',
    text: (el.innerText || el.value || '').trim().replace(/\\s+/g, ' '), label: label.trim(),
    checked: !!el.checked,
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2
      || (style.boxShadow !== 'none' && style.boxShadow !== '')};
}"""


class Keyboard:
    """Tabs through a page to an element, noting each stop's focus ring."""

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        self.page = page
        self.stops: list[dict[str, Any]] = []

    def active(self) -> dict[str, Any]:
        info: dict[str, Any] = self.page.evaluate(ACTIVE)
        return info

    def tab_to(
        self, wanted: Callable[[dict[str, Any]], bool], what: str, back: bool = False
    ) -> dict[str, Any]:
        seen = []
        for _ in range(80):
            self.page.keyboard.press("Shift+Tab" if back else "Tab")
            info = self.active()
            seen.append(info["text"][:30] or info["label"][:30] or info["tag"])
            if wanted(info):
                self.stops.append({**info, "what": what})
                return info
        raise AssertionError(f"Tab never reached {what}; it went through {seen}")

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)


def named(text: str) -> Callable[[dict[str, Any]], bool]:
    return lambda info: info["text"].startswith(text) or info["label"].startswith(text)


def test_a_patient_checks_in_by_keyboard_alone(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    pw = build_portal(content=False)
    paula = pw.world.paula
    base = live_server.url
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.set_default_timeout(10_000)
    keys = Keyboard(page)

    # Log in: user name, password, Enter.
    page.goto(f"{base}/login/")
    settle(page)
    keys.tab_to(lambda i: i["tag"] == "input" and i["name"] == "username", "the user name")
    page.keyboard.type("paula")
    keys.tab_to(lambda i: i["name"] == "password", "the password")
    page.keyboard.type(PASSWORD)
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/portal/$"))
    settle(page)

    # Paula's portal opens in Spanish; the language switch in the header, by keyboard.
    expect(page.locator("html")).to_have_attribute("lang", "es")
    keys.tab_to(named("English"), "the language switch")
    keys.press("Enter")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    settle(page)

    # The skip link comes first, and takes focus to the content.
    keys.tab_to(named("Skip to content"), "the skip link")
    expect(page.get_by_role("link", name="Skip to content")).to_be_in_viewport()
    screenshot("portal-keyboard-1-skip-link", on=page)

    # Home → Check in (the big link in the content).
    keys.tab_to(named("Check in"), "Check in")
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/portal/check-in/$"))
    settle(page)

    # Blood pressure, the two numbers, Enter.
    keys.tab_to(named("Blood pressure"), "Blood pressure")
    screenshot("portal-keyboard-2-check-in-focus", on=page)
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/check-in/blood-pressure/$"))
    settle(page)
    keys.tab_to(lambda i: i["id"] == "id_systolic", "the top number")
    page.keyboard.type("128")
    keys.tab_to(lambda i: i["id"] == "id_diastolic", "the bottom number")
    page.keyboard.type("78")
    # Shift+Tab back to the top number and forth again: the order follows the form.
    keys.tab_to(lambda i: i["id"] == "id_systolic", "the top number, backwards", back=True)
    keys.tab_to(lambda i: i["id"] == "id_diastolic", "the bottom number again")
    screenshot("portal-keyboard-3-blood-pressure", on=page)
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/check-in/done/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your blood pressure is saved.")
    settle(page)

    # Back to the check-in, mood and symptoms.
    keys.tab_to(named("Check in something else"), "Check in something else")
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/portal/check-in/$"))
    settle(page)
    keys.tab_to(named("Mood and symptoms"), "Mood and symptoms")
    keys.press("Enter")
    page.wait_for_url(re.compile(r"/check-in/feeling/$"))
    settle(page)
    first = keys.tab_to(lambda i: i["type"] == "radio", "the mood")
    assert first["label"] == "Very good" and not first["checked"], first
    keys.press("ArrowDown")  # the next mood, chosen as focus moves
    mood = keys.active()
    assert (mood["label"], mood["checked"]) == ("Good", True), mood
    keys.stops.append({**mood, "what": "the mood, by arrow"})
    keys.tab_to(named("Swollen feet or legs"), "a symptom")
    keys.press("Space")
    assert keys.active()["checked"], "Space did not tick the symptom"
    keys.tab_to(lambda i: i["tag"] == "textarea", "the note")
    page.keyboard.type(NOTE)
    screenshot("portal-keyboard-4-feeling", on=page)
    keys.tab_to(named("Send to my care team"), "Send")
    keys.press("Space")
    page.wait_for_url(re.compile(r"/check-in/done/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
    screenshot("portal-keyboard-5-done", on=page)
    settle(page)

    # Every stop showed where the focus was.
    no_ring = [s["what"] for s in keys.stops if not s["ring"]]
    assert not no_ring, f"no visible focus on: {no_ring}"
    assert len(keys.stops) >= 15

    # What was typed is what was saved.
    systolic = paula.readings.get(measure="bp-systolic")
    diastolic = paula.readings.get(measure="bp-diastolic")
    assert (systolic.value, diastolic.value) == (Decimal(128), Decimal(78))
    check = CheckIn.objects.get(patient=paula, kind="wellbeing")
    assert (check.mood, check.symptoms, check.note) == (4, ["swelling"], NOTE)
    assert check.reported_by == pw.paula_login
    context.close()
