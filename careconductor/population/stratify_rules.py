"""Risk stratification's rules (issue 22): a member's facts, as the batch engine finds them (stratify.py), and the
tier they put the member in with the reasons. Pure; tested as a table.

Tiers, highest first (the first that applies; its reasons are the facts that put the member there):
- 4, intensive: a readmission within 30 days of a discharge in the last 12 months; 2 or more admissions in 12
  months; a LACE index of 10 or more (clinical.md §4.1: high risk of readmission) or a HOSPITAL score of 7 or more
  (§4.4: high risk) at the last discharge.
- 3, high: 1 admission or 2 or more emergency visits in 12 months; a Charlson index of 5 or more (§4.3); or a
  HOSPITAL score of 5 or 6 at the last discharge (§4.4: intermediate risk).
- 2, rising: 3 or more chronic conditions; a Charlson index of 3 or 4; a chronic condition and no ambulatory
  or virtual visit in 12 months (no one is following it); or polypharmacy, 5 or more medications taken now (the
  usual threshold of the polypharmacy literature; clinical.md gives none); 2 or more open social needs (food,
  housing, transport, utilities, safety …: health concerns and ICD-10-CM Z55-Z65 codes, each need once); or a
  care gap, diabetes and no HbA1c result in 6 months (the issue's own example; HEDIS asks for one a year, a
  case manager for one each 3 to 6 months).
- 1, low: none of these in the data.
Records with a sensitivity label (42 CFR Part 2, psychotherapy) are not used: a tier or a reason must not say
what the policy would hide."""

from __future__ import annotations

from typing import NamedTuple

TIER_WORDS = {4: "Intensive", 3: "High", 2: "Rising", 1: "Low"}
LACE_HIGH = 10
CHARLSON_HIGH = 5
CHARLSON_RISING = 3
MANY_CHRONIC = 3
HOSPITAL_HIGH = 7
HOSPITAL_INTERMEDIATE = 5
POLYPHARMACY = 5
MANY_SOCIAL_NEEDS = 2
HBA1C_DAYS = 183  # 6 months


class MemberFacts(NamedTuple):
    """A member's facts (a tuple: a million are made per run, and a frozen dataclass cost seconds more)."""

    patient_id: int
    admissions_12m: int = 0
    ed_visits_12m: int = 0
    readmitted_30d: bool = False
    chronic_conditions: int = 0
    charlson: int = 0
    ambulatory_visits_12m: int = 0
    last_lace: int | None = None
    conditions: tuple[str, ...] = ()  # condition words (registry_rules.CONDITIONS), for the registries
    active_medications: int = 0
    last_hospital: int | None = None
    social_needs: int = 0
    days_since_hba1c: int | None = None  # None: no HbA1c result on record


def hba1c_gap(f: MemberFacts) -> bool:
    """Diabetes and no HbA1c result in the last 6 months (none at all included)."""
    return "diabetes" in f.conditions and (f.days_since_hba1c is None or f.days_since_hba1c > HBA1C_DAYS)


def tier_of(f: MemberFacts) -> tuple[int, tuple[str, ...]]:
    """The member's tier (4 highest) and the facts that put them there, in words."""
    intensive = [
        *(["Readmitted within 30 days of a discharge"] if f.readmitted_30d else []),
        *([f"{f.admissions_12m} hospital admissions in 12 months"] if f.admissions_12m >= 2 else []),
        *(
            [f"LACE {f.last_lace} at the last discharge"]
            if f.last_lace is not None and f.last_lace >= LACE_HIGH
            else []
        ),
        *(
            [f"HOSPITAL {f.last_hospital} at the last discharge"]
            if f.last_hospital is not None and f.last_hospital >= HOSPITAL_HIGH
            else []
        ),
    ]
    if intensive:
        return 4, tuple(intensive)
    high = [
        *(["1 hospital admission in 12 months"] if f.admissions_12m == 1 else []),
        *([f"{f.ed_visits_12m} emergency visits in 12 months"] if f.ed_visits_12m >= 2 else []),
        *([f"Charlson index {f.charlson}"] if f.charlson >= CHARLSON_HIGH else []),
        *(
            [f"HOSPITAL {f.last_hospital} at the last discharge"]
            if f.last_hospital is not None and HOSPITAL_INTERMEDIATE <= f.last_hospital < HOSPITAL_HIGH
            else []
        ),
    ]
    if high:
        return 3, tuple(high)
    rising = [
        *([f"{f.chronic_conditions} chronic conditions"] if f.chronic_conditions >= MANY_CHRONIC else []),
        *([f"Charlson index {f.charlson}"] if CHARLSON_RISING <= f.charlson < CHARLSON_HIGH else []),
        *(
            ["A chronic condition and no ambulatory visit in 12 months"]
            if f.chronic_conditions >= 1 and f.ambulatory_visits_12m == 0
            else []
        ),
        *([f"{f.active_medications} medications taken now"] if f.active_medications >= POLYPHARMACY else []),
        *([f"{f.social_needs} open social needs"] if f.social_needs >= MANY_SOCIAL_NEEDS else []),
        *(["Diabetes and no HbA1c result in 6 months"] if hba1c_gap(f) else []),
    ]
    if rising:
        return 2, tuple(rising)
    return 1, ()
