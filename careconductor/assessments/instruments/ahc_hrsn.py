"""AHC HRSN screening tool, core questions (clinical.md §3.1): 10 questions in 5 domains, each positive or not
by CMS's rules.

- Housing instability, Q1 (ahc-1): "worried about losing it" or "no steady place" is positive.
- Housing quality, Q2 (ahc-2, choose all that apply): any problem other than "none of the above" is positive,
  also when "none of the above" was ticked with it.
- Food, Q3/Q4 (the Hunger Vital Sign items): "often true" or "sometimes true" on either is positive.
- Transportation, Q5: "yes" is positive. Utilities, Q6: "yes" or "already shut off" is positive.
- Interpersonal safety, Q7–Q10: each Never 1 … Frequently 5; the sum (LOINC 95614-4, 4–20) above 10 (11 or
  more) is positive, a safety signal for same-day follow-up.

Missing answers: a domain whose items are unanswered cannot be called negative, so the result is incomplete and
lists every unanswered linkId, without scores. It still carries what is already certain, on the principle of
PHQ-9 item 9 (phq9.py): each domain whose answered items meet its positive rule (food needs only one of its two
items), and the safety finding and signal when the safety screen is positive. With all four safety items
answered that is a sum above 10; with some unanswered, it is the answered sum plus 1 for each unanswered item
(the lowest answer, Never, scores 1) above 10 — those answers already exceed the cut-off whatever the rest say,
and a skipped question must not hide a positive screen. The safety total itself is only reported when all four
items are answered.
"""

from __future__ import annotations

from ..choices import FindingDomain, Signal
from ..engine import LOINC, OWN_CODES, Answers, Finding, Result, Score

PANEL = (LOINC, "96777-8")
SAFETY_TOTAL = (LOINC, "95614-4")

LIVING, PROBLEMS, FOOD_WORRY, FOOD_RAN_OUT, TRANSPORT, UTILITY = (f"ahc-{n}" for n in range(1, 7))
SAFETY_ITEMS = ("ahc-7", "ahc-8", "ahc-9", "ahc-10")
ITEMS = (LIVING, PROBLEMS, FOOD_WORRY, FOOD_RAN_OUT, TRANSPORT, UTILITY, *SAFETY_ITEMS)

UNSTABLE_HOUSING = frozenset({"LA31994-9", "LA31995-6"})  # worried about losing it; no steady place
NONE_OF_THE_ABOVE = "LA9-3"
FOOD_RISK = frozenset({"LA28397-0", "LA6729-3"})  # often true; sometimes true
YES = "LA33-6"
SHUT_OFF = "LA32002-0"
UTILITY_RISK = frozenset({YES, SHUT_OFF})
SAFETY_MIN_ITEM = 1
SAFETY_CUT_OFF = 10  # positive when the sum is above this

# (finding domain, own score code, display) in the tool's order; safety is reported by its LOINC total.
DOMAINS = (
    (FindingDomain.HOUSING_INSTABILITY, "ahc-hrsn-housing-instability", "Housing instability [AHC HRSN]"),
    (FindingDomain.HOUSING_QUALITY, "ahc-hrsn-housing-quality", "Housing quality problems [AHC HRSN]"),
    (FindingDomain.FOOD_INSECURITY, "ahc-hrsn-food-insecurity", "Food insecurity [AHC HRSN]"),
    (FindingDomain.TRANSPORTATION, "ahc-hrsn-transportation", "Transportation problems [AHC HRSN]"),
    (FindingDomain.UTILITIES, "ahc-hrsn-utilities", "Utility shut-off threat [AHC HRSN]"),
)
NAMES = {
    FindingDomain.HOUSING_INSTABILITY: "housing instability",
    FindingDomain.HOUSING_QUALITY: "problems with housing quality",
    FindingDomain.FOOD_INSECURITY: "food insecurity",
    FindingDomain.TRANSPORTATION: "transportation",
    FindingDomain.UTILITIES: "utilities",
    FindingDomain.INTERPERSONAL_SAFETY: "interpersonal safety",
}


def _single(answers: Answers, link_id: str, positive: frozenset[str]) -> bool | None:
    """Positive, negative, or None when unanswered."""
    code = answers.code(link_id)
    return None if code is None else code in positive


def _housing_quality(answers: Answers) -> bool | None:
    codes = answers.codes(PROBLEMS)
    if not codes:
        return None
    return bool(codes - {NONE_OF_THE_ABOVE})


def _food(answers: Answers) -> bool | None:
    codes = [answers.code(i) for i in (FOOD_WORRY, FOOD_RAN_OUT)]
    if any(c in FOOD_RISK for c in codes):
        return True
    if any(c is None for c in codes):
        return None
    return False


def _domains(answers: Answers) -> dict[FindingDomain, bool | None]:
    return {
        FindingDomain.HOUSING_INSTABILITY: _single(answers, LIVING, UNSTABLE_HOUSING),
        FindingDomain.HOUSING_QUALITY: _housing_quality(answers),
        FindingDomain.FOOD_INSECURITY: _food(answers),
        FindingDomain.TRANSPORTATION: _single(answers, TRANSPORT, frozenset({YES})),
        FindingDomain.UTILITIES: _single(answers, UTILITY, UTILITY_RISK),
    }


def _safety_positive(answers: Answers) -> bool:
    """Whether the safety sum is above the cut-off whatever any unanswered item would add (at least 1 each)."""
    answered = [o for i in SAFETY_ITEMS if (o := answers.ordinal(i)) is not None]
    unanswered = len(SAFETY_ITEMS) - len(answered)
    return sum(answered) + SAFETY_MIN_ITEM * unanswered > SAFETY_CUT_OFF


def score(answers: Answers) -> Result:
    domains = _domains(answers)
    safety_positive = _safety_positive(answers)
    positive = [d for d, found in domains.items() if found]
    if safety_positive:
        positive.append(FindingDomain.INTERPERSONAL_SAFETY)
    findings = tuple(Finding(d) for d in positive)
    signals = frozenset({Signal.INTERPERSONAL_SAFETY}) if safety_positive else frozenset()
    details = {"positive": [str(d) for d in positive]}
    safety_note = (
        " The interpersonal-safety screen is positive: follow the safety protocol and talk with the patient "
        "privately today."
        if safety_positive
        else ""
    )

    missing = answers.missing(ITEMS)
    if missing:
        summary = Result.incomplete(missing).summary
        if positive:
            summary += " Positive so far for " + _listed(positive) + "."
        return Result(
            complete=False,
            missing=missing,
            findings=findings,
            signals=signals,
            summary=summary + safety_note,
            details=details,
        )

    scores = [
        Score((OWN_CODES, code), display, 1 if domains[domain] else 0, 0, 1, positive=bool(domains[domain]))
        for domain, code, display in DOMAINS
    ]
    scores.append(
        Score(
            SAFETY_TOTAL,
            "Interpersonal safety total score [AHC HRSN]",
            sum(answers.ordinal(i) or 0 for i in SAFETY_ITEMS),
            4,
            20,
            positive=safety_positive,
        )
    )
    if positive:
        summary = "Positive for " + _listed(positive) + ": offer help or a referral for each need."
    else:
        summary = "No health-related social need found on the 10 core questions."
    return Result(
        complete=True,
        scores=tuple(scores),
        findings=findings,
        signals=signals,
        summary=summary + safety_note,
        details=details,
    )


def _listed(domains: list[FindingDomain]) -> str:
    names = [NAMES[d] for d in domains]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
