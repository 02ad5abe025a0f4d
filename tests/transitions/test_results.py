"""Lab results on the ADT feed (ORU^R01): final results whose LOINC code is a measure here become lab readings
(and so reach the HOSPITAL score, tests/assessments/test_risk_labs.py); a result that cannot be kept makes the
whole message AE with nothing kept."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from careconductor.careplans.models import Reading
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.choices import Outcome

from .messages import segment

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 6, 12, tzinfo=dt.UTC)


def oru(control_id: str, *results: tuple[str, str, str, str, str]) -> str:
    """An ORU^R01 for Paula (St. Mary's MRN H100) with OBX rows (LOINC, name, value, units, status)."""
    msh = f"MSH|^~\\&|LAB|STMARYS|CC|CC|20261205083000||ORU^R01^ORU_R01|{control_id}|P|2.5.1"
    pid = segment("PID", {1: "1", 3: "H100^^^STMARYS^MR", 5: "Reyes^Paula", 7: "19560314", 8: "F"})
    obr = segment("OBR", {1: "1", 4: "CMP^Metabolic panel", 7: "20261205060000"})
    obx = [
        segment("OBX", {1: str(n), 2: "NM", 3: f"{code}^{name}^LN", 5: value, 6: units, 11: status})
        for n, (code, name, value, units, status) in enumerate(results, start=1)
    ]
    return "\r".join([msh, pid, obr, *obx]) + "\r"


@pytest.fixture
def feed(world):
    return do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")


@time_machine.travel(NOW, tick=False)
def test_final_results_that_are_measures_become_lab_readings(world, feed) -> None:
    receipt = do_receive(
        oru(
            "L1",
            ("718-7", "Hemoglobin", "10.2", "g/dL", "F"),
            ("2951-2", "Sodium", "132", "mmol/L", "F"),
            ("2160-0", "Creatinine", "1.1", "mg/dL", "F"),  # not a measure kept here
            ("4548-4", "HbA1c", "8.1", "%", "P"),  # preliminary: waits for the final result
        )
    )
    assert receipt.message.outcome == Outcome.APPLIED, receipt.message.reason
    readings = {r.measure: r for r in Reading.objects.filter(patient=world.paula)}
    assert set(readings) == {"haemoglobin", "sodium"}
    assert readings["haemoglobin"].value == Decimal("10.2") and readings["sodium"].source == "lab"
    assert readings["sodium"].taken_at.date() == dt.date(2026, 12, 5)
    assert "Creatinine" in receipt.message.effect and "HbA1c" in receipt.message.effect


@time_machine.travel(NOW, tick=False)
def test_haemoglobin_in_g_per_litre_is_converted(world, feed) -> None:
    do_receive(oru("L1", ("718-7", "Hemoglobin", "115", "g/L", "F")))
    assert Reading.objects.get(patient=world.paula).value == Decimal("11.5")


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize("value, units", [("high", "g/dL"), ("11", "mg/mL"), ("NaN", "g/dL")])
def test_a_result_that_cannot_be_kept_is_ae_and_keeps_nothing(world, feed, value, units) -> None:
    receipt = do_receive(
        oru("L1", ("2951-2", "Sodium", "132", "mmol/L", "F"), ("718-7", "Hemoglobin", value, units, "F"))
    )
    assert receipt.message.outcome == Outcome.ERROR and "Hemoglobin" in receipt.message.reason
    assert "MSA|AE|L1" in receipt.ack
    assert not Reading.objects.filter(patient=world.paula).exists()
