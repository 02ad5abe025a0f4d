"""Risk scores against ../shared/reference/clinical.md §4: LACE §4.1 (L <1/1/2/3/4–6/7–13/≥14 days →
0/1/2/3/4/5/7; A emergency 3; C 0/1/2/3/≥4 → 0/1/2/3/5; E 0–3/≥4 → 0–3/4; total 0–19; bands 0–4 low,
5–9 moderate, ≥10 high), the Charlson weights inside LACE §4.2, the original Charlson index with the Quan 2005
ICD-10 mapping, hierarchy and optional age points §4.3, and HOSPITAL §4.4 (total 0–13; bands 0–4 low,
5–6 intermediate, ≥7 high).

This module holds the helpers and the properties across the scores; the tables are in test_risk_charlson.py,
test_risk_lace.py and test_risk_hospital.py."""

from __future__ import annotations

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from careconductor.assessments import risk
from careconductor.assessments.risk import (
    Stay,
    charlson,
    hospital,
    lace,
    lace_comorbidity,
)

DAY = datetime.date(2025, 3, 3)


def stay(days: int | None = 3, admission_type: str = "elective") -> Stay:
    discharged = None if days is None else DAY + datetime.timedelta(days=days)
    return Stay(admitted=DAY, discharged=discharged, admission_type=admission_type)


def points(result: risk.RiskResult, component: str) -> int:
    (found,) = [p.points for p in result.basis if p.component == component]
    return found


# Quan 2005: codes and the category each falls in (None: in no category). Shared by the Charlson and LACE tables.
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
