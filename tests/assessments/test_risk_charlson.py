"""The original Charlson index against clinical.md §4.3: the Quan 2005 ICD-10 mapping, the hierarchy and the
optional age points. Helpers and the other scores: test_risk.py."""

from __future__ import annotations

import pytest

from careconductor.assessments import risk
from careconductor.assessments.risk import (
    charlson,
    charlson_categories,
)

from .test_risk import CATEGORY_OF, ONE_CODE_PER_CATEGORY

# --- Quan 2005 ICD-10 mapping (§4.3) ---------------------------------------------------------------------------


# One row per prefix edge: codes just inside each list and neighbours just outside it.
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
