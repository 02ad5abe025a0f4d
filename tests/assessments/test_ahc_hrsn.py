"""AHC HRSN core screening against ../shared/reference/clinical.md §3.1: 10 questions in 5 domains. Q1 "worried
about losing it" or "no steady place" is positive; Q2 (choose all that apply) any problem other than "none of
the above"; food Q3/Q4 "often" or "sometimes true" on either; transportation Q5 "yes"; utilities Q6 "yes" or
"already shut off"; safety Q7–Q10 scored Never 1 … Frequently 5, sum above 10 (11 or more) positive (LOINC total
95614-4, range 4–20). A domain left unanswered is not negative: the result is incomplete but keeps what is
already positive, the safety signal included."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire

from careconductor.assessments import engine
from careconductor.assessments.catalogue import SHIPPED_DIR
from careconductor.assessments.choices import FindingDomain, Signal
from careconductor.core.errors import ActionRefused

from .kit import by_codes, code_for, instrument

LOINC = "http://loinc.org"
SAFETY = ["ahc-7", "ahc-8", "ahc-9", "ahc-10"]
STEADY, WORRIED, NO_STEADY_PLACE = "LA31993-1", "LA31994-9", "LA31995-6"
NONE_OF_THE_ABOVE = "LA9-3"
PROBLEMS = ["LA31996-4", "LA28580-1", "LA31997-2", "LA31998-0", "LA31999-8", "LA32000-4", "LA32001-2"]
OFTEN, SOMETIMES, NEVER = "LA28397-0", "LA6729-3", "LA28398-8"
YES, NO, SHUT_OFF = "LA33-6", "LA32-8", "LA32002-0"


def inst() -> engine.Instrument:
    return instrument("ahc_hrsn")


def safety(*ordinals: int) -> dict[str, str]:
    return {link_id: code_for(inst(), link_id, n) for link_id, n in zip(SAFETY, ordinals, strict=True)}


def negative(**changes: str | list[str]) -> dict[str, str | list[str]]:
    """Every domain negative (safety sum 4), then `changes` (ahc_1=... for ahc-1; None-free)."""
    answers: dict[str, str | list[str]] = {
        "ahc-1": STEADY,
        "ahc-2": [NONE_OF_THE_ABOVE],
        "ahc-3": NEVER,
        "ahc-4": NEVER,
        "ahc-5": NO,
        "ahc-6": NO,
        **safety(1, 1, 1, 1),
    }
    answers.update({k.replace("_", "-"): v for k, v in changes.items()})
    return answers


def domains(result: engine.Result) -> set[str]:
    return {f.domain for f in result.findings}


def test_all_negative_is_complete_with_no_findings() -> None:
    result = by_codes(inst(), negative())
    assert result.complete
    assert result.missing == ()
    assert result.findings == ()
    assert result.signals == frozenset()
    assert [s.value for s in result.scores] == [0, 0, 0, 0, 0, 4]
    assert all(s.positive is False for s in result.scores)
    assert "No health-related social need" in result.summary


@pytest.mark.parametrize(("answer", "positive"), [(STEADY, False), (WORRIED, True), (NO_STEADY_PLACE, True)])
def test_q1_worried_or_no_steady_place_is_housing_instability(answer: str, positive: bool) -> None:
    result = by_codes(inst(), negative(ahc_1=answer))
    assert result.complete
    assert (FindingDomain.HOUSING_INSTABILITY in domains(result)) is positive
    assert domains(result) <= {FindingDomain.HOUSING_INSTABILITY}
    score = next(s for s in result.scores if s.code[1] == "ahc-hrsn-housing-instability")
    assert (score.value, score.positive) == (int(positive), positive)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_q2_any_one_problem_is_housing_quality(problem: str) -> None:
    result = by_codes(inst(), negative(ahc_2=[problem]))
    assert domains(result) == {FindingDomain.HOUSING_QUALITY}


def test_q2_none_of_the_above_is_negative() -> None:
    result = by_codes(inst(), negative(ahc_2=[NONE_OF_THE_ABOVE]))
    assert FindingDomain.HOUSING_QUALITY not in domains(result)


def test_q2_several_problems_are_one_finding() -> None:
    result = by_codes(inst(), negative(ahc_2=PROBLEMS[:3]))
    assert [f.domain for f in result.findings] == [FindingDomain.HOUSING_QUALITY]


def test_q2_a_problem_ticked_with_none_of_the_above_is_still_positive() -> None:
    result = by_codes(inst(), negative(ahc_2=[NONE_OF_THE_ABOVE, "LA28580-1"]))
    assert FindingDomain.HOUSING_QUALITY in domains(result)


def test_q2_repeats_and_q1_does_not() -> None:
    q = inst()
    assert q.questions["ahc-2"].repeats
    assert not q.questions["ahc-1"].repeats
    assert engine.clean_values(q, {"ahc-2": PROBLEMS[:2]}) == {"ahc-2": PROBLEMS[:2]}
    with pytest.raises(ActionRefused):
        engine.clean_values(q, {"ahc-1": [STEADY, WORRIED]})


@pytest.mark.parametrize(
    ("q3", "q4", "positive"),
    [
        (NEVER, NEVER, False),
        (OFTEN, NEVER, True),
        (SOMETIMES, NEVER, True),
        (NEVER, OFTEN, True),
        (NEVER, SOMETIMES, True),
        (OFTEN, SOMETIMES, True),
    ],
)
def test_food_often_or_sometimes_true_on_either_is_positive(q3: str, q4: str, positive: bool) -> None:
    result = by_codes(inst(), negative(ahc_3=q3, ahc_4=q4))
    assert domains(result) == ({FindingDomain.FOOD_INSECURITY} if positive else set())


@pytest.mark.parametrize(("answer", "positive"), [(YES, True), (NO, False)])
def test_transportation_yes_is_positive(answer: str, positive: bool) -> None:
    result = by_codes(inst(), negative(ahc_5=answer))
    assert domains(result) == ({FindingDomain.TRANSPORTATION} if positive else set())


@pytest.mark.parametrize(("answer", "positive"), [(YES, True), (SHUT_OFF, True), (NO, False)])
def test_utilities_yes_or_already_shut_off_is_positive(answer: str, positive: bool) -> None:
    result = by_codes(inst(), negative(ahc_6=answer))
    assert domains(result) == ({FindingDomain.UTILITIES} if positive else set())


# Safety: sum of Q7–Q10 above 10 is positive (10 is not, 11 is); range 4–20.
@pytest.mark.parametrize(
    ("ordinals", "positive"),
    [
        ((1, 1, 1, 1), False),
        ((4, 2, 2, 2), False),
        ((3, 3, 2, 2), False),
        ((3, 3, 3, 2), True),
        ((5, 2, 2, 2), True),
        ((5, 5, 5, 5), True),
    ],
)
def test_safety_sum_above_10_is_positive(ordinals: tuple[int, ...], positive: bool) -> None:
    result = by_codes(inst(), negative(**{k.replace("-", "_"): v for k, v in safety(*ordinals).items()}))
    assert result.complete
    total = next(s for s in result.scores if s.code == (LOINC, "95614-4"))
    assert (total.value, total.minimum, total.maximum) == (sum(ordinals), 4, 20)
    assert total.positive is positive
    assert total.interpretation == ("positive" if positive else "negative")
    assert (Signal.INTERPERSONAL_SAFETY in result.signals) is positive
    assert (FindingDomain.INTERPERSONAL_SAFETY in domains(result)) is positive
    assert ("safety protocol" in result.summary) is positive


def test_safety_answers_score_never_1_to_frequently_5() -> None:
    for link_id in SAFETY:
        options = inst().questions[link_id].options
        assert [(o.display, o.ordinal) for o in options] == [
            ("Never", 1),
            ("Rarely", 2),
            ("Sometimes", 3),
            ("Fairly often", 4),
            ("Frequently", 5),
        ]


def test_every_domain_positive_at_once() -> None:
    answers = negative(
        ahc_1=NO_STEADY_PLACE, ahc_2=["LA31998-0"], ahc_3=OFTEN, ahc_5=YES, ahc_6=SHUT_OFF
    ) | safety(5, 5, 5, 5)
    result = by_codes(inst(), answers)
    assert [f.domain for f in result.findings] == [
        FindingDomain.HOUSING_INSTABILITY,
        FindingDomain.HOUSING_QUALITY,
        FindingDomain.FOOD_INSECURITY,
        FindingDomain.TRANSPORTATION,
        FindingDomain.UTILITIES,
        FindingDomain.INTERPERSONAL_SAFETY,
    ]
    assert [s.value for s in result.scores] == [1, 1, 1, 1, 1, 20]
    assert result.details["positive"] == [f.domain for f in result.findings]


# --- missing answers ---------------------------------------------------------------------------------------------


def test_nothing_answered_lists_every_item() -> None:
    result = by_codes(inst(), {})
    assert not result.complete
    assert result.missing == tuple(f"ahc-{n}" for n in range(1, 11))
    assert (result.scores, result.findings, result.signals) == ((), (), frozenset())


def test_an_unanswered_domain_makes_the_result_incomplete_but_keeps_the_positive_ones() -> None:
    answers = negative(ahc_1=WORRIED, ahc_6=YES)
    del answers["ahc-5"]
    result = by_codes(inst(), answers)
    assert not result.complete
    assert result.missing == ("ahc-5",)
    assert result.scores == ()
    assert domains(result) == {FindingDomain.HOUSING_INSTABILITY, FindingDomain.UTILITIES}
    assert "housing instability and utilities" in result.summary


def test_all_negative_but_one_item_unanswered_is_not_called_negative() -> None:
    answers = negative()
    del answers["ahc-2"]
    result = by_codes(inst(), answers)
    assert not result.complete
    assert result.missing == ("ahc-2",)
    assert "No health-related social need" not in result.summary


def test_one_food_item_often_true_is_positive_with_the_other_unanswered() -> None:
    answers = negative(ahc_3=OFTEN)
    del answers["ahc-4"]
    result = by_codes(inst(), answers)
    assert result.missing == ("ahc-4",)
    assert FindingDomain.FOOD_INSECURITY in domains(result)


def test_one_food_item_never_true_is_undecided_with_the_other_unanswered() -> None:
    answers = negative()
    del answers["ahc-3"]
    result = by_codes(inst(), answers)
    assert result.missing == ("ahc-3",)
    assert FindingDomain.FOOD_INSECURITY not in domains(result)


def test_safety_signal_survives_unanswered_non_safety_items() -> None:
    answers = {k: v for k, v in negative().items() if k not in ("ahc-1", "ahc-3")} | safety(3, 3, 3, 2)
    result = by_codes(inst(), answers)
    assert not result.complete
    assert result.missing == ("ahc-1", "ahc-3")
    assert Signal.INTERPERSONAL_SAFETY in result.signals
    assert FindingDomain.INTERPERSONAL_SAFETY in domains(result)
    assert "safety protocol" in result.summary


def test_partial_safety_answers_already_above_10_raise_the_signal() -> None:
    # 5 + 5 + 1 answered, one unanswered: at least 12 whatever it would be.
    answers = negative() | safety(5, 5, 1, 1)
    del answers["ahc-10"]
    result = by_codes(inst(), answers)
    assert result.missing == ("ahc-10",)
    assert result.scores == ()
    assert Signal.INTERPERSONAL_SAFETY in result.signals


def test_partial_safety_answers_that_could_still_stay_at_10_raise_nothing() -> None:
    # 3 + 3 + 3 answered, one unanswered: 10 if it were Never, so not yet positive.
    answers = negative() | safety(3, 3, 3, 1)
    del answers["ahc-10"]
    result = by_codes(inst(), answers)
    assert result.missing == ("ahc-10",)
    assert Signal.INTERPERSONAL_SAFETY not in result.signals
    assert FindingDomain.INTERPERSONAL_SAFETY not in domains(result)


# --- the Questionnaire ---------------------------------------------------------------------------------------------


def raw() -> dict:
    return json.loads((SHIPPED_DIR / "ahc_hrsn.json").read_text(encoding="utf-8"))


def test_json_is_valid_fhir_r4b() -> None:
    resource = raw()
    Questionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    assert resource["id"] == "ahc-hrsn"
    assert resource["url"] == "https://careconductor.org/fhir/Questionnaire/ahc-hrsn"
    assert resource["version"] == "1.0.0"
    assert inst().panel == (LOINC, "96777-8")


def test_five_sections_one_per_domain_with_the_loinc_item_codes() -> None:
    sections = {s.link_id: [i.code for i in s.questions] for s in inst().sections}
    assert sections == {
        "ahc-housing": [(LOINC, "71802-3"), (LOINC, "96778-6")],
        "ahc-food": [(LOINC, "88122-7"), (LOINC, "88123-5")],
        "ahc-transportation": [(LOINC, "93030-5")],
        "ahc-utilities": [(LOINC, "96779-4")],
        "ahc-safety": [(LOINC, c) for c in ("95618-5", "95617-7", "95616-9", "95615-1")],
    }
    assert all(i.required for i in inst().questions.values())
