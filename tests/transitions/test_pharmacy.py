"""Medicines on the ADT feed (issue 19): the RXE/RXO segments of an A03 are the stay's discharge list, taken by
the stay's reconciliation; RXD segments of an RDS^O13 are pharmacy fills. A bad medicine makes the whole message
AE with nothing kept (not even the discharge); a message sent again, or a corrected A03 repeating the list,
keeps nothing twice."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from careconductor.medications.actions import do_add_medication, do_start_reconciliation
from careconductor.medications.choices import Discrepancy, OrderSource
from careconductor.medications.models import DischargeMedication, PharmacyFill
from careconductor.patients.models import Encounter
from careconductor.transitions import hl7v2
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.choices import Outcome

from .messages import adt, segment

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)
DISCHARGED = {36: "01", 45: "20261205100000"}
METFORMIN = segment(
    "RXE", {2: "860975^Metformin 500 MG Oral Tablet^RXNORM", 3: "1000", 5: "mg", 6: "^tablet"}
)
FUROSEMIDE = segment("RXO", {1: "^Furosemide^", 2: "40", 4: "mg", 7: "^Every morning"})
STOP_AMLODIPINE = (segment("ORC", {1: "DC"}), segment("RXO", {1: "197361^Amlodipine 5 MG^RXNORM"}))


def rds(control_id: str, *rxd: str) -> str:
    msh = f"MSH|^~\\&|RX|MAINSTRX|CC|CC|20261205083000||RDS^O13^RDS_O13|{control_id}|P|2.5.1"
    pid = segment("PID", {1: "1", 3: "P77^^^MAINSTRX^MR", 5: "Reyes^Paula", 7: "19560314", 8: "F"})
    return "\r".join([msh, pid, segment("ORC", {1: "RE"}), *rxd]) + "\r"


@pytest.fixture
def feed(world):
    return do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")


def test_the_parser_reads_orders_with_their_order_control() -> None:
    event = hl7v2.parse(adt("A03", "D1", pv1=DISCHARGED, more=(METFORMIN, FUROSEMIDE, *STOP_AMLODIPINE)))
    assert [(m.code, m.system, m.text, m.dose, m.instructions, m.says_stop) for m in event.medications] == [
        ("860975", "RXNORM", "Metformin 500 MG Oral Tablet", "1000 mg tablet", "", False),
        ("", "", "Furosemide", "40 mg", "Every morning", False),
        ("197361", "RXNORM", "Amlodipine 5 MG", "", "", True),
    ]


@time_machine.travel(NOW, tick=False)
def test_a_discharge_with_its_medicines_is_the_stays_discharge_list(world, feed) -> None:
    do_add_medication(
        world.alice,
        world.paula,
        name="Metformin",  # as the care team wrote it; the hospital sends RxNorm's full name
        dose="500 mg tablet",
        instructions="",
        times=["08:00"],
        start_date=dt.date(2026, 10, 1),
    )
    receipt = do_receive(adt("A03", "D1", pv1=DISCHARGED, more=(METFORMIN, FUROSEMIDE, *STOP_AMLODIPINE)))
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    assert "discharge list: Metformin 500 MG Oral Tablet, Furosemide, Amlodipine 5 MG (stop)" in (
        receipt.message.effect
    )
    stay = Encounter.objects.get(patient=world.paula)
    kept = DischargeMedication.objects.filter(encounter=stay)
    assert {(o.name, o.rxnorm, o.dose, o.says_stop, o.source) for o in kept} == {
        ("Metformin 500 MG Oral Tablet", "860975", "1000 mg tablet", False, OrderSource.HL7),
        ("Furosemide", "", "40 mg", False, OrderSource.HL7),
        ("Amlodipine 5 MG", "197361", "", True, OrderSource.HL7),
    }
    assert all(o.reference == "St. Mary's Hospital, D1" for o in kept)

    # Sent again: nothing new. A corrected A03 repeating the list: nothing kept twice.
    do_receive(adt("A03", "D1", pv1=DISCHARGED, more=(METFORMIN, FUROSEMIDE)))
    again = do_receive(adt("A03", "D2", pv1=DISCHARGED, more=(METFORMIN, FUROSEMIDE)))
    assert again.message.outcome == Outcome.APPLIED and "already kept" in again.message.effect
    assert kept.count() == 3

    reconciliation = do_start_reconciliation(world.alice, world.paula, encounter=stay)
    lines = {line.name: line.discrepancy for line in reconciliation.lines.all()}
    assert lines == {
        "Metformin": Discrepancy.DOSE_MISMATCH,
        "Furosemide": Discrepancy.NONE,
        "Amlodipine 5 MG": Discrepancy.NONE,
    }


@time_machine.travel(NOW, tick=False)
def test_a_medicine_without_a_dose_refuses_the_whole_discharge(world, feed) -> None:
    no_dose = segment("RXE", {2: "^Apixaban^"})
    receipt = do_receive(adt("A03", "D1", pv1=DISCHARGED, more=(METFORMIN, no_dose)))
    assert receipt.message.outcome == Outcome.ERROR
    assert "Medication 2 on the discharge list" in receipt.message.reason and "MSA|AE|D1" in receipt.ack
    assert (
        not DischargeMedication.objects.exists()
        and not Encounter.objects.filter(patient=world.paula).exists()
    )


@time_machine.travel(NOW, tick=False)
def test_a_pharmacys_dispenses_are_fills(world) -> None:
    # A pharmacy is a feed of its own; its customer number is not known here, so the patient is matched by
    # name, birth date and sex, and its number kept for the next message.
    do_create_feed(world.adam, name="Main Street Pharmacy", sending_facility="MAINSTRX")
    receipt = do_receive(
        rds(
            "F1",
            segment(
                "RXD",
                {
                    1: "1",
                    2: "860975^Metformin 500 MG Oral Tablet^RXNORM",
                    3: "20261110",
                    4: "60",
                    5: "TAB",
                    7: "RX9",
                },
            ),
        )
    )
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    fill = PharmacyFill.objects.get(patient=world.paula)
    assert (fill.name, fill.rxnorm, fill.filled_on, fill.quantity, fill.pharmacy) == (
        "Metformin 500 MG Oral Tablet",
        "860975",
        dt.date(2026, 11, 10),
        "60 TAB",
        "Main Street Pharmacy",
    )
    assert "prescription RX9" in fill.reference
    assert do_receive(rds("F2")).message.outcome == Outcome.ERROR  # no RXD: nothing to keep
    bad_time = do_receive(rds("F3", segment("RXD", {1: "1", 2: "^Metformin^", 3: "yesterday"})))
    assert bad_time.message.outcome == Outcome.REJECTED and "RXD-3" in bad_time.message.reason
    assert PharmacyFill.objects.count() == 1
