"""AUDIT-C scoring against ../shared/reference/clinical.md §6.3: 3 items each 0–4, total 0–12; positive at
4 or more for men and 3 or more for women (Bush 1998; Bradley 2003) — for other or unknown sex the women's
lower threshold is used and said; panel 72109-2, total 75626-2 (not 75624-7, the full AUDIT); no score with a
missing item."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.instruments import auditc

from .kit import by_ordinals, instrument

LOINC = "http://loinc.org"
ITEMS = ["auditc-1", "auditc-2", "auditc-3"]


def spread(total: int) -> dict[str, int]:
    """Answers adding up to `total`."""
    answers = {}
    left = total
    for link_id in ITEMS:
        answers[link_id] = min(4, left)
        left -= answers[link_id]
    assert left == 0
    return answers


# Threshold edges from clinical.md §6.3: men ≥4, women ≥3; other/unknown/unrecorded → the women's threshold.
@pytest.mark.parametrize(
    ("sex", "total", "positive"),
    [
        ("male", 0, False),
        ("male", 3, False),
        ("male", 4, True),
        ("male", 12, True),
        ("female", 0, False),
        ("female", 2, False),
        ("female", 3, True),
        ("female", 12, True),
        ("other", 2, False),
        ("other", 3, True),
        ("unknown", 2, False),
        ("unknown", 3, True),
        ("", 2, False),
        ("", 3, True),
    ],
)
def test_sex_specific_thresholds(sex: str, total: int, positive: bool) -> None:
    result = by_ordinals(instrument("auditc"), spread(total), sex=sex)
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.positive) == ((LOINC, "75626-2"), total, positive)
    assert (score.minimum, score.maximum) == (0, 12)
    assert (FindingDomain.ALCOHOL_MISUSE in {f.domain for f in result.findings}) is positive
    assert result.summary.startswith("Positive" if positive else "Negative")


@pytest.mark.parametrize("sex", ["other", "unknown", ""])
def test_without_male_or_female_the_summary_says_the_womens_threshold_was_used(sex: str) -> None:
    result = by_ordinals(instrument("auditc"), spread(3), sex=sex)
    assert "women's lower threshold" in result.summary
    assert result.details["threshold"] == 3


def test_the_summary_names_the_rule_used() -> None:
    assert "for men" in by_ordinals(instrument("auditc"), spread(4), sex="male").summary
    assert "for women" in by_ordinals(instrument("auditc"), spread(3), sex="female").summary


@pytest.mark.parametrize("dropped", ITEMS)
def test_a_missing_item_means_no_score(dropped: str) -> None:
    answers = spread(9)
    del answers[dropped]
    result = by_ordinals(instrument("auditc"), answers, sex="male")
    assert not result.complete
    assert result.scores == ()
    assert result.findings == ()
    assert result.missing == (dropped,)


def test_each_item_is_scored_0_to_4() -> None:
    inst = instrument("auditc")
    for item in inst.questions.values():
        assert [o.ordinal for o in item.options] == [0, 1, 2, 3, 4]
        assert all(o.system == LOINC for o in item.options)


def test_codes() -> None:
    inst = instrument("auditc")
    assert inst.panel == auditc.PANEL == (LOINC, "72109-2")
    assert [i.code for i in inst.questions.values()] == [
        (LOINC, "68518-0"),
        (LOINC, "68519-8"),
        (LOINC, "68520-6"),
    ]


def test_the_questionnaire_is_valid_r4b_and_claims_no_licence() -> None:
    resource = json.loads((SHIPPED_DIR / "auditc.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["id"] == "audit-c"
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/audit-c"
    assert resource["copyright"] == "Derived from the WHO AUDIT; AUDIT-C by Bush et al. 1998."
