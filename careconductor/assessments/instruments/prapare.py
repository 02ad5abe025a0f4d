"""PRAPARE (clinical.md §3.2): no PRAPARE Questionnaire is shipped — NACHC's item text may not be published
without its written permission — so a deployer loads their licensed file, whose `code` is the LOINC panel
93025-5. No official total score or positive cut-off is published, so the answers are kept without a total:
the result is complete once every item the loaded file marks required is answered, and has no Score."""

from __future__ import annotations

from ..engine import LOINC, Answers, Result

PANEL = (LOINC, "93025-5")


def score(answers: Answers) -> Result:
    missing = answers.missing(answers.instrument.required)
    if missing:
        return Result.incomplete(missing)
    return Result(
        complete=True,
        summary="Answers recorded. PRAPARE has no published total score, so none is given; the answers are kept.",
    )
