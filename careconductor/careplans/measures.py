"""What a goal can be measured by. A measure with a LOINC code picks up every Observation with that code
(an assessment score today; labs and the patient's own readings as they arrive), so progress shows without
retyping. `better` says which way is good; `step` is the smallest change worth calling a change."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

LOINC = "http://loinc.org"


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    loinc: str = ""
    unit: str = ""
    better: Literal["lower", "higher", "state"] = "state"
    step: Decimal = Decimal(0)
    # Where the value comes from when no reading is typed: the instrument whose total it is.
    instrument: str = ""

    @property
    def numeric(self) -> bool:
        return self.better != "state"


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        # The steps are this project's defaults, not published cut-offs (5 PHQ-9 points is the change commonly
        # called meaningful): they only shape a suggestion that the case manager confirms or overrides.
        Measure("phq9", "PHQ-9 total score", "44261-6", "{score}", "lower", Decimal(5), "phq-9"),
        Measure("gad7", "GAD-7 total score", "70274-6", "{score}", "lower", Decimal(4), "gad-7"),
        Measure("hba1c", "HbA1c", "4548-4", "%", "lower", Decimal("0.5")),
        Measure("bp-systolic", "Systolic blood pressure", "8480-6", "mm[Hg]", "lower", Decimal(5)),
        Measure("bp-diastolic", "Diastolic blood pressure", "8462-4", "mm[Hg]", "lower", Decimal(5)),
        Measure("weight", "Body weight", "29463-7", "kg", "lower", Decimal(1)),
        Measure("steps", "Steps a day", "41950-7", "/d", "higher", Decimal(500)),
        # Home readings the patient logs in the portal: capillary glucose by meter, peak flow by meter.
        Measure("glucose", "Blood sugar (by meter)", "41653-7", "mg/dL", "lower", Decimal(20)),
        Measure("peak-flow", "Peak flow", "19935-6", "L/min", "higher", Decimal(20)),
        # Labs at discharge that the HOSPITAL readmission score reads (clinical.md §4.4): a low value is the
        # concern for both, hence "higher".
        Measure("haemoglobin", "Haemoglobin", "718-7", "g/dL", "higher", Decimal("0.5")),
        Measure("sodium", "Sodium", "2951-2", "mmol/L", "higher", Decimal(2)),
        Measure("appointments", "Attends appointments"),
        Measure("medications", "Takes medicines as prescribed"),
        Measure("food", "Has enough food"),
        Measure("transport", "Has a way to get to appointments"),
        Measure("housing", "Has stable housing"),
        Measure("falls", "No falls"),
        Measure("other", "Something else (describe it)"),
    ]
}

MEASURE_CHOICES = [(m.key, m.label) for m in MEASURES.values()]
BY_LOINC = {m.loinc: m for m in MEASURES.values() if m.loinc}


def measure(key: str) -> Measure:
    return MEASURES.get(key, MEASURES["other"])
