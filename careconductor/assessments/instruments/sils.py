"""Single Item Literacy Screener (clinical.md §6.4; Morris et al., BMC Fam Pract 2006;7:21): one question on
how often the patient needs help reading written material from the doctor or pharmacy, scored 1 never,
2 rarely, 3 sometimes, 4 often, 5 always. More than 2 (sometimes, often or always) is a positive screen:
possible limited reading ability. Unanswered means no result."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import OWN_CODES, Answers, Finding, Result, Score

PANEL = (OWN_CODES, "sils")
SCORE = (OWN_CODES, "sils-score")
ITEM = "sils-1"
POSITIVE_ABOVE = 2


def score(answers: Answers) -> Result:
    value = answers.ordinal(ITEM)
    if value is None:
        return Result.incomplete((ITEM,))
    positive = value > POSITIVE_ABOVE
    if positive:
        summary = (
            "Possible limited reading ability: the patient needs help reading health material sometimes or "
            "more often. Use plain language, go through written material together and check understanding "
            "with teach-back."
        )
    else:
        summary = "No sign of limited reading ability on this screen: the patient rarely or never needs help reading."
    return Result(
        complete=True,
        scores=(Score(SCORE, "Single Item Literacy Screener", value, 1, 5, positive=positive),),
        findings=(Finding(FindingDomain.LIMITED_LITERACY),) if positive else (),
        summary=summary,
    )
