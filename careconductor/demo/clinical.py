"""Pure draws for one demo patient: the problem list, and the course of their case (programme, acuity, status
and the days on which each step happened). No database; everything comes from the random generator given."""

from __future__ import annotations

import random
from dataclasses import dataclass

from careconductor.cases.choices import CaseStatus, Program

from . import data
from .data import Weighted

S = CaseStatus
FIRST_CONDITION = Weighted({"hypertension": 30, "diabetes": 25, "depression": 25, "copd": 20})
CODES = {
    "diabetes": Weighted(data.DIABETES_CODES),
    "heart_failure": Weighted(data.HEART_FAILURE_CODES),
    "copd": Weighted(data.COPD_CODES),
    "depression": Weighted(data.DEPRESSION_CODES),
    "ckd": Weighted(data.CKD_CODES),
}
STATUS = Weighted(
    {S.ACTIVE: 53, S.ON_HOLD: 5, S.SCREENING: 6, S.REFERRED: 7, S.CLOSED: 19, S.DECLINED: 5, S.INELIGIBLE: 5}
)
RECENT_TCM_STATUS = Weighted({S.ACTIVE: 80, S.SCREENING: 10, S.DECLINED: 10})
# Patients 0-2 are the showcase of `casemanager`: one in screening with consent recorded, one new referral,
# one just discharged and enrolled in transitional care.
SHOWCASE = 3


@dataclass(slots=True)
class History:
    """What the encounters say, for choosing the programme, the acuity and the dates of the case."""

    recent_discharge: int | None = None  # days ago
    older_discharge: int | None = None
    last_stay: tuple[str, str] = ("", "")  # facility, reason
    admissions_last_year: int = 0
    ed_visits_6_months: int = 0
    readmission: bool = False
    last_seen: int = 366  # days since the latest encounter


@dataclass(frozen=True, slots=True)
class Timeline:
    """Days ago of each step of a case; None where the case never got there."""

    referred: int
    screening: int | None = None
    enrolled: int | None = None
    on_hold: int | None = None
    ended: int | None = None


def conditions(rng: random.Random, age: int) -> list[tuple[str, str]]:
    """1-4 chronic conditions as (category, ICD-10-CM code), clustered as in practice: diabetes, hypertension
    and CKD travel together, heart failure follows hypertension."""
    r = rng.random
    htn = r() < 0.62
    dm = r() < (0.45 if htn else 0.25)
    ckd = r() < (0.35 if dm and htn else 0.12 if dm or htn else 0.03)
    hf = r() < (0.22 if htn else 0.07) * (1.0 if age >= 60 else 0.4)
    copd = r() < (0.18 if age >= 55 else 0.06)
    dep = r() < 0.2
    flags = (dm, hf, ckd, copd, dep, htn)
    names = ("diabetes", "heart_failure", "ckd", "copd", "depression", "hypertension")
    categories = [c for c, on in zip(names, flags, strict=True) if on][:4] or [FIRST_CONDITION(rng)]
    has_hf, has_ckd = "heart_failure" in categories, "ckd" in categories
    coded: list[tuple[str, str]] = []
    for c in categories:
        if c == "hypertension":  # ICD-10-CM presumes hypertension causes coexisting CKD and heart failure
            code = "I13.0" if has_hf and has_ckd else "I11.0" if has_hf else "I12.9" if has_ckd else "I10"
        elif c == "diabetes" and has_ckd:
            code = "E11.22"
        else:
            code = CODES[c](rng)
        coded.append((c, code))
    return coded


