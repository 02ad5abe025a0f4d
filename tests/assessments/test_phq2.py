"""PHQ-2 scoring against ../shared/reference/clinical.md §1: PHQ-9 items 1 and 2 (LOINC 44250-9, 44255-8),
each 0–3 on answer list LL358-3, total 0–6; 3 or more is a positive screen → give the full PHQ-9; panel
55757-9, total 55758-7; no self-harm item; no score with a missing item. Pfizer attribution kept; English
and Spanish text."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.instruments import phq2

from .kit import by_ordinals, instrument

LOINC = "http://loinc.org"


@pytest.mark.parametrize(
    ("item1", "item2", "positive"),
    [(0, 0, False), (1, 1, False), (2, 0, False), (0, 2, False), (2, 1, True), (0, 3, True), (3, 3, True)],
)
def test_three_or_more_is_a_positive_screen(item1: int, item2: int, positive: bool) -> None:
    result = by_ordinals(instrument("phq2"), {"phq2-1": item1, "phq2-2": item2})
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.positive) == ((LOINC, "55758-7"), item1 + item2, positive)
    assert (score.minimum, score.maximum) == (0, 6)
    assert (FindingDomain.DEPRESSION in {f.domain for f in result.findings}) is positive


def test_a_positive_screen_asks_for_the_full_phq9() -> None:
    assert "full PHQ-9" in by_ordinals(instrument("phq2"), {"phq2-1": 2, "phq2-2": 1}).summary


def test_a_negative_screen_says_nothing_about_self_harm() -> None:
    result = by_ordinals(instrument("phq2"), {"phq2-1": 1, "phq2-2": 1})
    assert result.findings == ()
    assert "self-harm" in result.summary


@pytest.mark.parametrize("answered", ["phq2-1", "phq2-2"])
def test_a_missing_item_means_no_score(answered: str) -> None:
    result = by_ordinals(instrument("phq2"), {answered: 3})
    assert not result.complete
    assert result.scores == ()
    assert result.findings == ()
    assert result.missing == tuple({"phq2-1", "phq2-2"} - {answered})


def test_codes_follow_the_reference() -> None:
    inst = instrument("phq2")
    assert inst.panel == phq2.PANEL == (LOINC, "55757-9")
    assert [i.code for i in inst.questions.values()] == [(LOINC, "44250-9"), (LOINC, "44255-8")]
    for item in inst.questions.values():
        assert [(o.system, o.code, o.ordinal) for o in item.options] == [
            (LOINC, "LA6568-5", 0),
            (LOINC, "LA6569-3", 1),
            (LOINC, "LA6570-1", 2),
            (LOINC, "LA6571-9", 3),
        ]


def test_the_questionnaire_is_valid_r4b_with_the_pfizer_attribution() -> None:
    resource = json.loads((SHIPPED_DIR / "phq2.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["id"] == "phq-2"
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/phq-2"
    assert "Pfizer" in resource["copyright"]
