"""Complexity assessment grid (clinical.md §5, INTERMED / ICM-CAG structure): 4 domains × (2 historical, 2
current, 1 vulnerability) = 20 items, each 0 green, 1 yellow, 2 orange, 3 red; total 0–60.

A total above 20 (21 or more) is "complex", the INTERMED research threshold; no ICM-CAG-specific cut-off was
found, and in ICM the item colours drive the care plan, so every red item is also a barrier finding whatever
the total. All 20 items are needed: no published rule scores a grid with gaps, so a missing item means no score.
Only identifiers and short labels are shipped; a deployer's licensed version keeps the same linkIds and codes
and is scored here the same way."""

from __future__ import annotations

from ..choices import FindingDomain
from ..engine import OWN_CODES, Answers, Finding, Result, Score, band_for

PANEL = (OWN_CODES, "icm-complexity-grid")
TOTAL = (OWN_CODES, "icm-complexity-total")
COMPLEX_ABOVE = 20
BANDS = ((0, "not complex"), (COMPLEX_ABOVE + 1, "complex"))
COLOURS = ("green", "yellow", "orange", "red")  # by score 0–3
RED = 3
DOMAINS = {
    "bio": (
        "chronic-illness",
        "diagnostic-difficulty",
        "symptom-severity",
        "adherence-ability",
        "complications",
    ),
    "psy": (
        "coping-barriers",
        "mental-health-history",
        "treatment-resistance",
        "mental-health-symptoms",
        "mental-health-threat",
    ),
    "soc": (
        "job-leisure",
        "relationships",
        "residential-stability",
        "social-support",
        "social-vulnerability",
    ),
    "hs": ("access-to-care", "treatment-experience", "getting-services", "care-coordination", "impediments"),
}
FRAMES = ("hist", "hist", "curr", "curr", "vuln")  # 2 historical, 2 current, 1 vulnerability per domain
# The 20 stable linkIds, e.g. "bio-hist-chronic-illness"; a deployer's licensed version must keep them.
ITEMS = tuple(
    f"{domain}-{frame}-{name}"
    for domain, names in DOMAINS.items()
    for frame, name in zip(FRAMES, names, strict=True)
)


def score(answers: Answers) -> Result:
    instrument = answers.instrument
    missing = answers.missing(ITEMS)
    if missing:
        return Result.incomplete(missing)
    points = {i: answers.ordinal(i) or 0 for i in ITEMS}
    total = sum(points.values())
    complex_ = total > COMPLEX_ABOVE
    red = [instrument.questions[i].text for i in ITEMS if points[i] == RED]
    findings = [Finding(FindingDomain.COMPLEXITY)] if complex_ else []
    findings += [Finding(FindingDomain.COMPLEXITY_BARRIER, detail=label) for label in red]
    summary = (
        f"Complexity grid total {total} of 60: complex (above 20)."
        if complex_
        else f"Complexity grid total {total} of 60: not complex (20 or less)."
    )
    if red:
        summary += " Red (act now): " + ", ".join(red) + "."
    return Result(
        complete=True,
        scores=(
            Score(
                TOTAL,
                "Complexity grid total score",
                total,
                0,
                60,
                band=band_for(total, BANDS),
                positive=complex_,
                bands=BANDS,
            ),
        ),
        findings=tuple(findings),
        summary=summary,
        details={
            "colours": {i: COLOURS[p] for i, p in points.items()},
            "domains": {
                s.label(): sum(points.get(i.link_id, 0) for i in s.questions) for s in instrument.sections
            },
        },
    )
