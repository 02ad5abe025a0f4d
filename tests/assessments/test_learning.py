"""Learning preferences: not scored (no total, no Score); complete when the required items — ways of learning
(choose all that apply, the patients.choices.LearningPreference codes), language and whether a family member
should be present — are answered; the best time is optional. details["preferences"] lists the ways chosen."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.instruments import learning
from careconductor.patients.choices import LearningPreference

from .kit import by_codes, instrument

REQUIRED: dict[str, str | list[str]] = {
    "learning-ways": ["video", "print"],
    "learning-language": "es",
    "learning-family": "LA33-6",
}


def test_the_ways_of_learning_are_the_patient_record_codes() -> None:
    item = instrument("learning").questions["learning-ways"]
    assert item.repeats
    assert [o.code for o in item.options] == list(LearningPreference.values)


def test_required_answers_make_it_complete_without_a_score() -> None:
    result = by_codes(instrument("learning"), REQUIRED)
    assert result.complete
    assert result.scores == ()
    assert result.findings == ()
    assert result.details["preferences"] == ["print", "video"]  # in the form's order
    assert result.details["language"] == "es"
    assert result.details["family_present"] == "yes"
    assert result.details["best_time"] == ""
    assert "Prefers to learn by:" in result.summary
    assert "Spanish" in result.summary


def test_the_best_time_is_optional_and_reported_when_given() -> None:
    result = by_codes(instrument("learning"), REQUIRED | {"learning-time": "evening"})
    assert result.complete
    assert result.details["best_time"] == "evening"
    assert "evening" in result.summary


def test_every_way_at_once() -> None:
    result = by_codes(instrument("learning"), REQUIRED | {"learning-ways": list(LearningPreference.values)})
    assert result.details["preferences"] == list(LearningPreference.values)


@pytest.mark.parametrize("left_out", sorted(REQUIRED))
def test_a_missing_required_item_is_incomplete(left_out: str) -> None:
    answers = {k: v for k, v in REQUIRED.items() if k != left_out}
    result = by_codes(instrument("learning"), answers)
    assert not result.complete
    assert result.missing == (left_out,)
    assert result.scores == ()


def test_json_is_valid_fhir_r4b() -> None:
    resource = json.loads((SHIPPED_DIR / "learning.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/learning-preferences"
    inst = instrument("learning")
    assert inst.panel == learning.PANEL
    assert inst.required == ("learning-ways", "learning-language", "learning-family")
