"""GAD-7 scoring against ../shared/reference/clinical.md §2: 7 items 0–3 (same frequency scale as the PHQ,
LL358-3), total 0–21; bands minimal 0–4, mild 5–9, moderate 10–14, severe 15–21 (cut-points 5/10/15);
10 or more is probable GAD; panel 69737-5, total 70274-6, item codes as listed in §2; no score with a
missing item. Pfizer attribution kept; English and Spanish text."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.instruments import gad7

from .kit import by_ordinals, instrument

LOINC = "http://loinc.org"
ITEMS = [f"gad7-{n}" for n in range(1, 8)]


def spread(total: int) -> dict[str, int]:
    """Answers adding up to `total`."""
    answers = {}
    left = total
    for link_id in ITEMS:
        answers[link_id] = min(3, left)
        left -= answers[link_id]
    assert left == 0
    return answers


# Every band edge, from clinical.md §2.
@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_bands_follow_the_published_cut_points(total: int, band: str) -> None:
    result = by_ordinals(instrument("gad7"), spread(total))
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.band) == ((LOINC, "70274-6"), total, band)
    assert (score.minimum, score.maximum) == (0, 21)
    assert score.bands == ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe"))


@pytest.mark.parametrize(("total", "anxiety"), [(9, False), (10, True), (21, True), (0, False)])
def test_ten_or_more_is_an_anxiety_finding(total: int, anxiety: bool) -> None:
    result = by_ordinals(instrument("gad7"), spread(total))
    assert (FindingDomain.ANXIETY in {f.domain for f in result.findings}) is anxiety


def test_a_missing_item_means_no_score() -> None:
    answers = spread(18)
    del answers["gad7-5"]
    result = by_ordinals(instrument("gad7"), answers)
    assert not result.complete
    assert result.scores == ()
    assert result.findings == ()
    assert result.missing == ("gad7-5",)


def test_codes_follow_the_reference() -> None:
    inst = instrument("gad7")
    assert inst.panel == gad7.PANEL == (LOINC, "69737-5")
    assert [i.code for i in inst.questions.values()] == [
        (LOINC, c) for c in ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
    ]
    for item in inst.questions.values():
        assert [(o.system, o.code, o.ordinal) for o in item.options] == [
            (LOINC, "LA6568-5", 0),
            (LOINC, "LA6569-3", 1),
            (LOINC, "LA6570-1", 2),
            (LOINC, "LA6571-9", 3),
        ]


def test_the_questionnaire_is_valid_r4b_with_the_pfizer_attribution() -> None:
    resource = json.loads((SHIPPED_DIR / "gad7.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["id"] == "gad-7"
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/gad-7"
    assert "Pfizer" in resource["copyright"]
