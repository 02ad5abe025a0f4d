"""Readmission and comorbidity risk scores, per ../shared/reference/clinical.md §4:

  - `lace()`      — LACE index (van Walraven 2010), §4.1, with the Charlson weights used inside LACE, §4.2;
  - `hospital()`  — HOSPITAL score (Donzé 2013), §4.4;
  - `charlson()`  — original Charlson Comorbidity Index (Charlson 1987), §4.3, optional age points (1994).

Diagnoses come in as ICD-10(-CM) codes as stored (e.g. "E11.9", "I50.22") and are sorted into Charlson
categories by the Quan 2005 ICD-10 coding algorithm (prefix match, case- and dot-insensitive).

Every function is pure: plain values in, a `RiskResult` out; no database, no I/O. A result always carries its
basis (which input gave which points) and the names of the inputs that were not available; a score with a
missing input has `value=None` but keeps the points of the inputs that exist, so a page can say "at least N".
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable
from dataclasses import dataclass

from .engine import band_for

# --- results ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One line of a score's basis: which input produced which points."""

    component: str  # "L", "A", "C", "E", "H", "O", "S", "P", "IT", "age" or a Charlson category name
    input: str  # plain words, e.g. "length of stay 5 days", "I50.22 congestive heart failure"
    points: int


@dataclass(frozen=True)
class RiskResult:
    model: str  # "lace" | "hospital" | "charlson"
    title: str  # e.g. "LACE index"
    value: int | None  # None when a required input is missing
    band: str  # LACE low/moderate/high, HOSPITAL low/intermediate/high, Charlson ""
    basis: tuple[Point, ...]
    missing: tuple[str, ...]  # plain-word names of the inputs that were not available
    minimum: int
    maximum: int
    summary: str  # plain words

    @property
    def complete(self) -> bool:
        return self.value is not None

    @property
    def at_least(self) -> int:
        """The points of the inputs that are known: the value when complete, a lower bound otherwise."""
        return sum(p.points for p in self.basis)


def _non_negative(name: str, value: int | None) -> None:
    if value is not None and value < 0:
        raise ValueError(f"{name} cannot be negative (got {value})")


# --- Quan 2005 ICD-10 coding algorithm for the Charlson categories -----------------------------------------------

MYOCARDIAL_INFARCTION = "myocardial infarction"
HEART_FAILURE = "congestive heart failure"
PERIPHERAL_VASCULAR = "peripheral vascular disease"
CEREBROVASCULAR = "cerebrovascular disease"
DEMENTIA = "dementia"
CHRONIC_PULMONARY = "chronic pulmonary disease"
RHEUMATIC = "rheumatic (connective tissue) disease"
PEPTIC_ULCER = "peptic ulcer disease"
MILD_LIVER = "mild liver disease"
DIABETES = "diabetes without chronic complication"
DIABETES_COMPLICATED = "diabetes with chronic complication"
HEMIPLEGIA = "hemiplegia or paraplegia"
RENAL = "renal disease"
MALIGNANCY = "any malignancy, including leukaemia and lymphoma"
SEVERE_LIVER = "moderate or severe liver disease"
METASTATIC = "metastatic solid tumour"
AIDS = "AIDS/HIV"


def _codes(words: str) -> tuple[str, ...]:
    """Prefixes without dots from a space-separated list; "I60-I69" stands for the three-character
    categories I60 … I69."""
    found: list[str] = []
    for word in words.split():
        first, _, last = word.partition("-")
        if last:
            found.extend(f"{first[0]}{n:02d}" for n in range(int(first[1:]), int(last[1:]) + 1))
        else:
            found.append(first)
    return tuple(found)


def _diabetes(fourth_characters: str) -> tuple[str, ...]:
    # Quan lists E10–E14 (WHO ICD-10). ICD-10-CM adds E08 (due to an underlying condition) and E09 (drug- or
    # chemical-induced) with the same meaning of the fourth character, so they are sorted the same way.
    # E14 does not exist in ICD-10-CM; it is kept for WHO-coded data.
    return tuple(f"E{n:02d}{c}" for n in (8, 9, 10, 11, 12, 13, 14) for c in fourth_characters)


