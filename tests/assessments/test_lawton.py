"""Lawton–Brody IADL against ../shared/reference/clinical.md §6.2: 8 domains, the highest level of function
chosen for each; levels score 1 or 0 per the reference's table; total 0–8. The historical men-only exclusion of
food preparation, housekeeping and laundry is not applied: all 8 are scored for everyone."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments import engine
from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.instruments import lawton

from .kit import instrument

# Points of each level, in order, from §6.2's table.
LEVEL_POINTS = {
    "lawton-telephone": [1, 1, 1, 0],  # A: 1–3 score 1, 4 does not use
    "lawton-shopping": [1, 0, 0, 0],  # B: only all shopping independently
    "lawton-food": [1, 0, 0, 0],  # C: only plans/prepares/serves independently
    "lawton-housekeeping": [1, 1, 1, 1, 0],  # D: any participation
    "lawton-laundry": [1, 1, 0],  # E: 1–2
    "lawton-transportation": [1, 1, 1, 0, 0],  # F: 1–3
    "lawton-medications": [1, 0, 0],  # G: only correct dose/time independently
    "lawton-finances": [1, 1, 0],  # H: 1–2
}
LABELS = {
    "lawton-telephone": "Using the telephone",
    "lawton-shopping": "Shopping",
    "lawton-food": "Food preparation",
    "lawton-housekeeping": "Housekeeping",
    "lawton-laundry": "Laundry",
    "lawton-transportation": "Mode of transportation",
    "lawton-medications": "Responsibility for own medications",
    "lawton-finances": "Ability to handle finances",
}


def levels(chosen: dict[str, int]) -> dict[str, list[engine.AnswerValue]]:
    """Answers by level number (1 = highest function); unlisted domains at level 1."""
    inst = instrument("lawton")
    return {
        link_id: [inst.questions[link_id].options[chosen.get(link_id, 1) - 1].code]
        for link_id in LEVEL_POINTS
    }


@pytest.mark.parametrize(
    ("link_id", "level", "points"),
    [(link_id, n, p) for link_id, points in LEVEL_POINTS.items() for n, p in enumerate(points, start=1)],
)
def test_each_level_scores_as_the_table_says(link_id: str, level: int, points: int) -> None:
    result = engine.score(instrument("lawton"), levels({link_id: level}))
    assert result.complete
    assert result.scores[0].value == 7 + points
    assert result.details["dependent"] == ([] if points else [LABELS[link_id]])


def test_all_domains_independent_is_8_with_no_finding() -> None:
    result = engine.score(instrument("lawton"), levels({}))
    (score,) = result.scores
    assert (score.code, score.value, score.minimum, score.maximum) == (lawton.TOTAL, 8, 0, 8)
    assert result.findings == ()
    assert result.details == {"dependent": []}


def test_all_domains_at_the_lowest_level_is_0_listing_all_8() -> None:
    lowest = {k: len(v) for k, v in LEVEL_POINTS.items()}
    result = engine.score(instrument("lawton"), levels(lowest))
    assert result.scores[0].value == 0
    assert result.details == {"dependent": list(LABELS.values())}
    assert [f.domain for f in result.findings] == [FindingDomain.IADL_DEPENDENCE]


def test_any_domain_at_0_is_an_iadl_finding() -> None:
    result = engine.score(instrument("lawton"), levels({"lawton-finances": 3}))
    assert result.scores[0].value == 7
    assert result.details == {"dependent": ["Ability to handle finances"]}
    assert [f.domain for f in result.findings] == [FindingDomain.IADL_DEPENDENCE]
    assert "Ability to handle finances" in result.summary


def test_no_sex_based_exclusions() -> None:
    dependent = {"lawton-food": 4, "lawton-housekeeping": 5, "lawton-laundry": 3}
    for sex in ("male", "female", ""):
        result = engine.score(instrument("lawton"), levels(dependent), sex=sex)
        assert (result.scores[0].value, result.scores[0].maximum) == (5, 8)
        assert result.details["dependent"] == ["Food preparation", "Housekeeping", "Laundry"]


def test_a_missing_domain_means_no_score() -> None:
    answers = levels({})
    del answers["lawton-laundry"]
    result = engine.score(instrument("lawton"), answers)
    assert not result.complete
    assert result.missing == ("lawton-laundry",)
    assert result.scores == ()


def test_json_is_valid_fhir_r4b_with_the_gsa_copyright() -> None:
    resource = json.loads((SHIPPED_DIR / "lawton.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/lawton-iadl"
    assert "Gerontological Society of America" in resource["copyright"]
    inst = instrument("lawton")
    assert inst.panel == lawton.PANEL
    assert {k: [o.ordinal for o in i.options] for k, i in inst.questions.items()} == LEVEL_POINTS
    assert {k: i.text for k, i in inst.questions.items()} == LABELS
