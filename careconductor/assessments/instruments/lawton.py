"""Lawton–Brody IADL scale (clinical.md §6.2; copyright Gerontological Society of America): 8 domains, for
each the highest level at which the person functions; each level scores 1 or 0 as the reference's table says
(the ordinal values in lawton.json); total 0–8, higher is more independent.

No sex-based exclusions: the reference gives the original scoring (women 0–8, men 0–5 without food preparation,
housekeeping and laundry) as historical. It reflected 1960s expectations of who did household tasks, not what a
person needs help with, so all 8 domains are scored for everyone and `Answers.sex` is not used.

No published rule scores the scale with a domain missing, so a missing domain means no score."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import OWN_CODES, Answers, Finding, Result, Score

PANEL = (OWN_CODES, "lawton-iadl")
TOTAL = (OWN_CODES, "lawton-iadl-total")
ITEMS = (
    "lawton-telephone",
    "lawton-shopping",
    "lawton-food",
    "lawton-housekeeping",
    "lawton-laundry",
    "lawton-transportation",
    "lawton-medications",
    "lawton-finances",
)


def score(answers: Answers) -> Result:
    missing = answers.missing(ITEMS)
    if missing:
        return Result.incomplete(missing)
    total = sum(answers.ordinal(i) or 0 for i in ITEMS)
    questions = answers.instrument.questions
    dependent = [questions[i].text for i in ITEMS if answers.ordinal(i) == 0]
    if dependent:
        summary = f"Lawton IADL {total} of 8. Needs help with: {', '.join(dependent)}."
    else:
        summary = "Lawton IADL 8 of 8: independent in all eight instrumental activities of daily living."
    return Result(
        complete=True,
        scores=(Score(TOTAL, "Lawton IADL total score", total, 0, 8),),
        findings=(Finding(FindingDomain.IADL_DEPENDENCE),) if dependent else (),
        summary=summary,
        details={"dependent": dependent},
    )
