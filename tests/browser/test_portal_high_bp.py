"""Both sides of a high blood pressure. Paula, on her phone, logs 186/104 in the portal and is told what to do
now, with a button to call her case manager. Alice, on her laptop, sees Paula in the worklist's Urgent band (the
safety alert and the urgent "Call the patient" task), opens the chart, finds the reading marked past the limit
on the self-management card, and acknowledges the alert with what she did: the alert leaves the worklist."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import timezone

from careconductor.coordination.choices import TaskKind
from careconductor.coordination.models import Flag, Task
from careconductor.core import clock

from .portal import LAPTOP, build_portal, phone_context, portal_log_in, settle
from .test_morning import band, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _mid_morning() -> Iterator[None]:
    """10:00 local today, ticking: the alert's call is due in 2 hours, so 'due today' whatever the hour the suite
    runs (run at 22:30 it was due after midnight, 'due Dec 6')."""
    with time_machine.travel(timezone.make_aware(dt.datetime.combine(clock.today(), dt.time(10))), tick=True):
        yield


WHAT_I_DID = "Called Paula: repeat 150/90 after rest, no chest pain. Dr Dana to see her tomorrow."


def test_a_high_blood_pressure_from_the_phone_reaches_the_worklist(live_server, browser, screenshot) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    pw = build_portal(content=False)
    paula, alice = pw.world.paula, pw.world.alice
    base = live_server.url

    # --- Paula, on her phone ---------------------------------------------------------------------------------
    phone, page = phone_context(browser, "en")
    portal_log_in(page, base, "paula")
    page.get_by_role("button", name="English").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("main").get_by_role("link", name=re.compile(r"^Check in")).tap()
    page.get_by_role("link", name="Blood pressure").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Blood pressure")
    page.get_by_label("Top number (systolic)").fill("186")
    page.get_by_label("Bottom number (diastolic)").fill("104")
    screenshot("portal-high-bp-1-phone-form", on=page)
    page.get_by_role("button", name="Save").tap()
    page.wait_for_url(re.compile(r"/check-in/done/#what-to-do$"))
    alert = page.get_by_role("alert")
    expect(alert.get_by_role("heading", level=1)).to_have_text("What to do now")
    expect(alert).to_contain_text("Your blood pressure is very high")
    expect(alert).to_contain_text("call 911")
    call = alert.get_by_role("link", name=re.compile(r"^Call my care team"))
    expect(call).to_have_attribute("href", "tel:555-0199")
    box = call.bounding_box()
    assert box is not None and box["height"] >= 44 and box["y"] + box["height"] <= 844, (
        box
    )  # in view, touchable
    expect(page.get_by_role("main")).to_contain_text("Your blood pressure is saved.")
    screenshot("portal-high-bp-2-phone-what-to-do", on=page)
    settle(page)
    phone.close()

    flag = Flag.objects.get(patient=paula, rule="self-report:bp-high")
    task = Task.objects.get(patient=paula, kind=TaskKind.SELF_REPORT)
    assert task.owner == alice and task.title.startswith("Call the patient: ")

    # --- Alice, on her laptop ---------------------------------------------------------------------------------
    laptop, page = log_in(browser, base, alice, LAPTOP)
    page.goto(f"{base}/worklist/")
    settle(page)
    urgent = band(page, "Urgent")
    # Her rows are one group; the alert and the call it raised are one row with both links (issue 17 §5).
    rows = urgent.locator("tbody.patient-group", has_text="Reyes, Paula").locator("tr")
    alert_row = rows.filter(has_text="Alert: Patient-reported blood pressure 186/104 mmHg")
    expect(alert_row).to_have_count(1)
    expect(alert_row).to_contain_text("urgent task, due today")
    expect(alert_row.get_by_role("link", name="Open task")).to_have_count(1)
    screenshot("portal-high-bp-3-worklist", on=page)

    rows.filter(has_text="Alert: Patient-reported").get_by_role("link", name="Review alert").click()
    page.wait_for_url(re.compile(rf"/patients/{paula.pk}/"))
    settle(page)
    card = page.locator("section", has=page.get_by_role("heading", level=2, name="Self-management"))
    high = card.locator("tbody tr.row-alert")
    expect(high).to_have_count(1)  # the reading, both numbers in one row
    expect(high.first).to_contain_text("186")
    expect(high.first).to_contain_text("past limit")
    expect(card).to_contain_text("1 open alert from the patient's reports")
    screenshot("portal-high-bp-4-chart", on=page)

    alerts = page.locator("section", has=page.get_by_role("heading", level=2, name="Safety alerts"))
    alerts.get_by_label("What was done").fill(WHAT_I_DID)
    alerts.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    settle(page)
    flag.refresh_from_db()
    assert flag.status != "active" and flag.acknowledged_by == alice

    page.goto(f"{base}/worklist/")
    settle(page)
    paula_rows = page.locator("section.worklist tbody.patient-group", has_text="Reyes, Paula").locator("tr")
    expect(paula_rows.filter(has_text="Alert: Patient-reported")).to_have_count(0)
    expect(band(page, "Urgent").locator("tbody tr", has_text="Call the patient")).to_have_count(1)  # the call
    screenshot("portal-high-bp-5-worklist-after", on=page)
    settle(page)
    laptop.close()
