"""PRAPARE against ../shared/reference/clinical.md §3.2: no item text is shipped (NACHC's permission is needed),
so a deployer loads their licensed file with the LOINC panel 93025-5; no official total score exists, so the
answers are kept without one. Tested with a made-up deployer file (files/prapare-example.json) whose texts are
placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments import engine
from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.instruments import prapare

EXAMPLE = Path(__file__).parent / "files" / "prapare-example.json"
PLACEHOLDER = re.compile(r"^(Question \d+|Section \d+|Answer \d+) \(deployer's licensed text\)$")


def example() -> engine.Instrument:
    return engine.parse_questionnaire(json.loads(EXAMPLE.read_text(encoding="utf-8")))


def all_required() -> dict[str, list[engine.AnswerValue]]:
    return {
        "prapare-1": ["LA32-8"],
        "prapare-2": ["LA6156-9", "LA4457-3"],
        "prapare-3": ["LA32-8"],
        "prapare-4": ["LA33-6"],
        "prapare-5": ["Tagalog"],
        "prapare-6": [3],
        "prapare-7": ["LA30189-7"],
        "prapare-8": ["LA32-8"],
        "prapare-9": ["b"],
        "prapare-10": ["a"],
    }


def test_the_panel_is_the_loinc_prapare_panel() -> None:
    assert prapare.PANEL == ("http://loinc.org", "93025-5")
    assert example().panel == prapare.PANEL
    assert engine.scorers()[prapare.PANEL] is prapare.score


def test_every_required_item_answered_is_complete_without_a_total() -> None:
    result = engine.score(example(), all_required())
    assert result.complete
    assert result.missing == ()
    assert (result.scores, result.findings, result.signals) == ((), (), frozenset())
    assert "no published total score" in result.summary
    assert "answers are kept" in result.summary


def test_the_optional_item_is_not_needed_but_may_be_answered() -> None:
    result = engine.score(example(), all_required() | {"prapare-11": ["LA33-6"]})
    assert result.complete
    assert result.scores == ()


def test_a_missing_required_item_is_incomplete() -> None:
    answers = all_required()
    del answers["prapare-2"], answers["prapare-9"]
    result = engine.score(example(), answers)
    assert not result.complete
    assert result.missing == ("prapare-2", "prapare-9")
    assert result.scores == ()


def test_nothing_answered_lists_the_required_items_of_the_loaded_file() -> None:
    inst = example()
    result = engine.score(inst, {})
    assert result.missing == inst.required
    assert "prapare-11" not in result.missing


def test_no_prapare_questionnaire_is_shipped() -> None:
    assert not (SHIPPED_DIR / "prapare.json").exists()
    for path in SHIPPED_DIR.glob("*.json"):
        codes = json.loads(path.read_text(encoding="utf-8")).get("code") or []
        assert all(c.get("code") != "93025-5" for c in codes), path.name


def test_the_example_file_is_valid_fhir_with_placeholder_text_only() -> None:
    resource = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    inst = example()
    for section in inst.sections:
        assert PLACEHOLDER.match(section.title), section.title
        for item in section.questions:
            assert PLACEHOLDER.match(item.text), item.text
            for option in item.options:
                assert option.display in ("Yes", "No") or PLACEHOLDER.match(option.display), option.display
