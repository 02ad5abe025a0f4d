"""The words on a demo case: why the patient was referred and how the case ended."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from careconductor.cases.choices import ClosureReason, Program

from . import data

if TYPE_CHECKING:
    from .clinical import History


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case the first letter unless the word is an abbreviation (COPD, ED)."""
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def referral_reason(
    rng: random.Random, program: str, conditions: list[tuple[str, str]], history: History
) -> str:
    categories = [c for c, _ in conditions]
    if program == Program.TCM:
        facility, reason = history.last_stay
        first = "Readmitted; discharged" if history.readmission else "Discharged"
        return (
            f"{first} from {facility} after {_lower_first(reason)}: interactive contact within 2 business days, "
            "medication reconciliation and a follow-up visit within 7 days"
        )
    if program == Program.BEHAVIOURAL:
        kind = "recurrent depression" if any(code == "F33.1" for _, code in conditions) else "depression"
        barrier = rng.choice(
            (
                "missed therapy appointments",
                "stopped the antidepressant",
                "isolated at home",
                "caregiver strain",
                "not sleeping and poor appetite",
            )
        )
        return f"PHQ-9 of {rng.randint(10, 22)} at a primary care visit; {kind}, {barrier}"
    names = [data.SHORT_NAMES[c] for c in categories]
    if program == Program.CCM:
        return f"{_upper_first(_join(names))}: monthly chronic care management and self-management support"
    parts: list[str] = []
    if "diabetes" in categories:
        parts.append(f"uncontrolled type 2 diabetes (A1c {rng.uniform(9.0, 12.5):.1f}%)")
    if "heart_failure" in categories:
        parts.append(
            rng.choice(
                ("heart failure with weight gain and missed diuretic doses", "heart failure, NYHA class III")
            )
        )
    if "copd" in categories and rng.random() < 0.6:
        parts.append("COPD with two steroid courses this winter")
    if n := history.admissions_last_year:
        parts.append(f"{n} admission{'s' if n > 1 else ''} in the last 12 months")
    if history.ed_visits_6_months >= 2:
        parts.append(f"{history.ed_visits_6_months} ED visits in 6 months")
    if not parts:
        parts.append(f"{_join(names)} with poor adherence")
    if rng.random() < 0.35:
        parts.append(
            rng.choice(
                (
                    "lives alone",
                    "no transport to appointments",
                    "food insecurity",
                    "cannot afford all medicines",
                    "caregiver burnout at home",
                )
            )
        )
    return _upper_first(", ".join(parts))


def closing_summary(
    rng: random.Random, reason: ClosureReason, program: str, categories: list[str], deceased: dt.date | None
) -> str:
    if reason == ClosureReason.GOALS_MET:
        if program == Program.TCM:
            return (
                "Transitional care complete: follow-up visit kept, medicines reconciled, no readmission in 30 "
                "days. Patient knows whom to call."
            )
        outcome = {
            "diabetes": f"A1c down from {rng.uniform(9, 11.5):.1f}% to {rng.uniform(6.8, 7.9):.1f}%",
            "heart_failure": "daily weights logged and no admissions for six months",
            "copd": "using the action plan; no ED visits since enrolment",
            "depression": f"PHQ-9 down to {rng.randint(2, 8)}, back to usual activities",
            "hypertension": f"blood pressure averaging {rng.randint(122, 134)}/{rng.randint(72, 84)}",
            "ckd": "labs stable and nephrology follow-up in place",
        }[rng.choice(categories)]
        return f"Goals met: {outcome}. Self-managing with primary care follow-up; no open referrals."
    if reason == ClosureReason.TRANSFERRED:
        if program == Program.TCM:
            where = "chronic care management"
        else:
            where = rng.choice(
                (
                    "the health plan's disease management programme",
                    "home-based primary care",
                    "a PACE programme",
                )
            )
        return f"Transferred to {where}; hand-off call held and the care plan summary sent."
    if reason == ClosureReason.DECEASED and deceased is not None:
        return f"Patient died on {deceased:%B %d, %Y}. Condolence call to the family; PCP informed."
    return {
        ClosureReason.UNABLE_TO_REACH: "Three phone attempts and a letter over 30 days without a reply. PCP "
        "informed; the patient may be referred again at any time.",
        ClosureReason.PATIENT_DECLINED: "Patient asked to stop case management and feels able to manage with the "
        "primary care team. Education materials left; PCP informed.",
        ClosureReason.MOVED: "Patient moved out of the service area; care plan summary sent to the new PCP with "
        "the patient's consent.",
    }.get(reason, "Closed; care plan summary shared with the receiving team and the PCP.")