# Category → ICD-10 prefixes without dots (Quan et al., Med Care 2005;43(11):1130-9, Table 2, ICD-10 column;
# checked against MIT-LCP/mimic-code mimic-iv/concepts/comorbidity/charlson.sql, which clinical.md §4 cites).
# Known gaps of this ICD-10 algorithm on ICD-10-CM data, left as published: C4A (Merkel cell), C7A/C7B
# (neuroendocrine), C86 (T/NK-cell lymphoma) and Z21 (asymptomatic HIV) are not mapped.
QUAN_ICD10: dict[str, tuple[str, ...]] = {
    MYOCARDIAL_INFARCTION: _codes("I21 I22 I252"),
    HEART_FAILURE: _codes("I099 I110 I130 I132 I255 I420 I425 I426 I427 I428 I429 I43 I50 P290"),
    PERIPHERAL_VASCULAR: _codes("I70 I71 I731 I738 I739 I771 I790 I792 K551 K558 K559 Z958 Z959"),
    CEREBROVASCULAR: _codes("G45 G46 H340 I60-I69"),
    DEMENTIA: _codes("F00 F01 F02 F03 F051 G30 G311"),
    CHRONIC_PULMONARY: _codes("I278 I279 J40-J47 J60-J67 J684 J701 J703"),
    RHEUMATIC: _codes("M05 M06 M315 M32 M33 M34 M351 M353 M360"),
    PEPTIC_ULCER: _codes("K25 K26 K27 K28"),
    MILD_LIVER: _codes(
        "B18 K700 K701 K702 K703 K709 K713 K714 K715 K717 K73 K74 K760 K762 K763 K764 K768 K769 Z944"
    ),
    DIABETES: _diabetes("01689"),
    DIABETES_COMPLICATED: _diabetes("23457"),
    HEMIPLEGIA: _codes("G041 G114 G801 G802 G81 G82 G830 G831 G832 G833 G834 G839"),
    RENAL: _codes(
        "I120 I131 N032 N033 N034 N035 N036 N037 N052 N053 N054 N055 N056 N057 N18 N19 N250 Z490 Z491 Z492 "
        "Z940 Z992"
    ),
    MALIGNANCY: _codes("C00-C26 C30-C34 C37-C41 C43 C45-C58 C60-C76 C81-C85 C88 C90-C97"),
    SEVERE_LIVER: _codes("I850 I859 I864 I982 K704 K711 K721 K729 K765 K766 K767"),
    METASTATIC: _codes("C77 C78 C79 C80"),
    AIDS: _codes("B20 B21 B22 B24"),
}

# (milder, graver): when both are present only the graver one counts (§4.3 hierarchy; §4.2 uses the same).
HIERARCHY: tuple[tuple[str, str], ...] = (
    (MILD_LIVER, SEVERE_LIVER),
    (DIABETES, DIABETES_COMPLICATED),
    (MALIGNANCY, METASTATIC),
)

# §4.3: original Charlson (1987) weights.
CHARLSON_WEIGHTS: dict[str, int] = {
    MYOCARDIAL_INFARCTION: 1,
    HEART_FAILURE: 1,
    PERIPHERAL_VASCULAR: 1,
    CEREBROVASCULAR: 1,
    DEMENTIA: 1,
    CHRONIC_PULMONARY: 1,
    RHEUMATIC: 1,
    PEPTIC_ULCER: 1,
    MILD_LIVER: 1,
    DIABETES: 1,
    HEMIPLEGIA: 2,
    RENAL: 2,
    DIABETES_COMPLICATED: 2,
    MALIGNANCY: 2,
    SEVERE_LIVER: 3,
    METASTATIC: 6,
    AIDS: 6,
}