def program(rng: random.Random, index: int, categories: list[str], history: History) -> Program | None:
    """The programme the patient was referred to, or None when primary care alone follows them."""
    n = len(categories)
    if history.recent_discharge is not None:
        return Program.TCM
    if index >= SHOWCASE and (history.older_discharge or 0) >= 35 and rng.random() < 0.3:
        return Program.TCM  # transitional care after an earlier stay, long finished
    if "depression" in categories and (n == 1 or rng.random() < 0.55):
        return Program.BEHAVIOURAL
    if (
        n >= 3
        or "heart_failure" in categories
        or history.admissions_last_year
        or history.ed_visits_6_months >= 2
    ):
        return Program.COMPLEX if rng.random() < 0.55 else Program.CCM
    if n == 2:
        return Program.CCM if rng.random() < 0.8 else Program.COMPLEX
    if history.ed_visits_6_months or rng.random() < 0.5 or index < SHOWCASE:
        return Program.COMPLEX
    return None


def acuity_tier(rng: random.Random, program: Program, coded: list[tuple[str, str]], history: History) -> int:
    """Tier 1-4 from the burden of disease and of recent acute care (about 30/45/17/8%)."""
    categories = {c for c, _ in coded}
    codes = {code for _, code in coded}
    if program == Program.BEHAVIOURAL:
        score = 1 + ("F33.1" in codes) + 0.5 * len(coded) + (history.ed_visits_6_months > 0)
    else:
        score = (
            len(coded)
            + 1.5 * ("heart_failure" in categories)
            + ("N18.4" in codes)
            + 1.5 * (history.admissions_last_year > 0)
            + (history.ed_visits_6_months >= 2)
            + history.readmission
            + 1.5 * (history.recent_discharge is not None)
        )
    score += rng.gauss(0, 0.9)
    return 1 if score < 1.9 else 2 if score < 3.8 else 3 if score < 5.1 else 4


def course(rng: random.Random, index: int, program: Program, history: History) -> tuple[CaseStatus, Timeline]:
    """Where the case is now and the days on which it got there, in the order of cases.rules.TRANSITIONS."""
    r = rng.randint
    if index == 0:
        return S.SCREENING, Timeline(referred=6, screening=2)
    if index == 1:
        return S.REFERRED, Timeline(referred=1)
    if program == Program.TCM and (discharged := history.recent_discharge) is not None:
        if discharged <= 2:
            status = S.REFERRED if rng.random() < 0.55 else S.SCREENING
        else:
            status = S.ACTIVE if index == 2 else RECENT_TCM_STATUS(rng)
        screening = max(0, discharged - 1)  # referred by the discharge planner on the day of discharge
        return status, {
            S.REFERRED: Timeline(discharged),
            S.SCREENING: Timeline(discharged, screening),
            S.DECLINED: Timeline(discharged, screening, ended=max(0, screening - 1)),
            S.ACTIVE: Timeline(discharged, screening, enrolled=max(0, screening - r(0, 1))),
        }[status]
    if program == Program.TCM:  # long finished: 30 days of transitional care after that discharge
        discharged = history.older_discharge or 60
        if rng.random() < 0.15:
            return S.DECLINED, Timeline(discharged, discharged - 1, ended=discharged - 2)
        return S.CLOSED, Timeline(discharged, discharged - 1, enrolled=discharged - 2, ended=discharged - 30)
    status = STATUS(rng)
    if status == S.REFERRED:
        return status, Timeline(r(0, 10))
    if status == S.SCREENING:
        screening = r(0, 12)
        return status, Timeline(screening + r(1, 5), screening)
    if status in (S.DECLINED, S.INELIGIBLE):
        ended = r(5, 600)
        screened = ended + r(1, 7) if rng.random() < 0.5 else None
        return status, Timeline((screened or ended) + r(1, 7), screened, ended=ended)
    closed = r(1, 900) if status == S.CLOSED else None
    enrolled = closed + r(30, 420) if closed is not None else r(60 if status == S.ON_HOLD else 7, 700)
    on_hold = None
    if status == S.ON_HOLD:
        on_hold = r(5, 45)
    elif closed is not None and rng.random() < 0.1:
        on_hold = r(closed + 1, enrolled - 1)  # paused once before closing
    screening = enrolled + r(2, 10)
    return status, Timeline(screening + r(1, 5), screening, enrolled, on_hold, closed)
