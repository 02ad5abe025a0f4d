"""GAD-7 (clinical.md §2): 7 items 0–3, total 0–21, bands minimal 0–4, mild 5–9, moderate 10–14,
severe 15–21 (cut-points 5/10/15). 10 or more is probable generalized anxiety disorder. No published rule
scores a GAD-7 with missing items, so a missing item means no score."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import LOINC, Answers, Finding, Result, Score, band_for

PANEL = (LOINC, "69737-5")
TOTAL = (LOINC, "70274-6")
ITEMS = tuple(f"gad7-{n}" for n in range(1, 8))
BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))
MEANING = {
    "minimal": "Minimal or no anxiety symptoms.",
    "mild": "Mild anxiety symptoms: watch and re-check.",
    "moderate": "Moderate anxiety symptoms: probable generalized anxiety disorder (10 or more); "
    "a clinician should assess and plan treatment.",
    "severe": "Severe anxiety symptoms: probable generalized anxiety disorder (10 or more); "
    "prompt assessment and treatment are warranted.",
}
PROBABLE = 10


def score(answers: Answers) -> Result:
    missing = answers.missing(ITEMS)
    if missing:
        return Result.incomplete(missing)
    total = sum(answers.ordinal(i) or 0 for i in ITEMS)
    band = band_for(total, BANDS)
    return Result(
        complete=True,
        scores=(Score(TOTAL, "GAD-7 total score", total, 0, 21, band=band, bands=BANDS),),
        findings=(Finding(FindingDomain.ANXIETY),) if total >= PROBABLE else (),
        summary=MEANING[band],
    )
