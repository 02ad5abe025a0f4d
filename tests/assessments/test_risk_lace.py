"""LACE against clinical.md §4.1 (L <1/1/2/3/4–6/7–13/≥14 days → 0/1/2/3/4/5/7; A emergency 3; C 0/1/2/3/≥4
→ 0/1/2/3/5; E 0–3/≥4 → 0–3/4; total 0–19; bands 0–4 low, 5–9 moderate, ≥10 high), with the Charlson
weights inside it (§4.2) and the stay it reads. Helpers: test_risk.py."""

from __future__ import annotations

import datetime

import pytest

from careconductor.assessments import risk
from careconductor.assessments.risk import (
    Stay,
    lace,
    lace_comorbidity,
)
from careconductor.patients.choices import AdmissionType

from .test_risk import DAY, ONE_CODE_PER_CATEGORY, points, stay

# --- Charlson weights inside LACE (§4.2) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "weight"),
    [
        (risk.MYOCARDIAL_INFARCTION, 1),
        (risk.CEREBROVASCULAR, 1),
        (risk.PERIPHERAL_VASCULAR, 1),
        (risk.DIABETES, 1),
        (risk.HEART_FAILURE, 2),
        (risk.DIABETES_COMPLICATED, 2),
        (risk.CHRONIC_PULMONARY, 2),
        (risk.MILD_LIVER, 2),
        (risk.MALIGNANCY, 2),
        (risk.DEMENTIA, 3),
        (risk.RHEUMATIC, 3),
        (risk.SEVERE_LIVER, 4),
        (risk.AIDS, 4),
        (risk.METASTATIC, 6),
        # Not in §4.2's main list: peptic ulcer and renal disease are modified-LACE-only rows
        # (unverified for the 2010 paper, left out); hemiplegia is in neither list.
        (risk.PEPTIC_ULCER, 0),
        (risk.RENAL, 0),
        (risk.HEMIPLEGIA, 0),
    ],
)
def test_lace_charlson_weights(category: str, weight: int) -> None:
    code = ONE_CODE_PER_CATEGORY[category]
    score, basis = lace_comorbidity([code])
    assert score == weight
    (line,) = basis
    assert (line.component, line.points) == (category, weight)
    if weight == 0:
        assert line.input == f"{code} {category} (not in LACE's Charlson weights)"


@pytest.mark.parametrize(
    ("codes", "score", "counted"),
    [
        (["K70.30", "K72.10"], 4, risk.SEVERE_LIVER),
        (["E11.9", "E11.22"], 2, risk.DIABETES_COMPLICATED),
        (["C34.90", "C78.00"], 6, risk.METASTATIC),
    ],
)
def test_lace_charlson_hierarchy(codes: list[str], score: int, counted: str) -> None:
    found, basis = lace_comorbidity(codes)
    assert found == score
    assert [p.component for p in basis if p.points] == [counted]


# --- LACE (§4.1) ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (6, 4), (7, 5), (13, 5), (14, 7), (15, 7), (60, 7)],
)
def test_lace_l_length_of_stay(days: int, expected: int) -> None:
    """≥14 days is 7 points, not the modified-LACE 6 (§4.1 pitfall)."""
    result = lace(stay(days), [], 0)
    assert points(result, "L") == expected
    assert result.value == expected


def test_lace_length_of_stay_is_discharge_minus_admission() -> None:
    same_day = lace(stay(0), [], 0)
    assert same_day.basis[0].input == "length of stay 0 days (under 1 day)"
    overnight = lace(stay(1), [], 0)
    assert overnight.basis[0].input == "length of stay 1 day"
    assert stay(5).length_of_stay == 5


@pytest.mark.parametrize(("admission_type", "expected"), [("emergency", 3), ("urgent", 0), ("elective", 0)])
def test_lace_a_acuity(admission_type: str, expected: int) -> None:
    result = lace(stay(0, admission_type), [], 0)
    assert points(result, "A") == expected
    assert result.value == expected


