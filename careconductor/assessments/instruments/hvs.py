"""Hunger Vital Sign (clinical.md §3.3; Hager et al., Pediatrics 2010): 2 statements about the past 12 months,
each often true, sometimes true, never true, or don't know/refused. "Often true" or "sometimes true" to either
or both is at risk of food insecurity (LOINC 88124-3, LA19952-3 at risk / LA19983-8 no risk).

Missing answers: an "often" or "sometimes true" answer is at risk whatever the other item says, even when it is
unanswered. "Don't know/refused" on both gives no result. Otherwise both items must be answered before a
household is called not at risk; "never true" on one and "don't know/refused" on the other is no risk, as the
positive rule cannot be met."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import LOINC, Answers, Finding, Result, Score

PANEL = (LOINC, "88121-9")
RISK = (LOINC, "88124-3")
ITEMS = ("hvs-1", "hvs-2")
OFTEN, SOMETIMES, NEVER, DONT_KNOW = "LA28397-0", "LA6729-3", "LA28398-8", "LA15775-2"
AT_RISK_ANSWERS = frozenset({OFTEN, SOMETIMES})
AT_RISK = {"system": LOINC, "code": "LA19952-3", "display": "At risk"}
NO_RISK = {"system": LOINC, "code": "LA19983-8", "display": "No risk"}


def score(answers: Answers) -> Result:
    codes = {i: answers.code(i) for i in ITEMS}
    missing = answers.missing(ITEMS)
    if any(code in AT_RISK_ANSWERS for code in codes.values()):
        summary = (
            "At risk of food insecurity: the household worried food would run out, or food ran out, in the "
            "past 12 months. Offer help with food resources."
        )
        if missing:
            summary += " (One statement was not answered; the other is enough to show risk.)"
        return _result(at_risk=True, summary=summary)
    if missing:
        return Result.incomplete(missing)
    if all(code == DONT_KNOW for code in codes.values()):
        return Result(
            complete=False,
            summary="No result: the answer to both statements was don't know or refused, so food insecurity "
            "risk cannot be judged. Ask again another time.",
        )
    summary = (
        "No food insecurity risk found: neither statement was often or sometimes true in the past 12 months."
    )
    if DONT_KNOW in codes.values():
        summary += " (The answer to one statement was don't know or refused.)"
    return _result(at_risk=False, summary=summary)


def _result(*, at_risk: bool, summary: str) -> Result:
    return Result(
        complete=True,
        scores=(Score(RISK, "Food insecurity risk [HVS]", 1 if at_risk else 0, 0, 1, positive=at_risk),),
        findings=(Finding(FindingDomain.FOOD_INSECURITY),) if at_risk else (),
        summary=summary,
        details={"risk": AT_RISK if at_risk else NO_RISK},
    )