# §4.2: the Charlson weights used inside LACE, the table's main list only. The reference marks as unverified
# whether the 2010 paper also counts peptic ulcer disease (1) and moderate–severe renal disease (2); those two
# rows appear only in the BMJ Open modified-LACE table, so they are left out here, as is hemiplegia, which
# neither list has. Such diagnoses show in the basis with 0 points.
LACE_WEIGHTS: dict[str, int] = {
    MYOCARDIAL_INFARCTION: 1,
    CEREBROVASCULAR: 1,
    PERIPHERAL_VASCULAR: 1,
    DIABETES: 1,
    HEART_FAILURE: 2,
    DIABETES_COMPLICATED: 2,
    CHRONIC_PULMONARY: 2,
    MILD_LIVER: 2,
    MALIGNANCY: 2,
    DEMENTIA: 3,
    RHEUMATIC: 3,
    SEVERE_LIVER: 4,
    AIDS: 4,
    METASTATIC: 6,
}


def _normal(code: str) -> str:
    return code.strip().replace(".", "").upper()


def charlson_categories(icd10_codes: Iterable[str]) -> dict[str, list[str]]:
    """Charlson category → the codes that put it there, by the Quan 2005 ICD-10 prefixes (§4.3).

    Codes are matched case- and dot-insensitively ("E11.9", "e119" and "E119" are the same) and reported as
    given (trimmed, each once, in input order). Categories come in the order of `QUAN_ICD10`; categories with
    no code are left out. No hierarchy is applied here: mild and severe liver disease may both appear.
    """
    found: dict[str, list[str]] = {}
    seen: set[str] = set()
    for raw in icd10_codes:
        code = raw.strip()
        key = _normal(code)
        if not key or key in seen:
            continue
        seen.add(key)
        for category, prefixes in QUAN_ICD10.items():
            if key.startswith(prefixes):
                found.setdefault(category, []).append(code)
    return {c: found[c] for c in QUAN_ICD10 if c in found}


def _weighed(
    categories: dict[str, list[str]], weights: dict[str, int], not_counted: str
) -> tuple[int, tuple[Point, ...]]:
    """Points per category with the hierarchy applied; categories outside `weights` get a 0-point line."""
    superseded = {mild: grave for mild, grave in HIERARCHY if mild in categories and grave in categories}
    basis: list[Point] = []
    for category, codes in categories.items():
        words = f"{', '.join(codes)} {category}"
        if category in superseded:
            basis.append(Point(category, f"{words} (not counted: {superseded[category]} counts instead)", 0))
        elif category not in weights:
            basis.append(Point(category, f"{words} ({not_counted})", 0))
        else:
            basis.append(Point(category, words, weights[category]))
    return sum(p.points for p in basis), tuple(basis)


def charlson_age_points(age: int) -> int:
    """§4.3 optional age points (combined age-comorbidity index, Charlson 1994): ≤50 0, 51–60 1, 61–70 2,
    71–80 3, >80 4."""
    _non_negative("age", age)
    if age <= 50:
        return 0
    if age <= 60:
        return 1
    if age <= 70:
        return 2
    if age <= 80:
        return 3
    return 4


CHARLSON_MAXIMUM = 29  # every category at its graver end of the hierarchy: 8×1 + 3 + 2 + 2 + 2 + 6 + 6


def charlson(icd10_codes: Iterable[str], *, age: int | None = None) -> RiskResult:
    """Original Charlson Comorbidity Index, §4.3: 1987 weights, categories by Quan 2005, and the hierarchy
    (only the graver of mild/moderate–severe liver disease, diabetes without/with chronic complication,
    malignancy/metastatic solid tumour counts). With `age`, the 1994 age points are added and shown as an
    "age" line in the basis; without it the index is comorbidity-only (age is optional, never "missing").
    The list of codes is taken as complete: no codes gives 0. Range 0–29, or 0–33 with age; no bands.
    """
    count, basis = _weighed(charlson_categories(icd10_codes), CHARLSON_WEIGHTS, "not a Charlson condition")
    conditions = sum(1 for p in basis if p.points)
    from_conditions = f"from {conditions} counted condition{'' if conditions == 1 else 's'}"
    title, maximum = "Charlson Comorbidity Index", CHARLSON_MAXIMUM
    summary = f"Charlson Comorbidity Index {count} {from_conditions}."
    if age is not None:
        age_points = charlson_age_points(age)
        basis = (
            *basis,
            Point("age", f"age {age} (the combined age-comorbidity index's age points)", age_points),
        )
        title, maximum = "Charlson Comorbidity Index (age-adjusted)", CHARLSON_MAXIMUM + 4
        summary = (
            f"Age-adjusted Charlson Comorbidity Index {count + age_points}: {count} {from_conditions} "
            f"and {age_points} for age {age}."
        )
    return RiskResult(
        model="charlson",
        title=title,
        value=sum(p.points for p in basis),
        band="",
        basis=basis,
        missing=(),
        minimum=0,
        maximum=maximum,
        summary=summary,
    )


