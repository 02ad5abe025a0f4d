"""Risk scores against ../shared/reference/clinical.md §4: LACE §4.1 (L <1/1/2/3/4–6/7–13/≥14 days →
0/1/2/3/4/5/7; A emergency 3; C 0/1/2/3/≥4 → 0/1/2/3/5; E 0–3/≥4 → 0–3/4; total 0–19; bands 0–4 low,
5–9 moderate, ≥10 high), the Charlson weights inside LACE §4.2, the original Charlson index with the Quan 2005
ICD-10 mapping, hierarchy and optional age points §4.3, and HOSPITAL §4.4 (total 0–13; bands 0–4 low,
5–6 intermediate, ≥7 high)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careconductor.assessments import risk
from careconductor.assessments.risk import (
    Stay,
    charlson,
    charlson_categories,
    hospital,
    lace,
    lace_comorbidity,
)
from careconductor.patients.choices import AdmissionType

DAY = datetime.date(2025, 3, 3)


def stay(days: int | None = 3, admission_type: str = "elective") -> Stay:
    discharged = None if days is None else DAY + datetime.timedelta(days=days)
    return Stay(admitted=DAY, discharged=discharged, admission_type=admission_type)


def points(result: risk.RiskResult, component: str) -> int:
    (found,) = [p.points for p in result.basis if p.component == component]
    return found


# --- Quan 2005 ICD-10 mapping (§4.3) ---------------------------------------------------------------------------

# One row per prefix edge: codes just inside each list and neighbours just outside it.
CATEGORY_OF = [
    ("I21.4", risk.MYOCARDIAL_INFARCTION),
    ("I22.0", risk.MYOCARDIAL_INFARCTION),
    ("I25.2", risk.MYOCARDIAL_INFARCTION),
    ("I25.10", None),
    ("I09.9", risk.HEART_FAILURE),
    ("I11.0", risk.HEART_FAILURE),
    ("I13.0", risk.HEART_FAILURE),
    ("I13.2", risk.HEART_FAILURE),
    ("I25.5", risk.HEART_FAILURE),
    ("I42.0", risk.HEART_FAILURE),
    ("I42.1", None),
    ("I42.5", risk.HEART_FAILURE),
    ("I42.9", risk.HEART_FAILURE),
    ("I43", risk.HEART_FAILURE),
    ("I50.22", risk.HEART_FAILURE),
    ("P29.0", risk.HEART_FAILURE),
    ("I11.9", None),
    ("I70.0", risk.PERIPHERAL_VASCULAR),
    ("I71.4", risk.PERIPHERAL_VASCULAR),
    ("I73.1", risk.PERIPHERAL_VASCULAR),
    ("I73.89", risk.PERIPHERAL_VASCULAR),
    ("I73.9", risk.PERIPHERAL_VASCULAR),
    ("I73.00", None),
    ("I77.1", risk.PERIPHERAL_VASCULAR),
    ("I79.0", risk.PERIPHERAL_VASCULAR),
    ("K55.1", risk.PERIPHERAL_VASCULAR),
    ("K55.9", risk.PERIPHERAL_VASCULAR),
    ("K55.0", None),
    ("Z95.828", risk.PERIPHERAL_VASCULAR),
    ("Z95.9", risk.PERIPHERAL_VASCULAR),
    ("Z95.1", None),
    ("G45.9", risk.CEREBROVASCULAR),
    ("G46.3", risk.CEREBROVASCULAR),
    ("H34.01", risk.CEREBROVASCULAR),
    ("H34.1", None),
    ("I60.9", risk.CEREBROVASCULAR),
    ("I63.9", risk.CEREBROVASCULAR),
    ("I69.354", risk.CEREBROVASCULAR),
    ("F01.50", risk.DEMENTIA),
    ("F02.80", risk.DEMENTIA),
    ("F03.90", risk.DEMENTIA),
    ("G30.9", risk.DEMENTIA),
    ("G31.1", risk.DEMENTIA),
    ("G31.01", None),
    ("F05", None),
    ("I27.89", risk.CHRONIC_PULMONARY),
    ("I27.9", risk.CHRONIC_PULMONARY),
    ("I27.0", None),
    ("J40", risk.CHRONIC_PULMONARY),
    ("J44.9", risk.CHRONIC_PULMONARY),
    ("J47.9", risk.CHRONIC_PULMONARY),
    ("J39.9", None),
    ("J60", risk.CHRONIC_PULMONARY),
    ("J67.9", risk.CHRONIC_PULMONARY),
    ("J68.4", risk.CHRONIC_PULMONARY),
    ("J70.1", risk.CHRONIC_PULMONARY),
    ("J70.3", risk.CHRONIC_PULMONARY),
    ("J70.0", None),
    ("M05.79", risk.RHEUMATIC),
    ("M06.9", risk.RHEUMATIC),
    ("M31.5", risk.RHEUMATIC),
    ("M31.6", None),
    ("M32.9", risk.RHEUMATIC),
    ("M34.9", risk.RHEUMATIC),
    ("M35.1", risk.RHEUMATIC),
    ("M35.3", risk.RHEUMATIC),
    ("M35.00", None),
    ("M36.0", risk.RHEUMATIC),
    ("K25.9", risk.PEPTIC_ULCER),
    ("K28.9", risk.PEPTIC_ULCER),
    ("K29.70", None),
    ("B18.2", risk.MILD_LIVER),
    ("K70.0", risk.MILD_LIVER),
    ("K70.30", risk.MILD_LIVER),
    ("K70.9", risk.MILD_LIVER),
    ("K71.3", risk.MILD_LIVER),
    ("K71.7", risk.MILD_LIVER),
    ("K71.6", None),
    ("K73.9", risk.MILD_LIVER),
    ("K74.60", risk.MILD_LIVER),
    ("K76.0", risk.MILD_LIVER),
    ("K76.1", None),
    ("K76.2", risk.MILD_LIVER),
    ("K76.89", risk.MILD_LIVER),
    ("K76.9", risk.MILD_LIVER),
    ("Z94.4", risk.MILD_LIVER),
    ("E11.9", risk.DIABETES),
    ("E11.00", risk.DIABETES),
    ("E10.10", risk.DIABETES),
    ("E11.65", risk.DIABETES),
    ("E11.8", risk.DIABETES),
    ("E13.9", risk.DIABETES),
    ("E08.9", risk.DIABETES),
    ("E09.9", risk.DIABETES),
    ("E11.22", risk.DIABETES_COMPLICATED),
    ("E10.319", risk.DIABETES_COMPLICATED),
    ("E11.40", risk.DIABETES_COMPLICATED),
    ("E11.51", risk.DIABETES_COMPLICATED),
    ("E13.21", risk.DIABETES_COMPLICATED),
    ("E08.22", risk.DIABETES_COMPLICATED),
    ("E11.7", risk.DIABETES_COMPLICATED),  # WHO ICD-10 "multiple complications"; not in ICD-10-CM
    ("E14.9", risk.DIABETES),  # WHO ICD-10 unspecified diabetes; not in ICD-10-CM
    ("E16.2", None),
    ("G04.1", risk.HEMIPLEGIA),
    ("G11.4", risk.HEMIPLEGIA),
    ("G80.1", risk.HEMIPLEGIA),
    ("G80.2", risk.HEMIPLEGIA),
    ("G80.0", None),
    ("G81.90", risk.HEMIPLEGIA),
    ("G82.20", risk.HEMIPLEGIA),
    ("G83.0", risk.HEMIPLEGIA),
    ("G83.4", risk.HEMIPLEGIA),
    ("G83.5", None),
    ("G83.9", risk.HEMIPLEGIA),
    ("I12.0", risk.RENAL),
    ("I12.9", None),
    ("I13.10", risk.RENAL),
    ("N03.2", risk.RENAL),
    ("N03.7", risk.RENAL),
    ("N03.1", None),
    ("N05.2", risk.RENAL),
    ("N05.7", risk.RENAL),
    ("N05.8", None),
    ("N18.4", risk.RENAL),
    ("N18.6", risk.RENAL),
    ("N19", risk.RENAL),
    ("N25.0", risk.RENAL),
    ("N17.9", None),
    ("Z49.01", risk.RENAL),
    ("Z49.31", None),
    ("Z94.0", risk.RENAL),
    ("Z99.2", risk.RENAL),
    ("C00.0", risk.MALIGNANCY),
    ("C26.9", risk.MALIGNANCY),
    ("C30.0", risk.MALIGNANCY),
    ("C34.90", risk.MALIGNANCY),
    ("C37", risk.MALIGNANCY),
    ("C41.9", risk.MALIGNANCY),
    ("C43.9", risk.MALIGNANCY),
    ("C44.90", None),
    ("C45.0", risk.MALIGNANCY),
    ("C58", risk.MALIGNANCY),
    ("C60.9", risk.MALIGNANCY),
    ("C76.0", risk.MALIGNANCY),
    ("C81.90", risk.MALIGNANCY),
    ("C85.90", risk.MALIGNANCY),
    ("C86.0", None),
    ("C88.0", risk.MALIGNANCY),
    ("C90.00", risk.MALIGNANCY),
    ("C97", risk.MALIGNANCY),
    ("C4A.9", None),
    ("C7A.00", None),
    ("D03.9", None),
    ("C77.0", risk.METASTATIC),
    ("C78.00", risk.METASTATIC),
    ("C79.51", risk.METASTATIC),
    ("C80.1", risk.METASTATIC),
    ("I85.00", risk.SEVERE_LIVER),
    ("I85.9", risk.SEVERE_LIVER),
    ("I85.10", None),
    ("I86.4", risk.SEVERE_LIVER),
    ("I98.2", risk.SEVERE_LIVER),
    ("K70.40", risk.SEVERE_LIVER),
    ("K71.11", risk.SEVERE_LIVER),
    ("K72.10", risk.SEVERE_LIVER),
    ("K72.90", risk.SEVERE_LIVER),
    ("K72.00", None),
    ("K76.5", risk.SEVERE_LIVER),
    ("K76.7", risk.SEVERE_LIVER),
    ("B20", risk.AIDS),
    ("B21", risk.AIDS),
    ("B22", risk.AIDS),
    ("B24", risk.AIDS),
    ("B23", None),
    ("Z21", None),
    ("R69", None),
]


@pytest.mark.parametrize(("code", "category"), CATEGORY_OF)
def test_quan_2005_puts_each_code_in_its_category(code: str, category: str | None) -> None:
    expected = {} if category is None else {category: [code]}
    assert charlson_categories([code]) == expected


@pytest.mark.parametrize("spelling", ["E11.9", "E119", "e11.9", " E11.9 ", "e119"])
def test_codes_match_whatever_the_dots_case_or_spaces(spelling: str) -> None:
    assert charlson_categories([spelling]) == {risk.DIABETES: [spelling.strip()]}


def test_codes_are_reported_as_given_once_each_in_input_order() -> None:
    found = charlson_categories(["I50.9", "", "I50.22", "i509", "E11.9", "  "])
    assert found == {risk.HEART_FAILURE: ["I50.9", "I50.22"], risk.DIABETES: ["E11.9"]}


def test_categories_are_raw_the_hierarchy_is_not_applied_there() -> None:
    assert set(charlson_categories(["K70.30", "K72.10"])) == {risk.MILD_LIVER, risk.SEVERE_LIVER}


# --- original Charlson (§4.3) ----------------------------------------------------------------------------------

ONE_CODE_PER_CATEGORY = {
    risk.MYOCARDIAL_INFARCTION: "I21.4",
    risk.HEART_FAILURE: "I50.22",
    risk.PERIPHERAL_VASCULAR: "I70.0",
    risk.CEREBROVASCULAR: "I63.9",
    risk.DEMENTIA: "F03.90",
    risk.CHRONIC_PULMONARY: "J44.9",
    risk.RHEUMATIC: "M06.9",
    risk.PEPTIC_ULCER: "K25.9",
    risk.MILD_LIVER: "K70.30",
    risk.DIABETES: "E11.9",
    risk.DIABETES_COMPLICATED: "E11.22",
    risk.HEMIPLEGIA: "G81.90",
    risk.RENAL: "N18.4",
    risk.MALIGNANCY: "C34.90",
    risk.SEVERE_LIVER: "K72.10",
    risk.METASTATIC: "C78.00",
    risk.AIDS: "B20",
}


@pytest.mark.parametrize(
    ("category", "weight"),
    [
        (risk.MYOCARDIAL_INFARCTION, 1),
        (risk.HEART_FAILURE, 1),
        (risk.PERIPHERAL_VASCULAR, 1),
        (risk.CEREBROVASCULAR, 1),
        (risk.DEMENTIA, 1),
        (risk.CHRONIC_PULMONARY, 1),
        (risk.RHEUMATIC, 1),
        (risk.PEPTIC_ULCER, 1),
        (risk.MILD_LIVER, 1),
        (risk.DIABETES, 1),
        (risk.HEMIPLEGIA, 2),
        (risk.RENAL, 2),
        (risk.DIABETES_COMPLICATED, 2),
        (risk.MALIGNANCY, 2),
        (risk.SEVERE_LIVER, 3),
        (risk.METASTATIC, 6),
        (risk.AIDS, 6),
    ],
)
def test_charlson_1987_weights(category: str, weight: int) -> None:
    code = ONE_CODE_PER_CATEGORY[category]
    result = charlson([code])
    assert result.value == weight
    assert result.basis == (risk.Point(category, f"{code} {category}", weight),)


@pytest.mark.parametrize(
    ("codes", "value", "counted"),
    [
        (["K70.30", "K72.10"], 3, risk.SEVERE_LIVER),
        (["E11.9", "E11.22"], 2, risk.DIABETES_COMPLICATED),
        (["C34.90", "C78.00"], 6, risk.METASTATIC),
    ],
)
def test_charlson_hierarchy_counts_only_the_graver(codes: list[str], value: int, counted: str) -> None:
    result = charlson(codes)
    assert result.value == value
    assert [p.component for p in result.basis if p.points] == [counted]
    (superseded,) = [p for p in result.basis if not p.points]
    assert superseded.input.endswith(f"(not counted: {counted} counts instead)")


def test_charlson_of_nothing_is_zero_and_never_missing() -> None:
    result = charlson([])
    assert (result.value, result.band, result.missing, result.basis) == (0, "", (), ())
    assert (result.minimum, result.maximum) == (0, 29)
    assert result.summary == "Charlson Comorbidity Index 0 from 0 counted conditions."


def test_charlson_maximum_is_every_category_at_its_graver_end() -> None:
    result = charlson(ONE_CODE_PER_CATEGORY.values())
    assert result.value == result.maximum == 29
    assert charlson(ONE_CODE_PER_CATEGORY.values(), age=90).value == 33


@pytest.mark.parametrize(
    ("age", "age_points"),
    [(0, 0), (50, 0), (51, 1), (60, 1), (61, 2), (70, 2), (71, 3), (80, 3), (81, 4), (104, 4)],
)
def test_charlson_age_points_only_when_age_is_given(age: int, age_points: int) -> None:
    without = charlson(["I50.22", "E11.22"])
    assert without.value == 3
    assert all(p.component != "age" for p in without.basis)
    result = charlson(["I50.22", "E11.22"], age=age)
    assert result.value == 3 + age_points
    assert result.basis[-1] == risk.Point(
        "age", f"age {age} (the combined age-comorbidity index's age points)", age_points
    )
    assert result.title == "Charlson Comorbidity Index (age-adjusted)"
    assert result.maximum == 33
    assert result.summary == (
        f"Age-adjusted Charlson Comorbidity Index {3 + age_points}: 3 from 2 counted conditions "
        f"and {age_points} for age {age}."
    )


def test_charlson_refuses_a_negative_age() -> None:
    with pytest.raises(ValueError, match="age"):
        charlson([], age=-1)


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


# --- properties -------------------------------------------------------------------------------------------------

SAMPLE_CODES = [code for code, _ in CATEGORY_OF]
codes = st.lists(
    st.one_of(st.sampled_from(SAMPLE_CODES), st.text(alphabet="ABCEGIJKMNZ0123456789.", max_size=7)),
    max_size=12,
)
admission_types = st.sampled_from(["emergency", "urgent", "elective", ""])
stays = st.one_of(
    st.none(),
    st.builds(
        lambda days, kind: stay(days, kind),
        st.one_of(st.none(), st.integers(0, 400)),
        admission_types,
    ),
)
counts = st.one_of(st.none(), st.integers(0, 60))
labs = st.one_of(st.none(), st.floats(0, 250, allow_nan=False))
flags = st.one_of(st.none(), st.booleans())


@given(stay=stays, codes=codes, visits=counts)
@settings(max_examples=300)
def test_lace_is_always_inside_0_to_19(stay: Stay | None, codes: list[str], visits: int | None) -> None:
    result = lace(stay, codes, visits)
    assert 0 <= result.at_least <= 19
    assert (result.value is None) == bool(result.missing)
    if result.value is not None:
        assert 0 <= result.value <= 19
        assert result.value == sum(p.points for p in result.basis)
        assert result.band == ("low" if result.value <= 4 else "moderate" if result.value <= 9 else "high")


@given(stay=stays, hb=labs, na=labs, onc=flags, proc=flags, admissions=counts)
@settings(max_examples=300)
def test_hospital_is_always_inside_0_to_13(
    stay: Stay | None,
    hb: float | None,
    na: float | None,
    onc: bool | None,
    proc: bool | None,
    admissions: int | None,
) -> None:
    result = hospital(
        stay,
        haemoglobin_g_dl=hb,
        sodium_mmol_l=na,
        oncology_discharge=onc,
        procedure_during_stay=proc,
        admissions_12_months=admissions,
    )
    assert 0 <= result.at_least <= 13
    assert (result.value is None) == bool(result.missing)
    if result.value is not None:
        assert 0 <= result.value <= 13
        assert result.value == sum(p.points for p in result.basis)
        assert result.band == (
            "low" if result.value <= 4 else "intermediate" if result.value <= 6 else "high"
        )


@given(codes=codes, extra=st.sampled_from(SAMPLE_CODES), age=st.one_of(st.none(), st.integers(0, 110)))
@settings(max_examples=300)
def test_adding_a_condition_never_lowers_charlson(codes: list[str], extra: str, age: int | None) -> None:
    before, after = charlson(codes, age=age), charlson([*codes, extra], age=age)
    assert before.value is not None and after.value is not None
    assert after.value >= before.value
    assert lace_comorbidity([*codes, extra])[0] >= lace_comorbidity(codes)[0]


@given(codes=codes)
@settings(max_examples=300)
def test_hierarchy_never_counts_both_ends(codes: list[str]) -> None:
    for basis in (charlson(codes).basis, lace_comorbidity(codes)[1]):
        counted = {p.component for p in basis if p.points}
        for mild, grave in risk.HIERARCHY:
            assert not {mild, grave} <= counted
        present = {p.component for p in basis}
        for mild, grave in risk.HIERARCHY:
            if {mild, grave} <= present:
                assert grave in counted


@given(codes=codes)
@settings(max_examples=200)
def test_charlson_ignores_order_dots_and_case(codes: list[str]) -> None:
    plain = [c.replace(".", "").lower() for c in reversed(codes)]
    assert charlson(plain).value == charlson(codes).value
    assert lace_comorbidity(plain)[0] == lace_comorbidity(codes)[0]
    result = charlson(codes)
    assert 0 <= (result.value or 0) <= 29
    assert result.value == sum(p.points for p in result.basis)
