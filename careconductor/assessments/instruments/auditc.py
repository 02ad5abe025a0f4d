"""AUDIT-C (clinical.md §6.3): 3 items (how often, how many on a typical day, how often 6 or more), each
0–4, total 0–12. Positive: 4 or more for men, 3 or more for women (Bush 1998; Bradley 2003). The threshold
follows the patient's administrative sex; for other, unknown or unrecorded sex the women's (lower, more
sensitive) threshold is used and the summary says so. The UK unit-based versions (positive at 5 or more)
are a different instrument. No published rule in the reference scores an AUDIT-C with missing items, so a
missing item means no score."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import LOINC, Answers, Finding, Result, Score

PANEL = (LOINC, "72109-2")
TOTAL = (LOINC, "75626-2")
ITEMS = ("auditc-1", "auditc-2", "auditc-3")
MEN = 4
WOMEN = 3


def threshold(sex: str) -> int:
    return MEN if sex == "male" else WOMEN


def score(answers: Answers) -> Result:
    missing = answers.missing(ITEMS)
    if missing:
        return Result.incomplete(missing)
    total = sum(answers.ordinal(i) or 0 for i in ITEMS)
    cut = threshold(answers.sex)
    positive = total >= cut
    if answers.sex == "male":
        rule = "4 or more is positive for men"
    elif answers.sex == "female":
        rule = "3 or more is positive for women"
    else:
        rule = (
            "sex is not recorded as male or female, so the women's lower threshold was used: "
            "3 or more is positive"
        )
    if positive:
        summary = (
            f"Positive alcohol screen (AUDIT-C {total} of 12; {rule}): drinking may be above recommended "
            "limits or an alcohol use disorder may be present. Offer a brief intervention and further assessment."
        )
    else:
        summary = f"Negative alcohol screen (AUDIT-C {total} of 12; {rule})."
    return Result(
        complete=True,
        scores=(Score(TOTAL, "AUDIT-C total score", total, 0, 12, positive=positive),),
        findings=(Finding(FindingDomain.ALCOHOL_MISUSE),) if positive else (),
        summary=summary,
        details={"threshold": cut, "sex": answers.sex},
    )
