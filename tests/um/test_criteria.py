"""Review criteria sets (issue 21): the shipped examples parse and say they are examples, a plan's own file
replaces or adds to them, broken files are refused with every problem named, and answers are evaluated by the
set's rule."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from careconductor.core.errors import ActionRefused
from careconductor.um import criteria
from careconductor.um.criteria import CriteriaSet, Question, evaluate, parse_criteria


def test_the_shipped_sets_parse_and_are_labelled_examples() -> None:
    sets = criteria.all_criteria()
    assert {"example-knee-mri", "example-home-oxygen"} <= set(sets)
    for found in sets.values():
        assert "example criteria, not clinical guidance" in found.title
        assert found.source == "shipped"
    assert [c.id for c in criteria.criteria_for(" 73721 ")] == ["example-knee-mri"]
    assert [c.id for c in criteria.criteria_for("e1390")] == ["example-home-oxygen"]
    assert criteria.criteria_for("99213") == []


def q(qid: str, meets: tuple[str, ...] = ("yes",)) -> Question:
    return Question(qid, f"{qid}?", ("yes", "no", "unknown"), frozenset(meets))


ALL = CriteriaSet("s", "S", ("73721",), "all", (q("a"), q("b"), q("c")))
ANY = CriteriaSet("s", "S", ("73721",), "any", (q("a"), q("b")))


@pytest.mark.parametrize(
    ("rules", "answers", "met", "not_met", "unanswered"),
    [
        (ALL, {"a": "yes", "b": "yes", "c": "yes"}, True, [], []),
        (ALL, {"a": "yes", "b": "no", "c": "yes"}, False, ["b"], []),
        (ALL, {"a": "no"}, False, ["a"], ["b", "c"]),  # one unmet question decides it
        (ALL, {"a": "yes", "b": "yes"}, None, [], ["c"]),  # not yet
        (ALL, {"a": "yes", "b": "unknown", "c": "yes"}, False, ["b"], []),  # "unknown" does not meet
        (ANY, {"b": "yes"}, True, [], ["a"]),  # one met question is enough
        (ANY, {"a": "no"}, None, ["a"], ["b"]),
        (ANY, {"a": "no", "b": "no"}, False, ["a", "b"], []),
    ],
)
def test_answers_against_the_sets_rule(
    rules: CriteriaSet, answers: dict[str, str], met: bool | None, not_met: list[str], unanswered: list[str]
) -> None:
    result = evaluate(rules, answers)
    assert result.met is met
    assert [x.id for x in result.not_met] == not_met
    assert [x.id for x in result.unanswered] == unanswered


GOOD = """
id = "my-set"
title = "My plan's set"
services = ["73721", "G0283"]
[[questions]]
id = "one"
text = "One?"
answers = ["yes", "no"]
meets = ["yes"]
"""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("id = ", "not valid TOML"),
        (GOOD.replace('id = "my-set"', 'id = "My Set"'), "id must be lower-case"),
        (GOOD.replace('id = "my-set"', 'id = "other"'), "must be the file's name"),
        (GOOD.replace('title = "My plan\'s set"', 'title = ""'), "title must be text"),
        (GOOD.replace('services = ["73721", "G0283"]', "services = []"), "services must list"),
        (GOOD.replace('"G0283"', '"knee"'), "service 'knee' is not a CPT or HCPCS code"),
        (GOOD.replace("[[questions]]", 'rule = "most"\n[[questions]]', 1), 'rule must be "all" or "any"'),
        (GOOD.replace('meets = ["yes"]', 'meets = ["maybe"]'), "meets must list one or more of its answers"),
        (GOOD.replace('answers = ["yes", "no"]', 'answers = ["yes"]'), "answers must list two or more"),
        (
            GOOD + '[[questions]]\nid = "one"\ntext = "Again?"\nanswers = ["a", "b"]\nmeets = ["a"]\n',
            "used twice",
        ),
        (GOOD.split("[[questions]]")[0], "questions must list at least one"),
    ],
)
def test_a_broken_file_is_refused_naming_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ActionRefused, match="my-set.toml: .*" + re.escape(problem)):
        parse_criteria(text, "my-set.toml")


def test_a_plans_own_file_replaces_or_adds_and_a_broken_one_is_left_out(settings, tmp_path: Path) -> None:
    settings.DATA_HOME = tmp_path
    folder = tmp_path / "um-criteria"
    folder.mkdir()
    (folder / "my-set.toml").write_text(GOOD)
    (folder / "example-knee-mri.toml").write_text(
        GOOD.replace('id = "my-set"', 'id = "example-knee-mri"').replace(
            "My plan's set", "Our knee MRI rules"
        )
    )
    (folder / "broken.toml").write_text("id = ")
    sets = criteria.all_criteria()
    assert sets["my-set"].source == "deployer" and sets["example-knee-mri"].title == "Our knee MRI rules"
    assert "example-home-oxygen" in sets and "broken" not in sets
    assert [e.split(":")[0] for e in criteria.criteria_errors()] == ["broken.toml"]
    assert [c.id for c in criteria.criteria_for("G0283")] == ["my-set", "example-knee-mri"]  # by title
