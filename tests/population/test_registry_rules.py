"""A registry's rule language (population/registry_rules.py): what parses and what is refused in words, as tables;
with hypothesis, that any text is read or refused (never another error), that the plain Python reading and the
Polars expression the nightly run uses agree on random rules and members, and that a rule written back reads the
same."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careconductor.population.registry_rules import (
    CONDITIONS,
    FACTS,
    FLAGS,
    All,
    Any_,
    Compare,
    Flag,
    Has,
    Not,
    Rule,
    RuleError,
    conditions_of,
    expression,
    matches,
    parse,
    text_of,
)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("heart_failure", Has("heart_failure")),
        ("tier >= 3", Compare("tier", ">=", 3)),
        ("LACE ≥ 10", Compare("lace", ">=", 10)),
        ("charlson≠0", Compare("charlson", "!=", 0)),
        ("admissions == 2", Compare("admissions", "=", 2)),
        ("readmitted", Flag("readmitted")),
        ("not copd", Not(Has("copd"))),
        (
            "diabetes and hypertension or copd",
            Any_((All((Has("diabetes"), Has("hypertension"))), Has("copd"))),
        ),
        (
            "heart_failure AND (admissions >= 2 OR lace >= 10)",
            All((Has("heart_failure"), Any_((Compare("admissions", ">=", 2), Compare("lace", ">=", 10))))),
        ),
        ("  ((dementia))  ", Has("dementia")),
    ],
)
def test_rules_that_parse(text: str, rule: Rule) -> None:
    assert parse(text) == rule


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Write the rule"),
        ("   ", "Write the rule"),
        ("hart_failure", "Did you mean “heart_failure”?"),
        ("tier >", "ends too early"),
        ("tier 3", "needs a comparison"),
        ("tier >= many", "A whole number is expected"),
        ("tier >= ٣", "“٣” at character 9 is not part of the rule language"),
        ("tier >= ²", "is not part of the rule language"),
        ("lace >= 99999999999999999999", "too large"),
        ("(copd", "bracket opened at character 1 is not closed"),
        ("copd)", "“)” at character 5 is not joined"),
        ("copd diabetes", "“diabetes” at character 6 is not joined to the rule by AND or OR"),
        ("and copd", "“and” at character 1 cannot stand here"),
        ("copd; drop table", "“;” at character 5 is not part of the rule language"),
        ("x" * 1_001, "Keep the rule to 1,000 characters"),
    ],
)
def test_rules_that_are_refused_say_what_and_where(text: str, says: str) -> None:
    with pytest.raises(RuleError) as refused:
        parse(text)
    assert says in str(refused.value)


@pytest.mark.parametrize(
    ("codes", "conditions"),
    [
        (("I50.9",), ("heart_failure",)),
        (("e11.65", "I10"), ("diabetes", "hypertension")),
        (("J44.9", "N18.30", "C78.00"), ("copd", "kidney_disease", "cancer")),
        (("F32.A", "Z00.00"), ("depression",)),
        ((), ()),
    ],
)
def test_the_condition_words_a_members_codes_give(
    codes: tuple[str, ...], conditions: tuple[str, ...]
) -> None:
    assert conditions_of(codes) == conditions


# --- random rules and members: the two readings agree -------------------------------------------------------------
LEAF = st.one_of(
    st.sampled_from(sorted(CONDITIONS)).map(Has),
    st.sampled_from(sorted(FLAGS)).map(Flag),
    st.builds(Compare, st.sampled_from(sorted(FACTS)), st.sampled_from(["=", "!=", "<", "<=", ">", ">="]),
              st.integers(0, 12)),
)  # fmt: skip
RULES = st.recursive(
    LEAF,
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: All(tuple(parts))),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: Any_(tuple(parts))),
    ),
    max_leaves=8,
)
MEMBER = st.fixed_dictionaries(
    {
        "tier": st.integers(1, 4),
        "admissions_12m": st.integers(0, 5),
        "ed_visits_12m": st.integers(0, 5),
        "ambulatory_visits_12m": st.integers(0, 5),
        "chronic_conditions": st.integers(0, 8),
        "charlson": st.integers(0, 12),
        "last_lace": st.none() | st.integers(0, 19),
        "last_hospital": st.none() | st.integers(0, 13),
        "active_medications": st.integers(0, 10),
        "readmitted_30d": st.booleans(),
        "social_needs": st.integers(0, 4),
        "hba1c_gap": st.booleans(),
        "conditions": st.lists(st.sampled_from(sorted(CONDITIONS)), unique=True, max_size=4),
    }
)


@settings(max_examples=150, deadline=None)
@given(rule=RULES, members=st.lists(MEMBER, min_size=1, max_size=8))
def test_the_polars_expression_keeps_exactly_the_members_the_rule_matches(
    rule: Rule, members: list[dict[str, Any]]
) -> None:
    frame = pl.DataFrame(
        [m | {"patient_id": n} for n, m in enumerate(members)],
        schema_overrides={"last_lace": pl.Int64, "last_hospital": pl.Int64, "conditions": pl.List(pl.Utf8)},
    )
    kept = set(frame.filter(expression(rule))["patient_id"].to_list())
    assert kept == {n for n, m in enumerate(members) if matches(rule, m)}


@settings(max_examples=150, deadline=None)
@given(rule=RULES, member=MEMBER)
def test_a_rule_written_back_reads_the_same(rule: Rule, member: dict[str, Any]) -> None:
    again = parse(text_of(rule))
    assert matches(again, member) == matches(rule, member)
    assert text_of(parse(text_of(again))) == text_of(again)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("()<>=!≥ 019aANDORNOTtierlacecopd_ ٣²;")), max_size=40))
def test_any_text_is_read_or_refused_in_words(text: str) -> None:
    try:
        parse(text)
    except RuleError as refused:
        assert str(refused)
