"""Readmission figures (issue 19 §"Readmission figures"): the facts gathered from stays received through the
feed, contacts logged, visits and reconciliations done through the real actions; the page for supervisors and
administrators, its lists of patients, chart and CSV. The pure rules: test_figures_rules.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.coordination.actions import ContactInput, do_log_contact
from careconductor.medications.actions import (
    do_add_discharge_line,
    do_complete_reconciliation,
    do_decide_line,
    do_start_reconciliation,
)
from careconductor.patients.actions import do_add_encounter
from careconductor.patients.models import Encounter
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.choices import Outcome
from careconductor.transitions.figures import figures_csv, readmission_figures

from ..coordination.test_followup_actions import at, enrol
from ..personas import World
from .messages import adt

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 12, 1)  # the world is built then (messages.py's own date)
TODAY = dt.date(2027, 3, 10)  # the page's default period: March 2026 to February 2027
DECEMBER, FEBRUARY = dt.date(2026, 12, 1), dt.date(2027, 2, 1)
START, END = dt.date(2026, 3, 1), dt.date(2027, 2, 28)


def hl7_time(day: dt.date, hour: int) -> str:
    return f"{day:%Y%m%d}{hour:02d}0000"


@pytest.fixture(autouse=True, scope="module")
def _frozen() -> Iterator[None]:
    with time_machine.travel(at(DAY, 9), tick=False):
        yield


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(at(DAY, 9), tick=False) as t:
        yield t


def stay(
    t: time_machine.Traveller, visit: str, admitted: dt.date, discharged: dt.date, mrn: str = "H100"
) -> None:
    """Admitted at 08:00 and discharged home at 11:00, through St. Mary's feed, the clock moving with it."""
    t.move_to(at(admitted, 8, 30))
    assert do_receive(
        adt("A01", f"{visit}-A", mrn=mrn, pv1={19: visit, 44: hl7_time(admitted, 8)})
    ).message.outcome == (Outcome.APPLIED)
    t.move_to(at(discharged, 11, 30))
    discharge = adt(
        "A03",
        f"{visit}-D",
        mrn=mrn,
        pv1={19: visit, 36: "01", 44: hl7_time(admitted, 8), 45: hl7_time(discharged, 11)},
    )
    assert do_receive(discharge).message.outcome == Outcome.APPLIED


@pytest.fixture
def history(world: World, traveller: time_machine.Traveller) -> World:
    """Paula: discharged on Wed 9 December before her case was active (not enrolled) and readmitted on the 28th,
    19 days later, by then enrolled (complex case management); that stay ends on Wed 30 December, Alice
    reaches her by phone the next day (New Year's Day a holiday: still within 2 business days), reconciles
    her medicines on 4 January and the clinic sees her on the 5th (day 6). Discharged again on 8 February
    (a stay that began 37 days after the last discharge: no readmission)."""
    do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    stay(traveller, "V1", dt.date(2026, 12, 7), dt.date(2026, 12, 9))
    traveller.move_to(at(dt.date(2026, 12, 10), 9))
    enrol(world, world.paula_case)
    stay(traveller, "V2", dt.date(2026, 12, 28), dt.date(2026, 12, 30))
    traveller.move_to(at(dt.date(2026, 12, 31), 10))
    do_log_contact(
        world.alice,
        world.paula,
        ContactInput(
            contact_at=at(dt.date(2026, 12, 31), 9),
            mode="phone",
            direction="outbound",
            reached=True,
            minutes=10,
        ),
    )
    traveller.move_to(at(dt.date(2027, 1, 4), 10))
    discharge = Encounter.objects.get(patient=world.paula, start__date=dt.date(2026, 12, 28))
    reconciliation = do_start_reconciliation(world.alice, world.paula, encounter=discharge)
    line = do_add_discharge_line(world.alice, reconciliation, name="Furosemide", dose="40 mg tablet")
    do_decide_line(world.alice, line, decision="new", new_times=["08:00"])
    do_complete_reconciliation(world.alice, reconciliation, participants="the patient by phone")
    traveller.move_to(at(dt.date(2027, 1, 5), 12))
    do_add_encounter(world.alice, world.paula, encounter_class="AMB", start=at(dt.date(2027, 1, 5), 10))
    stay(traveller, "V3", dt.date(2027, 2, 5), dt.date(2027, 2, 8))
    traveller.move_to(at(TODAY, 9))
    return world


