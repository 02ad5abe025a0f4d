"""PHQ-9 (clinical.md §1): 9 items 0–3, total 0–27, bands at 5/10/15/20. Item 9 above 0 is a safety signal
whatever the total. No published rule scores a PHQ-9 with missing items, so a missing item means no score."""

from __future__ import annotations

from ..choices import FindingDomain, Signal
from ..engine import LOINC, Answers, Finding, Result, Score, band_for

PANEL = (LOINC, "44249-1")
TOTAL = (LOINC, "44261-6")
ITEMS = tuple(f"phq9-{n}" for n in range(1, 10))
BANDS = ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately severe"), (20, "severe"))
MEANING = {
    "minimal": "Minimal or no depression symptoms.",
    "mild": "Mild depression symptoms: watch and re-check.",
    "moderate": "Moderate depression symptoms: clinically significant (10 or more); plan treatment.",
    "moderately severe": "Moderately severe depression symptoms: active treatment is warranted.",
    "severe": "Severe depression symptoms: prompt treatment and a physician's review.",
}
SIGNIFICANT = 10
SEVERE = 20


def score(answers: Answers) -> Result:
    missing = answers.missing(ITEMS)
    signals: set[str] = set()
    findings: list[Finding] = []
    # The item-9 rule does not wait for the total: an answered item 9 above 0 is acted on even when
    # other items are missing.
    item9 = answers.ordinal("phq9-9")
    if item9:
        signals.add(Signal.SELF_HARM_THOUGHTS)
        findings.append(Finding(FindingDomain.SELF_HARM_RISK))
    if missing:
        partial = Result.incomplete(missing)
        return Result(
            complete=False,
            missing=missing,
            findings=tuple(findings),
            signals=frozenset(signals),
            summary=partial.summary,
        )
    total = sum(answers.ordinal(i) or 0 for i in ITEMS)
    band = band_for(total, BANDS)
    if total >= SIGNIFICANT:
        findings.insert(0, Finding(FindingDomain.DEPRESSION))
    if total >= SEVERE:
        signals.add(Signal.SEVERE_DEPRESSION)
    summary = MEANING[band]
    if item9:
        summary += " Thoughts of death or self-harm were reported: a clinician must follow up today."
    return Result(
        complete=True,
        scores=(Score(TOTAL, "PHQ-9 total score", total, 0, 27, band=band, bands=BANDS),),
        findings=tuple(findings),
        signals=frozenset(signals),
        summary=summary,
    )