def lace_comorbidity(icd10_codes: Iterable[str]) -> tuple[int, tuple[Point, ...]]:
    """The Charlson score with the weights used inside LACE (§4.2) and the same hierarchy as §4.3; returns
    (score, basis). This is the raw score; `lace_comorbidity_points` turns it into LACE's C points.

    Weights: previous MI, cerebrovascular disease, peripheral vascular disease, diabetes without complications
    1; congestive heart failure, diabetes with end-organ damage, chronic pulmonary disease, mild liver disease,
    any tumour incl. leukaemia/lymphoma 2; dementia, connective tissue disease 3; moderate/severe liver
    disease, HIV/AIDS 4; metastatic solid tumour 6.

    Unverified in the reference (§4.2, §11 item 2): whether the 2010 paper's table includes peptic ulcer
    disease (1) and moderate–severe renal disease (2). This uses the table's main list and leaves both out
    (they are the modified-LACE rows); hemiplegia is not in either list. Such diagnoses appear in the basis
    with 0 points and the words "not in LACE's Charlson weights".
    """
    return _weighed(charlson_categories(icd10_codes), LACE_WEIGHTS, "not in LACE's Charlson weights")


# --- the hospital stay --------------------------------------------------------------------------------------------

EMERGENCY, URGENT, ELECTIVE = "emergency", "urgent", "elective"  # patients.choices.AdmissionType values
ADMISSION_TYPES = frozenset({EMERGENCY, URGENT, ELECTIVE, ""})


@dataclass(frozen=True)
class Stay:
    """One hospital stay. `discharged` None: not discharged yet (length of stay unknown). `admission_type`
    is a patients.choices.AdmissionType value, or "" when unknown."""

    admitted: datetime.date
    discharged: datetime.date | None
    admission_type: str

    def __post_init__(self) -> None:
        if self.admission_type not in ADMISSION_TYPES:
            raise ValueError(f"unknown admission type {self.admission_type!r}")
        if self.discharged is not None and self.discharged < self.admitted:
            raise ValueError(f"discharge date {self.discharged} is before admission date {self.admitted}")

    @property
    def length_of_stay(self) -> int | None:
        """Days between the admission and discharge dates (discharge − admission): a same-day stay is 0,
        admitted Monday and discharged Tuesday is 1. Midnights, not calendar days touched: the Alberta
        convention of counting both the admission and discharge day would give one more (§4.1)."""
        return None if self.discharged is None else (self.discharged - self.admitted).days


def _days(n: int) -> str:
    return f"{n} day{'' if n == 1 else 's'}"


_ADMISSION_WORDS = {
    EMERGENCY: "emergency admission (via the emergency department)",
    URGENT: "urgent admission",
    ELECTIVE: "elective admission",
}


def _stay_missing(stay: Stay | None) -> list[str]:
    if stay is None:
        return ["hospital stay"]
    missing = []
    if stay.discharged is None:
        missing.append("discharge date (length of stay)")
    if not stay.admission_type:
        missing.append("admission type")
    return missing


def _incomplete_summary(name: str, at_least: int, missing: list[str]) -> str:
    return (
        f"{name} not complete: at least {at_least} from the inputs available; missing {', '.join(missing)}."
    )


