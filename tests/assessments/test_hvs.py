"""Hunger Vital Sign scoring against ../shared/reference/clinical.md §3.3: 2 items (LOINC 88122-7, 88123-5),
answers LA28397-0 often true, LA6729-3 sometimes true, LA28398-8 never true, LA15775-2 don't know/refused;
"often" or "sometimes true" to either or both → at risk (derived result 88124-3, LA19952-3 at risk /
LA19983-8 no risk); don't know/refused on both → no result. An at-risk answer stands even if the other item
is unanswered; otherwise a missing item means no result."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments import engine
from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.instruments import hvs

from .kit import by_codes, instrument

LOINC = "http://loinc.org"
OFTEN, SOMETIMES, NEVER, DONT_KNOW = "LA28397-0", "LA6729-3", "LA28398-8", "LA15775-2"


def risk(item1: str | None, item2: str | None) -> engine.Result:
    codes: dict[str, str | list[str]] = {
        k: v for k, v in {"hvs-1": item1, "hvs-2": item2}.items() if v is not None
    }
    return by_codes(instrument("hvs"), codes)


@pytest.mark.parametrize(
    ("item1", "item2", "at_risk"),
    [
        (OFTEN, OFTEN, True),
        (OFTEN, NEVER, True),
        (NEVER, OFTEN, True),
        (SOMETIMES, NEVER, True),
        (NEVER, SOMETIMES, True),
        (SOMETIMES, SOMETIMES, True),
        (OFTEN, DONT_KNOW, True),
        (DONT_KNOW, SOMETIMES, True),
        (NEVER, NEVER, False),
        (NEVER, DONT_KNOW, False),
        (DONT_KNOW, NEVER, False),
    ],
)
def test_often_or_sometimes_true_to_either_is_at_risk(item1: str, item2: str, at_risk: bool) -> None:
    result = risk(item1, item2)
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.positive) == ((LOINC, "88124-3"), int(at_risk), at_risk)
    assert (score.minimum, score.maximum) == (0, 1)
    assert (FindingDomain.FOOD_INSECURITY in {f.domain for f in result.findings}) is at_risk
    assert result.details["risk"]["code"] == ("LA19952-3" if at_risk else "LA19983-8")


@pytest.mark.parametrize(("item1", "item2"), [(OFTEN, None), (None, SOMETIMES)])
def test_an_at_risk_answer_stands_when_the_other_is_unanswered(item1: str | None, item2: str | None) -> None:
    result = risk(item1, item2)
    assert result.complete
    assert result.scores[0].positive is True
    assert FindingDomain.FOOD_INSECURITY in {f.domain for f in result.findings}


@pytest.mark.parametrize(
    ("item1", "item2", "missing"),
    [
        (NEVER, None, ("hvs-2",)),
        (None, NEVER, ("hvs-1",)),
        (DONT_KNOW, None, ("hvs-2",)),
        (None, None, ("hvs-1", "hvs-2")),
    ],
)
def test_no_risk_needs_both_answers(item1: str | None, item2: str | None, missing: tuple[str, ...]) -> None:
    result = risk(item1, item2)
    assert not result.complete
    assert result.missing == missing
    assert result.scores == ()
    assert result.findings == ()


def test_dont_know_or_refused_on_both_is_no_result() -> None:
    result = risk(DONT_KNOW, DONT_KNOW)
    assert not result.complete
    assert result.scores == ()
    assert result.findings == ()
    assert result.summary.startswith("No result")
    assert "don't know or refused" in result.summary


def test_codes_follow_the_reference() -> None:
    inst = instrument("hvs")
    assert inst.panel == hvs.PANEL == (LOINC, "88121-9")
    assert [i.code for i in inst.questions.values()] == [(LOINC, "88122-7"), (LOINC, "88123-5")]
    for item in inst.questions.values():
        assert [(o.system, o.code) for o in item.options] == [
            (LOINC, OFTEN),
            (LOINC, SOMETIMES),
            (LOINC, NEVER),
            (LOINC, DONT_KNOW),
        ]


def test_the_questionnaire_is_valid_r4b() -> None:
    resource = json.loads((SHIPPED_DIR / "hvs.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["id"] == "hunger-vital-sign"
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/hunger-vital-sign"