def test_the_figures_count_each_discharge_by_programme_and_month(history: World) -> None:
    figures = readmission_figures(history.sam, START, END)
    paula = history.paula.pk
    rows = [
        (
            c.month,
            c.programme,
            c.discharges,
            c.readmissions,
            c.rate,
            c.median_days_to_contact,
            c.contact_share,
        )
        for c in figures.rows
    ]
    assert rows == [
        (DECEMBER, "complex_cm", [paula], [], 0.0, 1, 100.0),
        (DECEMBER, "", [paula], [paula], 100.0, None, 0.0),  # not enrolled on 9 December
        (FEBRUARY, "complex_cm", [paula], [], 0.0, None, 0.0),
    ]
    december = figures.rows[0]
    assert (december.visit_7_share, december.visit_14_share, december.reconciled_share) == (
        100.0,
        100.0,
        100.0,
    )


def test_another_organisation_sees_none_of_it(history: World) -> None:
    assert readmission_figures(history.charlie, START, END).rows == []


def test_the_csv_has_the_tables_numbers(history: World) -> None:
    lines = figures_csv(readmission_figures(history.sam, START, END)).splitlines()
    assert lines[1:] == [
        "2026-12,Complex case management,yes,1,0,0,1,100,100,100,100",
        "2026-12,Not enrolled,no,1,1,100,,0,0,0,",
        "2027-02,Complex case management,yes,1,0,0,,0,0,0,",
    ]


def test_the_queries_do_not_grow_with_the_discharges(
    history: World, traveller: time_machine.Traveller
) -> None:
    with CaptureQueriesContext(connection) as before:
        readmission_figures(history.sam, START, END)
    for n in range(4, 8):
        stay(traveller, f"V{n}", dt.date(2027, 1, 3 * n), dt.date(2027, 1, 3 * n + 1))
    traveller.move_to(at(TODAY, 9))
    with CaptureQueriesContext(connection) as after:
        figures = readmission_figures(history.sam, START, END)
    assert sum(len(c.discharges) for c in figures.rows) == 7
    assert len(after) == len(before) <= 8


# --- the page ---------------------------------------------------------------------------------------------
PERIOD = "?start=2026-03&end=2027-02"


def test_the_page_shows_a_supervisor_the_table_the_chart_and_links_to_the_patients(
    history: World, login
) -> None:
    client = login(history.sam)
    page = client.get(reverse("transitions:figures"))  # the last 12 full months by default
    assert page.status_code == 200
    html = page.content.decode()
    assert "March 2026 to February 2027" in html and "<svg" in html
    assert "Complex case management" in html and "Not enrolled" in html and "100.0 %" in html
    assert 'aria-current="page">Readmissions' in html
    link = (
        "/setup/adt/readmissions/patients/"
        + PERIOD.replace("&", "&amp;")
        + "&amp;month=2026-12&amp;programme=&amp;measure=readmissions"
    )
    assert link in html
    listed = client.get(link.replace("&amp;", "&"))
    assert listed.status_code == 200
    assert reverse("patients:chart", args=[history.paula.pk]) in listed.content.decode()
    assert AuditEvent.objects.filter(
        user=history.sam, action=AuditAction.READ, patient=history.paula
    ).exists()


def test_the_period_form_says_what_is_wrong_beside_the_field(history: World, login) -> None:
    page = login(history.sam).get(reverse("transitions:figures") + "?start=2027-02&end=2026-03")
    assert page.status_code == 400
    assert "The period ends before it starts." in page.content.decode()


def test_the_csv_download_is_the_table(history: World, login) -> None:
    response = login(history.adam).get(reverse("transitions:figures_csv") + PERIOD)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode() == figures_csv(readmission_figures(history.adam, START, END))
    assert "2026-12,Not enrolled,no,1,1,100" in response.content.decode()


def test_a_case_manager_is_not_offered_the_page(history: World, login) -> None:
    """accounts.rules.PAGE_ROLES: the figures are for supervisors and administrators (SUPERVISING), like the team
    and caseloads pages; a case manager's own patients are on the worklist and the time report."""
    client = login(history.alice)
    assert client.get(reverse("transitions:figures")).status_code == 403
    assert client.get(reverse("transitions:figures_csv")).status_code == 403


def test_a_supervisor_elsewhere_sees_no_discharges_and_no_patients(history: World, login) -> None:
    lake_lead = User.objects.get(organization=history.lakeside, role=Role.SUPERVISOR)
    client = login(lake_lead)
    html = client.get(reverse("transitions:figures")).content.decode()
    assert "No discharges in this period" in html
    listed = client.get(
        reverse("transitions:figures_patients") + PERIOD + "&month=2026-12&programme=&measure=discharges"
    )
    assert "Reyes" not in listed.content.decode()