def _banded(
    model: str,
    title: str,
    maximum: int,
    basis: list[Point],
    missing: list[str],
    bands: tuple[tuple[int, str], ...],
    says: str,
) -> RiskResult:
    """A banded score (0 to `maximum`): no value while inputs are missing, else the sum of the basis, its band and
    `says` filled with {band} and {value}."""
    at_least = sum(p.points for p in basis)
    if missing:
        summary = _incomplete_summary(title, at_least, missing)
        return RiskResult(model, title, None, "", tuple(basis), tuple(missing), 0, maximum, summary)
    band = band_for(at_least, bands)
    summary = says.format(band=band.capitalize(), value=at_least)
    return RiskResult(model, title, at_least, band, tuple(basis), (), 0, maximum, summary)


# --- LACE -------------------------------------------------------------------------------------------------------

LACE_BANDS = ((0, "low"), (5, "moderate"), (10, "high"))


def lace_length_points(days: int) -> int:
    """§4.1 L: <1 / 1 / 2 / 3 / 4–6 / 7–13 / ≥14 days → 0 / 1 / 2 / 3 / 4 / 5 / 7 (≥14 is 7, not the
    modified-LACE 6)."""
    _non_negative("length of stay", days)
    if days <= 3:
        return days
    if days <= 6:
        return 4
    if days <= 13:
        return 5
    return 7


def lace_comorbidity_points(score: int) -> int:
    """§4.1 C: Charlson (LACE weights) 0 / 1 / 2 / 3 / ≥4 → 0 / 1 / 2 / 3 / 5 (4 is 5, not 4)."""
    _non_negative("Charlson score", score)
    return score if score <= 3 else 5


def lace_ed_points(visits: int) -> int:
    """§4.1 E: ED visits in the 6 months before admission 0 / 1 / 2 / 3 / ≥4 → 0 / 1 / 2 / 3 / 4."""
    _non_negative("ED visits", visits)
    return min(visits, 4)


def lace(stay: Stay | None, icd10_codes: Iterable[str], ed_visits_6_months: int | None) -> RiskResult:
    """LACE index, §4.1: risk of death or unplanned readmission within 30 days of discharge; 0–19.

    L — length of stay in days between the admission and discharge dates (`Stay.length_of_stay`: discharge −
        admission, same day = 0 → "<1"); unknown until discharge.
    A — 3 when the admission type is "emergency" (admitted emergently via the ED); 0 for urgent or elective;
        an unknown ("") admission type is missing rather than 0.
    C — `lace_comorbidity` (§4.2 weights, hierarchy), then 0/1/2/3/≥4 → 0/1/2/3/5. The diagnosis list is taken
        as complete, so C is never missing.
    E — ED visits in the 6 months before admission, excluding the visit that led to it; ≥4 → 4.

    Bands (later literature): 0–4 low, 5–9 moderate, ≥10 high. A missing stay, discharge date, admission type
    or ED count gives value None; the basis keeps the points of what is known.
    """
    _non_negative("ED visits", ed_visits_6_months)
    basis: list[Point] = []
    missing = _stay_missing(stay)
    if stay is not None:
        days = stay.length_of_stay
        if days is not None:
            words = f"length of stay {_days(days)}" + (" (under 1 day)" if days == 0 else "")
            basis.append(Point("L", words, lace_length_points(days)))
        if stay.admission_type:
            points = 3 if stay.admission_type == EMERGENCY else 0
            basis.append(Point("A", _ADMISSION_WORDS[stay.admission_type], points))

    score, conditions = lace_comorbidity(icd10_codes)
    counted = [p.input for p in conditions if p.points]
    # Not called a Charlson score: the page shows the Charlson index beside it, and this differs by design.
    words = f"comorbidity score {score} with LACE's weights"
    words += f": {'; '.join(counted)}" if counted else ": no qualifying diagnoses"
    basis.append(Point("C", words, lace_comorbidity_points(score)))

    if ed_visits_6_months is None:
        missing.append("ED visits in the 6 months before admission")
    else:
        visits = ed_visits_6_months
        words = f"{visits} ED visit{'' if visits == 1 else 's'} in the 6 months before admission"
        basis.append(Point("E", words, lace_ed_points(visits)))

    return _banded(
        "lace", "LACE index", 19, basis, missing, LACE_BANDS,
        "{band} risk of readmission or death within 30 days (LACE {value}).",
    )  # fmt: skip


