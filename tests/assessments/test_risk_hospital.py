"""HOSPITAL against clinical.md §4.4 (total 0–13; bands 0–4 low, 5–6 intermediate, ≥7 high). Helpers:
test_risk.py."""

from __future__ import annotations

import pytest

from careconductor.assessments import risk
from careconductor.assessments.risk import (
    hospital,
)

from .test_risk import points, stay

# --- HOSPITAL (§4.4) --------------------------------------------------------------------------------------------

ALL_ZERO: dict[str, object] = {
    "haemoglobin_g_dl": 13.5,
    "sodium_mmol_l": 140.0,
    "oncology_discharge": False,
    "procedure_during_stay": False,
    "admissions_12_months": 0,
}


def hospital_with(
    days: int | None = 1, admission_type: str = "elective", **changes: object
) -> risk.RiskResult:
    return hospital(stay(days, admission_type), **{**ALL_ZERO, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("component", "changes", "expected"),
    [
        ("H", {"haemoglobin_g_dl": 11.9}, 1),
        ("H", {"haemoglobin_g_dl": 12.0}, 0),
        ("H", {"haemoglobin_g_dl": 8}, 1),
        ("O", {"oncology_discharge": True}, 2),
        ("O", {"oncology_discharge": False}, 0),
        ("S", {"sodium_mmol_l": 134.9}, 1),
        ("S", {"sodium_mmol_l": 135.0}, 0),
        ("S", {"sodium_mmol_l": 128}, 1),
        ("P", {"procedure_during_stay": True}, 1),
        ("P", {"procedure_during_stay": False}, 0),
        ("IT", {"admission_type": "emergency"}, 1),
        ("IT", {"admission_type": "urgent"}, 1),
        ("IT", {"admission_type": "elective"}, 0),
        ("A", {"admissions_12_months": 0}, 0),
        ("A", {"admissions_12_months": 1}, 0),
        ("A", {"admissions_12_months": 2}, 2),
        ("A", {"admissions_12_months": 5}, 2),
        ("A", {"admissions_12_months": 6}, 5),
        ("A", {"admissions_12_months": 20}, 5),
        ("L", {"days": 0}, 0),
        ("L", {"days": 4}, 0),
        ("L", {"days": 5}, 2),
        ("L", {"days": 30}, 2),
    ],
)
def test_hospital_components(component: str, changes: dict[str, object], expected: int) -> None:
    result = hospital_with(**changes)  # type: ignore[arg-type]
    assert points(result, component) == expected
    assert result.value == expected


@pytest.mark.parametrize(
    ("changes", "total", "band"),
    [
        ({}, 0, "low"),
        ({"oncology_discharge": True, "days": 5}, 4, "low"),
        ({"oncology_discharge": True, "days": 5, "haemoglobin_g_dl": 10}, 5, "intermediate"),
        ({"admissions_12_months": 6, "admission_type": "urgent"}, 6, "intermediate"),
        ({"admissions_12_months": 6, "days": 5}, 7, "high"),
        (
            {
                "haemoglobin_g_dl": 9,
                "oncology_discharge": True,
                "sodium_mmol_l": 130,
                "procedure_during_stay": True,
                "admission_type": "emergency",
                "admissions_12_months": 8,
                "days": 9,
            },
            13,
            "high",
        ),
    ],
)
def test_hospital_bands(changes: dict[str, object], total: int, band: str) -> None:
    result = hospital_with(**changes)  # type: ignore[arg-type]
    assert (result.model, result.title, result.value, result.band) == (
        "hospital",
        "HOSPITAL score",
        total,
        band,
    )
    assert (result.minimum, result.maximum, result.missing) == (0, 13, ())
    assert [p.component for p in result.basis] == ["H", "O", "S", "P", "IT", "A", "L"]
    assert sum(p.points for p in result.basis) == total
    assert result.summary == (
        f"{band.capitalize()} risk of a potentially avoidable readmission within 30 days (HOSPITAL {total})."
    )


@pytest.mark.parametrize(
    ("changes", "missing", "gone"),
    [
        ({"haemoglobin_g_dl": None}, "haemoglobin at discharge", "H"),
        ({"sodium_mmol_l": None}, "sodium at discharge", "S"),
        ({"oncology_discharge": None}, "discharging service (oncology or not)", "O"),
        ({"procedure_during_stay": None}, "procedure during the stay", "P"),
        ({"admissions_12_months": None}, "admissions in the previous 12 months", "A"),
        ({"admission_type": ""}, "admission type", "IT"),
        ({"days": None}, "discharge date (length of stay)", "L"),
    ],
)
def test_hospital_each_missing_input_is_named_and_the_rest_still_counts(
    changes: dict[str, object], missing: str, gone: str
) -> None:
    result = hospital_with(**{"oncology_discharge": True, "admission_type": "urgent", **changes})  # type: ignore[arg-type]
    assert (result.value, result.band, result.missing) == (None, "", (missing,))
    assert gone not in [p.component for p in result.basis]
    assert len(result.basis) == 6
    assert result.at_least == sum(p.points for p in result.basis)
    assert result.summary.startswith(f"HOSPITAL score not complete: at least {result.at_least} ")


def test_hospital_without_anything_names_everything() -> None:
    result = hospital(
        None,
        haemoglobin_g_dl=None,
        sodium_mmol_l=None,
        oncology_discharge=None,
        procedure_during_stay=None,
        admissions_12_months=None,
    )
    assert result.value is None
    assert result.basis == ()
    assert result.missing == (
        "haemoglobin at discharge",
        "discharging service (oncology or not)",
        "sodium at discharge",
        "procedure during the stay",
        "admissions in the previous 12 months",
        "hospital stay",
    )


def test_hospital_basis_words() -> None:
    result = hospital_with(days=6, admission_type="emergency", haemoglobin_g_dl=11.2, admissions_12_months=1)
    assert [p.input for p in result.basis] == [
        "haemoglobin 11.2 g/dL at discharge",
        "not an oncology discharge",
        "sodium 140 mmol/L at discharge",
        "no procedure during the stay",
        "emergency admission (via the emergency department)",
        "1 admission in the previous 12 months",
        "length of stay 6 days",
    ]


@pytest.mark.parametrize(
    "changes",
    [{"admissions_12_months": -1}, {"haemoglobin_g_dl": -1.0}, {"sodium_mmol_l": float("nan")}],
)
def test_hospital_refuses_impossible_numbers(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        hospital_with(**changes)  # type: ignore[arg-type]