@pytest.mark.parametrize(
    ("score", "expected"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 5), (5, 5), (6, 5), (12, 5), (30, 5)]
)
def test_lace_c_points_for_the_charlson_score(score: int, expected: int) -> None:
    """Charlson 4 is 5 points, not 4 (§4.1 pitfall)."""
    assert risk.lace_comorbidity_points(score) == expected


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        ([], 0),
        (["I21.4"], 1),  # MI 1
        (["I50.22"], 2),  # CHF 2
        (["F03.90"], 3),  # dementia 3
        (["I21.4", "I63.9", "I70.0", "E11.9"], 5),  # 1+1+1+1 = 4 → 5
        (["K72.10"], 5),  # 4 → 5
        (["C78.00"], 5),  # 6 → 5
        (["K25.9", "N18.4", "G81.90"], 0),  # not in LACE's weights
    ],
)
def test_lace_c_from_diagnoses(codes: list[str], expected: int) -> None:
    result = lace(stay(0), codes, 0)
    assert points(result, "C") == expected
    assert result.value == expected


def test_lace_c_says_what_it_counted() -> None:
    result = lace(stay(0), ["I50.22", "F03.90", "N18.4"], 0)
    assert result.basis[2] == risk.Point(
        "C", "comorbidity score 5 with LACE's weights: I50.22 congestive heart failure; F03.90 dementia", 5
    )
    assert (
        lace(stay(0), [], 0).basis[2].input
        == "comorbidity score 0 with LACE's weights: no qualifying diagnoses"
    )


@pytest.mark.parametrize(("visits", "expected"), [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 4), (40, 4)])
def test_lace_e_ed_visits(visits: int, expected: int) -> None:
    result = lace(stay(0), [], visits)
    assert points(result, "E") == expected
    assert result.value == expected


@pytest.mark.parametrize(
    ("days", "admission_type", "codes", "visits", "total", "band"),
    [
        (0, "elective", [], 0, 0, "low"),
        (4, "elective", [], 0, 4, "low"),
        (4, "elective", [], 1, 5, "moderate"),
        (7, "urgent", [], 4, 9, "moderate"),
        (7, "emergency", [], 2, 10, "high"),
        (14, "emergency", ["C78.00"], 4, 19, "high"),
    ],
)
def test_lace_bands(
    days: int, admission_type: str, codes: list[str], visits: int, total: int, band: str
) -> None:
    result = lace(stay(days, admission_type), codes, visits)
    assert (result.model, result.title, result.value, result.band) == ("lace", "LACE index", total, band)
    assert (result.minimum, result.maximum, result.missing) == (0, 19, ())
    assert sum(p.points for p in result.basis) == total
    assert [p.component for p in result.basis] == ["L", "A", "C", "E"]
    assert result.summary == (
        f"{band.capitalize()} risk of readmission or death within 30 days (LACE {total})."
    )


def test_lace_without_a_stay_is_not_scored_but_keeps_what_is_known() -> None:
    result = lace(None, ["I50.22"], 2)
    assert (result.value, result.band, result.missing) == (None, "", ("hospital stay",))
    assert [p.component for p in result.basis] == ["C", "E"]
    assert result.at_least == 4
    assert not result.complete
    assert result.summary == (
        "LACE index not complete: at least 4 from the inputs available; missing hospital stay."
    )


def test_lace_without_ed_visits_is_not_scored() -> None:
    result = lace(stay(3, "emergency"), [], None)
    assert (result.value, result.missing) == (None, ("ED visits in the 6 months before admission",))
    assert result.at_least == 6


def test_lace_before_discharge_has_no_length_of_stay() -> None:
    result = lace(stay(None, "emergency"), [], 0)
    assert (result.value, result.missing) == (None, ("discharge date (length of stay)",))
    assert [p.component for p in result.basis] == ["A", "C", "E"]


def test_lace_with_an_unknown_admission_type_is_not_scored() -> None:
    result = lace(stay(3, ""), [], 0)
    assert (result.value, result.missing) == (None, ("admission type",))


def test_lace_refuses_negative_ed_visits() -> None:
    with pytest.raises(ValueError, match="ED visits"):
        lace(stay(), [], -1)


# --- the stay ---------------------------------------------------------------------------------------------------


def test_stay_admission_types_are_the_patient_choices() -> None:
    assert frozenset({*AdmissionType.values, ""}) == risk.ADMISSION_TYPES


def test_stay_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="before admission"):
        Stay(admitted=DAY, discharged=DAY - datetime.timedelta(days=1), admission_type="elective")
    with pytest.raises(ValueError, match="admission type"):
        Stay(admitted=DAY, discharged=DAY, admission_type="walk-in")
