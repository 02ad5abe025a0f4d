"""The rules of medication reconciliation as tables: the discrepancy of a line from its two lists and what the
patient says, duplicates by name or RxNorm code, which line a discharge entry joins, what a decision needs and
when a reconciliation may be completed."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.medications import reconciliation_rules as rules
from careconductor.medications.choices import Decision, Discrepancy
from careconductor.medications.reconciliation_rules import Line

OWN: dict[str, Any] = {"on_own_list": True, "own_dose": "500 mg tablet"}


@pytest.mark.parametrize(
    ("line", "given", "expected"),
    [
        # On both lists with the same dose, whatever the case and spacing.
        (
            Line("Metformin", **OWN, on_discharge_list=True, discharge_dose="500MG tablet"),
            True,
            Discrepancy.NONE,
        ),
        # Different doses.
        (
            Line("Metformin", **OWN, on_discharge_list=True, discharge_dose="1000 mg tablet"),
            True,
            Discrepancy.DOSE_MISMATCH,
        ),
        # On her own list, not on the discharge list.
        (Line("Metformin", **OWN), True, Discrepancy.OMISSION),
        (Line("Metformin", **OWN, patient_takes=False), True, Discrepancy.OMISSION),
        # ... and she takes it: the hospital may have stopped it on purpose.
        (Line("Metformin", **OWN, patient_takes=True), True, Discrepancy.STOPPED_BUT_TAKEN),
        # The discharge list says stop, and she takes it / does not / was not asked.
        (
            Line("Metformin", **OWN, on_discharge_list=True, discharge_says_stop=True, patient_takes=True),
            True,
            Discrepancy.STOPPED_BUT_TAKEN,
        ),
        (
            Line("Metformin", **OWN, on_discharge_list=True, discharge_says_stop=True, patient_takes=False),
            True,
            Discrepancy.NONE,
        ),
        (Line("Metformin", **OWN, on_discharge_list=True, discharge_says_stop=True), True, Discrepancy.NONE),
        # New on the discharge list only.
        (Line("Apixaban", on_discharge_list=True, discharge_dose="5 mg"), True, Discrepancy.NONE),
        (
            Line("Apixaban", on_discharge_list=True, discharge_dose="5 mg", patient_takes=False),
            True,
            Discrepancy.NONE,
        ),
        # No discharge list entered yet: absence from it says nothing.
        (Line("Metformin", **OWN), False, Discrepancy.NONE),
        (Line("Metformin", **OWN, patient_takes=True), False, Discrepancy.NONE),
    ],
)
def test_the_discrepancy_of_a_line(line: Line, given: bool, expected: Discrepancy) -> None:
    assert rules.discrepancy(line, duplicated=False, discharge_list_given=given) == expected


def test_a_duplicate_is_a_duplication_before_anything_else() -> None:
    taken_but_stopped = Line(
        "Metformin", **OWN, on_discharge_list=True, discharge_says_stop=True, patient_takes=True
    )
    assert (
        rules.discrepancy(taken_but_stopped, duplicated=True, discharge_list_given=True)
        == Discrepancy.DUPLICATION
    )


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (("Metformin", ""), ("  METFORMIN. ", ""), True),
        (("Metformin", ""), ("Metformin ER", ""), False),
        (("Glucophage", "860975"), ("Metformin", "860975"), True),  # a brand and its generic, by code
        (("Glucophage", ""), ("Metformin", ""), False),
        (("Metformin", "860975"), ("Metformin", "861007"), True),  # two strengths of one medicine, by name
        (("", ""), ("", ""), False),
        # A hospital's RxNorm-style name is the patient's plain one: strength and form do not count.
        (("Metformin 500 MG Oral Tablet", ""), ("Metformin", ""), True),
        (("Lisinopril 10 MG Oral Tablet", ""), ("lisinopril 20mg", ""), True),
        (("Theophylline ER 300 mg", ""), ("Theophylline ER", ""), True),
        (("Theophylline ER 300 mg", ""), ("Theophylline", ""), False),
        (("Insulin glargine 100 units/mL", ""), ("Insulin lispro 100 units/mL", ""), False),
        (("5-FU 500 mg", ""), ("5-FU", ""), False),  # a name starting with a digit is kept whole
        (("Aspirin 81 mg", ""), ("Aspirin 325 mg", ""), True),
    ],
)
def test_the_same_medicine_by_normalised_name_or_rxnorm(
    a: tuple[str, str], b: tuple[str, str], same: bool
) -> None:
    assert rules.same_medicine(a[0], a[1], b[0], b[1]) is same


def test_two_lines_of_one_medicine_are_both_duplications() -> None:
    lines = [
        Line("Metformin", **OWN, on_discharge_list=True, discharge_dose="500 mg tablet"),
        Line("Lisinopril", on_own_list=True, own_dose="10 mg"),
        Line("metformin", on_discharge_list=True, discharge_dose="1000 mg"),
        Line("Glucophage", rxnorm="860975"),
        Line("Metformin XR", rxnorm="860975", on_discharge_list=True, discharge_dose="750 mg"),
    ]
    assert rules.discrepancies(lines) == [
        Discrepancy.DUPLICATION,
        Discrepancy.OMISSION,
        Discrepancy.DUPLICATION,
        Discrepancy.DUPLICATION,
        Discrepancy.DUPLICATION,
    ]


def test_without_a_discharge_list_nothing_is_omitted() -> None:
    lines = [Line("Metformin", **OWN), Line("Lisinopril", on_own_list=True, own_dose="10 mg")]
    assert rules.discrepancies(lines) == [Discrepancy.NONE, Discrepancy.NONE]


@pytest.mark.parametrize(
    ("name", "rxnorm", "expected"),
    [
        ("metformin", "", 0),
        ("Lisinopril", "", None),
        ("Glucophage", "860975", 0),
        ("Atorvastatin", "", 2),  # the first line of it the discharge list does not name yet
        ("Amlodipine", "", None),  # named already: a second entry is a new line (a duplication)
    ],
)
def test_which_line_a_discharge_entry_joins(name: str, rxnorm: str, expected: int | None) -> None:
    lines = [
        Line("Metformin", rxnorm="860975", **OWN),
        Line("Amlodipine", on_discharge_list=True, discharge_dose="5 mg"),
        Line("Atorvastatin", on_own_list=True, own_dose="20 mg"),
    ]
    assert rules.match(name, rxnorm, lines) == expected


@pytest.mark.parametrize(
    ("decision", "on_own_list", "new_dose", "discharge_dose", "field"),
    [
        (Decision.CONTINUE, True, "", "", None),
        (Decision.CONTINUE, False, "", "5 mg", "decision"),
        (Decision.STOP, True, "", "", None),
        (Decision.STOP, False, "", "", None),  # the discharge list's medicine is not started
        (Decision.CHANGE_DOSE, True, "1000 mg", "", None),
        (Decision.CHANGE_DOSE, True, " ", "1000 mg", "new_dose"),
        (Decision.CHANGE_DOSE, False, "1000 mg", "", "decision"),
        (Decision.NEW, False, "", "5 mg", None),
        (Decision.NEW, False, "2.5 mg", "", None),
        (Decision.NEW, False, "", "", "new_dose"),
        (Decision.NEW, True, "5 mg", "", "decision"),
        ("maybe", True, "", "", "decision"),
    ],
)
def test_what_a_decision_needs(
    decision: str, on_own_list: bool, new_dose: str, discharge_dose: str, field: str | None
) -> None:
    problems = rules.decision_problems(
        decision, on_own_list=on_own_list, new_dose=new_dose, discharge_dose=discharge_dose
    )
    assert list(problems) == ([field] if field else [])


@pytest.mark.parametrize(
    ("decisions", "participants", "fields"),
    [
        (["continue", "stop", "new"], "the patient", []),
        (["continue", ""], "the patient", [""]),
        ([], "the patient", [""]),
        (["continue"], "  ", ["participants"]),
        (["", ""], "", ["", "participants"]),
    ],
)
def test_a_reconciliation_is_completed_when_every_line_is_decided(
    decisions: list[str], participants: str, fields: list[str]
) -> None:
    assert sorted(rules.completion_problems(decisions, participants)) == fields


def test_the_undecided_lines_are_counted() -> None:
    assert rules.completion_problems(["", "stop", ""], "x")[""].startswith("2 lines are not decided")


@pytest.mark.parametrize(("code", "ok"), [("", True), ("860975", True), (" 860975 ", True), ("RX123", False)])
def test_an_rxnorm_code_is_a_number(code: str, ok: bool) -> None:
    assert (rules.rxnorm_problem(code) is None) is ok


def test_a_task_is_due_by_the_end_of_the_next_day_and_names_the_line() -> None:
    now = dt.datetime(2026, 11, 20, 15, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    assert rules.task_due(now) == dt.datetime(2026, 11, 21, 23, 59, tzinfo=now.tzinfo)
    assert (
        rules.task_title("Metformin", Discrepancy.DOSE_MISMATCH)
        == "Medication reconciliation: dose mismatch, Metformin"
    )


_lines = st.lists(
    st.builds(
        Line,
        name=st.sampled_from(["Metformin", "metformin", "Lisinopril", "Apixaban", "Eliquis"]),
        rxnorm=st.sampled_from(["", "", "1364445"]),
        on_own_list=st.booleans(),
        own_dose=st.sampled_from(["", "5 mg", "10 mg"]),
        on_discharge_list=st.booleans(),
        discharge_dose=st.sampled_from(["", "5 mg", "10mg"]),
        discharge_says_stop=st.booleans(),
        patient_takes=st.sampled_from([None, True, False]),
    ),
    max_size=6,
)


@given(_lines, st.randoms())
def test_the_order_of_the_lines_does_not_change_their_discrepancies(lines: list[Line], rnd) -> None:  # type: ignore[no-untyped-def]
    order = list(range(len(lines)))
    rnd.shuffle(order)
    found = rules.discrepancies(lines)
    assert rules.discrepancies([lines[i] for i in order]) == [found[i] for i in order]


@given(_lines)
def test_a_line_alone_on_one_list_is_never_a_dose_mismatch(lines: list[Line]) -> None:
    for line, found in zip(lines, rules.discrepancies(lines), strict=True):
        if not (line.on_own_list and line.on_discharge_list):
            assert found != Discrepancy.DOSE_MISMATCH
        if not line.patient_takes:
            assert found != Discrepancy.STOPPED_BUT_TAKEN
        if not any(x.on_discharge_list for x in lines):
            assert found in (Discrepancy.NONE, Discrepancy.DUPLICATION)
