"""Katz ADL against ../shared/reference/clinical.md §6.1: 6 items (bathing, dressing, toileting, transferring,
continence, feeding), each 1 independent / 0 dependent, total 0–6; the raw score and the dependent items are
kept; bands are configurable, by default the calculator's cited in §6.1 (6 full function, 4–5 moderate
impairment, 0–3 severe impairment)."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.engine import Answers
from careconductor.assessments.instruments import katz

from .kit import by_ordinals, code_for, instrument

ITEMS = [
    "katz-bathing",
    "katz-dressing",
    "katz-toileting",
    "katz-transferring",
    "katz-continence",
    "katz-feeding",
]
LABELS = ["Bathing", "Dressing", "Toileting", "Transferring", "Continence", "Feeding"]


def with_total(total: int) -> dict[str, int]:
    """The first `6 - total` items dependent, the rest independent."""
    return {link_id: 0 if n < 6 - total else 1 for n, link_id in enumerate(ITEMS)}


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "severe impairment"),
        (3, "severe impairment"),
        (4, "moderate impairment"),
        (5, "moderate impairment"),
        (6, "full function"),
    ],
)
def test_default_bands(total: int, band: str) -> None:
    result = by_ordinals(instrument("katz"), with_total(total))
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.band) == (katz.TOTAL, total, band)
    assert (score.minimum, score.maximum) == (0, 6)
    assert score.bands == katz.DEFAULT_BANDS


@pytest.mark.parametrize("total", range(7))
def test_the_raw_total_is_the_count_of_independent_items(total: int) -> None:
    assert by_ordinals(instrument("katz"), with_total(total)).scores[0].value == total


def test_dependent_items_are_listed_by_label() -> None:
    answers = dict.fromkeys(ITEMS, 1) | {"katz-dressing": 0, "katz-continence": 0}
    result = by_ordinals(instrument("katz"), answers)
    assert result.details == {"dependent": ["Dressing", "Continence"]}
    assert result.findings[0].domain == FindingDomain.ADL_DEPENDENCE
    assert "Dressing, Continence" in result.summary


def test_fully_independent_has_no_finding() -> None:
    result = by_ordinals(instrument("katz"), with_total(6))
    assert result.details == {"dependent": []}
    assert result.findings == ()


def test_fully_dependent_lists_all_six() -> None:
    result = by_ordinals(instrument("katz"), with_total(0))
    assert result.details == {"dependent": LABELS}
    assert [f.domain for f in result.findings] == [FindingDomain.ADL_DEPENDENCE]


def test_one_dependent_item_is_a_finding() -> None:
    result = by_ordinals(instrument("katz"), with_total(5))
    assert [f.domain for f in result.findings] == [FindingDomain.ADL_DEPENDENCE]


def test_bands_are_configurable() -> None:
    hartford = ((0, "severe"), (3, "moderate"), (6, "full"))
    inst = instrument("katz")
    answers = Answers(inst, {k: [code_for(inst, k, v)] for k, v in with_total(4).items()})
    result = katz.score(answers, bands=hartford)
    assert (result.scores[0].value, result.scores[0].band, result.scores[0].bands) == (
        4,
        "moderate",
        hartford,
    )


def test_the_module_bands_are_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(katz, "BANDS", ((0, "dependent"), (6, "independent")))
    assert by_ordinals(instrument("katz"), with_total(5)).scores[0].band == "dependent"


def test_a_missing_item_means_no_score() -> None:
    answers = with_total(6)
    del answers["katz-feeding"]
    result = by_ordinals(instrument("katz"), answers)
    assert not result.complete
    assert result.missing == ("katz-feeding",)
    assert (result.scores, result.findings) == ((), ())


def test_json_is_valid_fhir_r4b_with_six_items_scored_1_or_0() -> None:
    resource = json.loads((SHIPPED_DIR / "katz.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/katz-adl"
    inst = instrument("katz")
    assert inst.panel == katz.PANEL
    assert [i.text for i in inst.questions.values()] == LABELS
    for item in inst.questions.values():
        assert [(o.code, o.ordinal) for o in item.options] == [("independent", 1), ("dependent", 0)]
