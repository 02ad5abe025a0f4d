"""Tables fit their cards (issue 17 §5): at 1366×768 (a laptop) and 390×844 (a phone) no card of the chart, the
case, the assessments or the contact log is pushed past its column or the page by a table; a table wider than
its card scrolls inside it. Screenshots in test-artifacts/screenshots/layout-*.png."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.accounts.choices import Role
from careconductor.assessments.actions import do_compute_risk_scores
from careconductor.coordination.actions import ContactInput, do_log_contact
from careconductor.core import clock
from careconductor.patients.actions import do_add_care_team_member, do_add_condition, do_add_encounter
from careconductor.patients.choices import AdmissionType, EncounterClass

from ..personas import build_world, make_staff
from .test_morning import LAPTOP, log_in, settle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}

# What sticks out: the page wider than the window, a card past its parent's right edge, or a table past its
# card's padding (cut off at the card's border); a table that scrolls itself must keep its box inside the card.
OVERFLOW = """() => {
  const out = [];
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) out.push(`page ${page.scrollWidth} > ${window.innerWidth}`);
  const name = (card) => card.querySelector('h2')?.textContent.trim() || card.className;
  for (const card of document.querySelectorAll('main .card')) {
    const box = card.getBoundingClientRect(), parent = card.parentElement.getBoundingClientRect();
    if (box.right > parent.right + 1) out.push(`card ${name(card)}: ${box.right} > ${parent.right}`);
    const inner = box.right - parseFloat(getComputedStyle(card).paddingRight) - card.clientLeft;
    for (const table of card.querySelectorAll('table')) {
      const right = table.getBoundingClientRect().right;
      if (right > inner + 1) out.push(`table in ${name(card)}: ${Math.round(right)} > ${Math.round(inner)}`);
    }
  }
  return out;
}"""


def _paula_with_a_full_chart():  # type: ignore[no-untyped-def]
    world = build_world()
    paula = world.paula
    for code, words in (
        ("E11.65", "Type 2 diabetes mellitus with hyperglycemia"),
        ("I50.22", "Chronic systolic (congestive) heart failure"),
        ("N18.32", "Chronic kidney disease, stage 3b"),
        ("J44.1", "Chronic obstructive pulmonary disease with (acute) exacerbation"),
    ):
        do_add_condition(world.alice, paula, icd10_code=code, display=words)
    admitted = clock.now() - dt.timedelta(days=12)
    do_add_encounter(
        world.alice,
        paula,
        encounter_class=EncounterClass.INPATIENT,
        start=admitted,
        end=admitted + dt.timedelta(days=6),
        admission_type=AdmissionType.EMERGENCY,
        facility="Riverside Regional Medical Center, Cardiology Step-Down Unit (4 West)",
    )
    do_compute_risk_scores(world.alice, paula)
    pharmacist = make_staff("philippa.longname-worthington", Role.CARE_TEAM, world.riverside)
    do_add_care_team_member(
        world.alice, paula, member=pharmacist, role="Clinical pharmacist (anticoagulation)"
    )
    do_log_contact(
        world.alice,
        paula,
        ContactInput(
            contact_at=clock.now() - dt.timedelta(hours=2),
            mode="phone",
            direction="outbound",
            reached=True,
            minutes=25,
            patient_words="Me siento mejor, pero no tengo transporte para la cita del cardiólogo el martes.",
            symptoms="Ankles swollen in the evening; no shortness of breath at rest",
            barriers="Transport to cardiology; cost of the SGLT2 inhibitor",
            next_steps="Book medical transport; ask the pharmacist about the patient-assistance programme",
        ),
        case=world.paula_case,
    )
    return world


@pytest.mark.parametrize(("size", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_tables_stay_inside_their_cards(
    live_server, browser, screenshot, size: str, viewport: dict[str, int]
) -> None:  # type: ignore[no-untyped-def]
    world = _paula_with_a_full_chart()
    context, page = log_in(browser, live_server.url, world.alice, viewport)
    pages = {
        "chart": f"/patients/{world.paula.pk}/",
        "case": f"/cases/{world.paula_case.pk}/",
        "assessments": f"/patients/{world.paula.pk}/assessments/",
        "contacts": f"/patients/{world.paula.pk}/contacts/",
    }
    found = {}
    for name, path in pages.items():
        page.goto(live_server.url + path)
        settle(page)
        screenshot(f"layout-{name}-{size}", on=page)
        found[name] = page.evaluate(OVERFLOW)
    context.close()
    assert found == {name: [] for name in pages}, found
