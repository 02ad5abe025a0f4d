"""PHQ-2 (clinical.md §1): PHQ-9 items 1 and 2, each 0–3, total 0–6. A total of 3 or more is a positive
screen: give the full PHQ-9. The PHQ-2 has no self-harm item, so a negative screen says nothing about
self-harm risk. No published rule scores a PHQ-2 with a missing item, so a missing item means no score."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import LOINC, Answers, Finding, Result, Score

PANEL = (LOINC, "55757-9")
TOTAL = (LOINC, "55758-7")
ITEMS = ("phq2-1", "phq2-2")
POSITIVE = 3


def score(answers: Answers) -> Result:
    missing = answers.missing(ITEMS)
    if missing:
        return Result.incomplete(missing)
    total = sum(answers.ordinal(i) or 0 for i in ITEMS)
    positive = total >= POSITIVE
    if positive:
        summary = (
            f"Positive depression screen (PHQ-2 {total} of 6; 3 or more is positive): give the full PHQ-9 "
            "to measure severity and ask about self-harm."
        )
    else:
        summary = (
            f"Negative depression screen (PHQ-2 {total} of 6; under 3). The PHQ-2 does not ask about self-harm, "
            "so this result says nothing about self-harm risk."
        )
    return Result(
        complete=True,
        scores=(Score(TOTAL, "PHQ-2 total score", total, 0, 6, positive=positive),),
        findings=(Finding(FindingDomain.DEPRESSION),) if positive else (),
        summary=summary,
    )