# --- HOSPITAL ---------------------------------------------------------------------------------------------------

HOSPITAL_BANDS = ((0, "low"), (5, "intermediate"), (7, "high"))


def hospital_admissions_points(admissions: int) -> int:
    """§4.4 A: admissions in the 12 months before the index admission 0–1 / 2–5 / >5 → 0 / 2 / 5."""
    _non_negative("admissions", admissions)
    if admissions <= 1:
        return 0
    if admissions <= 5:
        return 2
    return 5


def _lab(name: str, value: float | None) -> None:
    if value is not None and (math.isnan(value) or value < 0):
        raise ValueError(f"{name} must be a non-negative number (got {value})")


def hospital(
    stay: Stay | None,
    *,
    haemoglobin_g_dl: float | None,
    sodium_mmol_l: float | None,
    oncology_discharge: bool | None,
    procedure_during_stay: bool | None,
    admissions_12_months: int | None,
) -> RiskResult:
    """HOSPITAL score, §4.4: risk of potentially avoidable readmission within 30 days; 0–13.

    H haemoglobin < 12 g/dL at discharge 1 · O discharge from an oncology service 2 · S sodium < 135 mmol/L at
    discharge 1 · P any (ICD-coded) procedure during the stay 1 · IT index admission urgent or emergency
    (non-elective) 1 · A admissions in the 12 months before this one 0–1 / 2–5 / >5 → 0 / 2 / 5 · L length of
    stay ≥5 days 2 (days between the admission and discharge dates, as `Stay.length_of_stay`).

    Bands: 0–4 low, 5–6 intermediate, ≥7 high. Each input that is None (or a stay without discharge date or
    admission type) is named in `missing` and makes the value None; the basis still has the points of the
    inputs that exist.
    """
    _lab("haemoglobin", haemoglobin_g_dl)
    _lab("sodium", sodium_mmol_l)
    _non_negative("admissions", admissions_12_months)
    basis: list[Point] = []
    missing: list[str] = []

    if haemoglobin_g_dl is None:
        missing.append("haemoglobin at discharge")
    else:
        low = haemoglobin_g_dl < 12
        basis.append(Point("H", f"haemoglobin {haemoglobin_g_dl:g} g/dL at discharge", 1 if low else 0))

    if oncology_discharge is None:
        missing.append("discharging service (oncology or not)")
    else:
        words = "discharged from an oncology service" if oncology_discharge else "not an oncology discharge"
        basis.append(Point("O", words, 2 if oncology_discharge else 0))

    if sodium_mmol_l is None:
        missing.append("sodium at discharge")
    else:
        low = sodium_mmol_l < 135
        basis.append(Point("S", f"sodium {sodium_mmol_l:g} mmol/L at discharge", 1 if low else 0))

    if procedure_during_stay is None:
        missing.append("procedure during the stay")
    else:
        words = "procedure during the stay" if procedure_during_stay else "no procedure during the stay"
        basis.append(Point("P", words, 1 if procedure_during_stay else 0))

    missing_stay = _stay_missing(stay)
    if stay is not None and stay.admission_type:
        points = 0 if stay.admission_type == ELECTIVE else 1
        basis.append(Point("IT", _ADMISSION_WORDS[stay.admission_type], points))

    if admissions_12_months is None:
        missing.append("admissions in the previous 12 months")
    else:
        n = admissions_12_months
        words = f"{n} admission{'' if n == 1 else 's'} in the previous 12 months"
        basis.append(Point("A", words, hospital_admissions_points(n)))

    if stay is not None and (days := stay.length_of_stay) is not None:
        basis.append(Point("L", f"length of stay {_days(days)}", 2 if days >= 5 else 0))
    missing.extend(missing_stay)

    return _banded(
        "hospital", "HOSPITAL score", 13, basis, missing, HOSPITAL_BANDS,
        "{band} risk of a potentially avoidable readmission within 30 days (HOSPITAL {value}).",
    )  # fmt: skip
