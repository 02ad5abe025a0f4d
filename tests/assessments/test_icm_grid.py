"""Complexity grid against ../shared/reference/clinical.md §5: 4 domains × (2 historical, 2 current,
1 vulnerability) = 20 items, each 0 green, 1 yellow, 2 orange, 3 red; total 0–60; above 20 (21 or more) is
complex (the INTERMED threshold); a red item is a barrier whatever the total. Only identifiers and short labels
are shipped (the anchors are licensed)."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.engine import Finding
from careconductor.assessments.instruments import icm_grid

from .kit import by_ordinals, instrument

SECTIONS = {
    "bio": [
        ("bio-hist-chronic-illness", "Chronic illness"),
        ("bio-hist-diagnostic-difficulty", "Diagnostic difficulty"),
        ("bio-curr-symptom-severity", "Symptom severity"),
        ("bio-curr-adherence-ability", "Adherence ability"),
        ("bio-vuln-complications", "Complications and life threat"),
    ],
    "psy": [
        ("psy-hist-coping-barriers", "Barriers to coping"),
        ("psy-hist-mental-health-history", "Mental health history"),
        ("psy-curr-treatment-resistance", "Resistance to treatment"),
        ("psy-curr-mental-health-symptoms", "Mental health symptoms"),
        ("psy-vuln-mental-health-threat", "Mental health threat"),
    ],
    "soc": [
        ("soc-hist-job-leisure", "Job and leisure"),
        ("soc-hist-relationships", "Relationships"),
        ("soc-curr-residential-stability", "Residential stability"),
        ("soc-curr-social-support", "Social support"),
        ("soc-vuln-social-vulnerability", "Social vulnerability"),
    ],
    "hs": [
        ("hs-hist-access-to-care", "Access to care"),
        ("hs-hist-treatment-experience", "Treatment experience"),
        ("hs-curr-getting-services", "Getting needed services"),
        ("hs-curr-care-coordination", "Coordination of care"),
        ("hs-vuln-impediments", "Health system impediments"),
    ],
}
ITEMS = [link_id for rows in SECTIONS.values() for link_id, _ in rows]
LABEL = {link_id: label for rows in SECTIONS.values() for link_id, label in rows}
COLOUR = {0: "green", 1: "yellow", 2: "orange", 3: "red"}


def spread(total: int, top: int = 2) -> dict[str, int]:
    """Answers adding up to `total`, none above `top`."""
    answers = dict.fromkeys(ITEMS, 0)
    left = total
    for link_id in ITEMS:
        answers[link_id] = min(top, left)
        left -= answers[link_id]
    assert left == 0
    return answers


@pytest.mark.parametrize(("total", "complex_"), [(0, False), (20, False), (21, True), (40, True), (60, True)])
def test_above_20_is_complex(total: int, complex_: bool) -> None:
    result = by_ordinals(instrument("icm_grid"), spread(total, top=3 if total > 40 else 2))
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.minimum, score.maximum) == (icm_grid.TOTAL, total, 0, 60)
    assert score.positive is complex_
    assert score.band == ("complex" if complex_ else "not complex")
    assert (FindingDomain.COMPLEXITY in {f.domain for f in result.findings}) is complex_


def test_each_red_item_is_a_barrier_even_when_not_complex() -> None:
    answers = dict.fromkeys(ITEMS, 0) | {"soc-curr-residential-stability": 3, "hs-hist-access-to-care": 3}
    result = by_ordinals(instrument("icm_grid"), answers)
    assert result.scores[0].value == 6
    assert list(result.findings) == [
        Finding(FindingDomain.COMPLEXITY_BARRIER, detail="Residential stability"),
        Finding(FindingDomain.COMPLEXITY_BARRIER, detail="Access to care"),
    ]
    assert "Residential stability" in result.summary


def test_orange_is_not_a_barrier() -> None:
    result = by_ordinals(instrument("icm_grid"), dict.fromkeys(ITEMS, 2))
    assert result.scores[0].value == 40
    assert [f.domain for f in result.findings] == [FindingDomain.COMPLEXITY]


def test_all_red_is_complex_with_twenty_barriers() -> None:
    result = by_ordinals(instrument("icm_grid"), dict.fromkeys(ITEMS, 3))
    assert result.findings[0].domain == FindingDomain.COMPLEXITY
    assert [f.detail for f in result.findings[1:]] == [LABEL[i] for i in ITEMS]


def test_colours_name_each_item() -> None:
    answers = {link_id: n % 4 for n, link_id in enumerate(ITEMS)}
    result = by_ordinals(instrument("icm_grid"), answers)
    assert result.details["colours"] == {link_id: COLOUR[n] for link_id, n in answers.items()}
    assert result.details["domains"] == {"Biological": 6, "Psychological": 7, "Social": 8, "Health system": 9}


def test_a_missing_item_means_no_score() -> None:
    answers = spread(30)
    del answers["psy-vuln-mental-health-threat"]
    result = by_ordinals(instrument("icm_grid"), answers)
    assert not result.complete
    assert result.missing == ("psy-vuln-mental-health-threat",)
    assert (result.scores, result.findings) == ((), ())


def test_json_is_valid_fhir_r4b_with_labels_only() -> None:
    resource = json.loads((SHIPPED_DIR / "icm_grid.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/icm-complexity-grid"
    assert "CMSA" in resource["copyright"]
    inst = instrument("icm_grid")
    assert inst.panel == icm_grid.PANEL
    assert {s.link_id: [(i.link_id, i.text) for i in s.questions] for s in inst.sections} == SECTIONS
    assert list(icm_grid.ITEMS) == ITEMS
    for item in inst.questions.values():
        assert item.required
        assert [(o.display, o.ordinal) for o in item.options] == [
            ("0 green — no need", 0),
            ("1 yellow — mild risk, monitor", 1),
            ("2 orange — moderate risk, include in plan", 2),
            ("3 red — severe risk, act now", 3),
        ]
