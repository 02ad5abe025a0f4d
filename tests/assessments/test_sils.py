"""SILS scoring against ../shared/reference/clinical.md §6.4 (Morris et al., BMC Fam Pract 2006;7:21): one
question, 1 never, 2 rarely, 3 sometimes, 4 often, 5 always; more than 2 is positive (possible limited reading
ability). No LOINC panel is given in the reference, so the panel and score use CareConductor's own codes."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain
from careconductor.assessments.engine import OWN_CODES
from careconductor.assessments.instruments import sils

from .kit import by_ordinals, instrument


@pytest.mark.parametrize(
    ("value", "display", "positive"),
    [
        (1, "Never", False),
        (2, "Rarely", False),
        (3, "Sometimes", True),
        (4, "Often", True),
        (5, "Always", True),
    ],
)
def test_more_than_two_is_positive(value: int, display: str, positive: bool) -> None:
    inst = instrument("sils")
    assert [o.display for o in inst.questions["sils-1"].options if o.ordinal == value] == [display]
    result = by_ordinals(inst, {"sils-1": value})
    assert result.complete
    (score,) = result.scores
    assert (score.code, score.value, score.positive) == ((OWN_CODES, "sils-score"), value, positive)
    assert (score.minimum, score.maximum) == (1, 5)
    assert (FindingDomain.LIMITED_LITERACY in {f.domain for f in result.findings}) is positive


def test_unanswered_means_no_result() -> None:
    result = by_ordinals(instrument("sils"), {})
    assert not result.complete
    assert result.missing == ("sils-1",)
    assert result.scores == ()


def test_the_questionnaire_is_valid_r4b_with_its_own_panel_code() -> None:
    resource = json.loads((SHIPPED_DIR / "sils.json").read_text(encoding="utf-8"))
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["id"] == "sils"
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/sils"
    assert instrument("sils").panel == sils.PANEL == (OWN_CODES, "sils")
