"""Katz Index of Independence in ADL (clinical.md §6.1): 6 items (bathing, dressing, toileting, transferring,
continence, feeding), each 1 independent (no human help) or 0 dependent; total 0–6, 6 fully independent.

Published bands differ by source, so the raw total and the dependent items are what is kept; the bands are
configuration. DEFAULT_BANDS are the online calculator's cited in §6.1 (onlinemedicaltools.com/tools/katz-adl):
6 full function, 4–5 moderate impairment, 0–3 severe impairment. The often-quoted Hartford wording ("6 full,
4 moderate, 2 or less severe") is unverified and not used. To use other bands, call `score(answers,
bands=...)` or set `BANDS` at start-up. No published rule scores a Katz index with an item missing, so a missing
item means no score. The 3-level VA variant (6–18) is a different instrument and is not handled here."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import OWN_CODES, Answers, Finding, Result, Score, band_for

PANEL = (OWN_CODES, "katz-adl")
TOTAL = (OWN_CODES, "katz-adl-total")
ITEMS = (
    "katz-bathing",
    "katz-dressing",
    "katz-toileting",
    "katz-transferring",
    "katz-continence",
    "katz-feeding",
)
Bands = tuple[tuple[int, str], ...]
DEFAULT_BANDS: Bands = ((0, "severe impairment"), (4, "moderate impairment"), (6, "full function"))
BANDS: Bands = DEFAULT_BANDS  # the bands in use; a deployment may replace them


def score(answers: Answers, *, bands: Bands | None = None) -> Result:
    bands = bands or BANDS
    missing = answers.missing(ITEMS)
    if missing:
        return Result.incomplete(missing)
    total = sum(answers.ordinal(i) or 0 for i in ITEMS)
    questions = answers.instrument.questions
    dependent = [questions[i].text for i in ITEMS if answers.ordinal(i) == 0]
    band = band_for(total, bands)
    if dependent:
        summary = f"Katz ADL {total} of 6 ({band}). Needs another person's help with: {', '.join(dependent)}."
    else:
        summary = "Katz ADL 6 of 6 (full function): independent in all six basic activities of daily living."
    return Result(
        complete=True,
        scores=(Score(TOTAL, "Katz ADL total score", total, 0, 6, band=band, bands=bands),),
        findings=(Finding(FindingDomain.ADL_DEPENDENCE),) if dependent else (),
        summary=summary,
        details={"dependent": dependent},
    )
