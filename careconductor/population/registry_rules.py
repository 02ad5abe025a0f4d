"""A registry's rule (issue 22): a small language over the facts stratification keeps for each member, saved as
the text a person wrote, parsed here into a tree that is evaluated two ways: one member at a time in plain Python
(`matches`, the obviously correct reading, for tests and one-off checks) and as a Polars expression over the
whole population (`expression`, what the nightly run uses). Pure; tested as tables and by a property test that
the two readings agree.

    heart_failure AND (admissions >= 2 OR lace >= 10)
    diabetes AND NOT ambulatory_visits > 0
    tier >= 3 OR readmitted

A rule is conditions (a member has one when an active, unlabelled diagnosis of that kind is on record: the words
in CONDITIONS), comparisons of a fact with a whole number (FACTS; `=`, `!=`, `<`, `<=`, `>`, `>=`, and `≥ ≤ ≠`)
and the flags `readmitted` and `hba1c_gap` on their own, joined by AND, OR, NOT and brackets (AND binds tighter than OR). Words are not
case-sensitive. A member without a LACE score matches no comparison of `lace`."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from typing import Any

import polars as pl

from careconductor.assessments import risk

MAX_RULE = 1_000

# Condition words → the ICD-10-CM prefixes that give a member the condition (the Charlson groups of
# assessments.risk, Quan 2005, clinical.md §4.3, and two common ones Charlson does not weigh).
CONDITIONS: dict[str, tuple[str, ...]] = {
    "heart_failure": risk.QUAN_ICD10[risk.HEART_FAILURE],
    "diabetes": risk.QUAN_ICD10[risk.DIABETES] + risk.QUAN_ICD10[risk.DIABETES_COMPLICATED],
    "copd": risk.QUAN_ICD10[risk.CHRONIC_PULMONARY],
    "kidney_disease": risk.QUAN_ICD10[risk.RENAL],
    "dementia": risk.QUAN_ICD10[risk.DEMENTIA],
    "stroke": risk.QUAN_ICD10[risk.CEREBROVASCULAR],
    "heart_attack": risk.QUAN_ICD10[risk.MYOCARDIAL_INFARCTION],
    "cancer": risk.QUAN_ICD10[risk.MALIGNANCY] + risk.QUAN_ICD10[risk.METASTATIC],
    "liver_disease": risk.QUAN_ICD10[risk.MILD_LIVER] + risk.QUAN_ICD10[risk.SEVERE_LIVER],
    "vascular_disease": risk.QUAN_ICD10[risk.PERIPHERAL_VASCULAR],
    "hypertension": ("I10", "I11", "I12", "I13", "I15", "I16"),
    "depression": ("F32", "F33"),
}

# Fact words → MemberRisk's columns, with what they mean for the help beside the form.
FACTS: dict[str, tuple[str, str]] = {
    "tier": ("tier", "risk tier, 1 low to 4 intensive"),
    "admissions": ("admissions_12m", "hospital admissions in 12 months"),
    "ed_visits": ("ed_visits_12m", "emergency visits in 12 months"),
    "ambulatory_visits": ("ambulatory_visits_12m", "office or virtual visits in 12 months"),
    "chronic_conditions": ("chronic_conditions", "distinct active diagnoses"),
    "charlson": ("charlson", "Charlson comorbidity index"),
    "lace": ("last_lace", "LACE index at the last discharge (none: never compared true)"),
    "hospital": ("last_hospital", "HOSPITAL score at the last discharge (none: never compared true)"),
    "medications": ("active_medications", "medications taken now"),
    "social_needs": ("social_needs", "open social needs (food, housing, transport, utilities, safety …)"),
}
FLAGS: dict[str, str] = {"readmitted": "readmitted_30d", "hba1c_gap": "hba1c_gap"}
OPERATORS = {"≥": ">=", "≤": "<=", "≠": "!=", "==": "="}
KEYWORDS = ("and", "or", "not")


def conditions_of(icd10_codes: tuple[str, ...]) -> tuple[str, ...]:
    """The condition words a member's active diagnosis codes give them, in CONDITIONS' order."""
    normal = [code.strip().replace(".", "").upper() for code in icd10_codes]
    return tuple(word for word, prefixes in CONDITIONS.items() if any(c.startswith(prefixes) for c in normal))


class RuleError(ValueError):
    """A rule that cannot be read, with where and why in words a person can act on."""


@dataclass(frozen=True)
class Has:
    condition: str


@dataclass(frozen=True)
class Flag:
    fact: str


@dataclass(frozen=True)
class Compare:
    fact: str
    op: str
    number: int


@dataclass(frozen=True)
class Not:
    part: Rule


@dataclass(frozen=True)
class All:
    parts: tuple[Rule, ...]


@dataclass(frozen=True)
class Any_:
    parts: tuple[Rule, ...]


Rule = Has | Flag | Compare | Not | All | Any_

_TOKEN = re.compile(r"\s*(?:(?P<number>[0-9]+)|(?P<word>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>>=|<=|!=|==|[<>=≥≤≠])"
                    r"|(?P<bracket>[()]))")  # fmt: skip


def _tokens(text: str) -> list[tuple[str, str, int]]:
    tokens, at = [], 0
    while at < len(text):
        if text[at:].strip() == "":
            break
        found = _TOKEN.match(text, at)
        if found is None or found.lastgroup is None:
            where = len(text[:at]) + len(text[at:]) - len(text[at:].lstrip())
            raise RuleError(f"“{text[where]}” at character {where + 1} is not part of the rule language.")
        kind, value = found.lastgroup, found.group(found.lastgroup)
        tokens.append(
            (kind, value.lower() if kind == "word" else OPERATORS.get(value, value), found.start(kind))
        )
        at = found.end()
    return tokens


def _unknown(word: str, at: int) -> RuleError:
    known = [*CONDITIONS, *FACTS, *FLAGS]
    close = difflib.get_close_matches(word, known, n=1)
    hint = f" Did you mean “{close[0]}”?" if close else " The words are listed beside the rule."
    return RuleError(f"“{word}” at character {at + 1} is not a condition or fact.{hint}")


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise RuleError("The rule ends too early: a condition, fact or bracket is missing at the end.")
        self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token[0] == "word" and token[1] == word:
            self.at += 1
            return True
        return False

    def any_(self) -> Rule:
        parts = [self.all_()]
        while self.keyword("or"):
            parts.append(self.all_())
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def all_(self) -> Rule:
        parts = [self.one()]
        while self.keyword("and"):
            parts.append(self.one())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def one(self) -> Rule:
        if self.keyword("not"):
            return Not(self.one())
        kind, value, at = self.take()
        if kind == "bracket" and value == "(":
            inner = self.any_()
            closing = self.peek()
            if closing is None or closing[:2] != ("bracket", ")"):
                raise RuleError(f"The bracket opened at character {at + 1} is not closed.")
            self.at += 1
            return inner
        if kind != "word" or value in KEYWORDS:
            raise RuleError(
                f"“{value}” at character {at + 1} cannot stand here: a condition or fact is expected."
            )
        if value in CONDITIONS:
            return Has(value)
        if value in FLAGS:
            return Flag(value)
        if value not in FACTS:
            raise _unknown(value, at)
        op = self.take()
        if op[0] != "op":
            raise RuleError(f"“{value}” at character {at + 1} needs a comparison, such as “{value} >= 2”.")
        number = self.take()
        if number[0] != "number":
            raise RuleError(
                f"A whole number is expected after “{value} {op[1]}” (character {number[2] + 1})."
            )
        if len(number[1]) > 6:
            raise RuleError(f"{number[1]} at character {number[2] + 1} is too large for any fact.")
        return Compare(value, op[1], int(number[1]))


def parse(text: str) -> Rule:
    """The rule a text says, or RuleError naming what is wrong and where."""
    if not text.strip():
        raise RuleError("Write the rule: which members belong in the registry.")
    if len(text) > MAX_RULE:
        raise RuleError(f"Keep the rule to {MAX_RULE:,} characters (it has {len(text):,}).")
    parser = _Parser(text)
    rule = parser.any_()
    rest = parser.peek()
    if rest is not None:
        raise RuleError(f"“{rest[1]}” at character {rest[2] + 1} is not joined to the rule by AND or OR.")
    return rule


def text_of(rule: Rule) -> str:
    """The rule written back in its plain form (words lower-case, brackets where they are needed)."""
    match rule:
        case Has(condition):
            return condition
        case Flag(fact):
            return fact
        case Compare(fact, op, number):
            return f"{fact} {op} {number}"
        case Not(part):
            inner = text_of(part)
            return f"NOT ({inner})" if isinstance(part, All | Any_) else f"NOT {inner}"
        case All(parts):
            return " AND ".join(f"({text_of(p)})" if isinstance(p, Any_) else text_of(p) for p in parts)
        case Any_(parts):
            return " OR ".join(text_of(p) for p in parts)
    raise TypeError(rule)


def _compare(left: Any, op: str, right: int) -> Any:
    match op:
        case "=":
            return left == right
        case "!=":
            return left != right
        case "<":
            return left < right
        case "<=":
            return left <= right
        case ">":
            return left > right
        case ">=":
            return left >= right
    raise ValueError(op)


def matches(rule: Rule, facts: Mapping[str, Any]) -> bool:
    """Whether one member's facts (MemberRisk's columns, with `conditions` a collection of condition words)
    meet the rule."""
    match rule:
        case Has(condition):
            return condition in facts["conditions"]
        case Flag(fact):
            return bool(facts[FLAGS[fact]])
        case Compare(fact, op, number):
            value = facts[FACTS[fact][0]]
            return value is not None and bool(_compare(value, op, number))
        case Not(part):
            return not matches(part, facts)
        case All(parts):
            return all(matches(p, facts) for p in parts)
        case Any_(parts):
            return any(matches(p, facts) for p in parts)
    raise TypeError(rule)


def expression(rule: Rule) -> pl.Expr:
    """The rule as a Polars expression over a frame of MemberRisk's columns (`conditions` a list of words).
    A comparison with a missing value is false, never null, so NOT reads as it does in `matches`."""
    match rule:
        case Has(condition):
            return pl.col("conditions").list.contains(condition).fill_null(False)
        case Flag(fact):
            return pl.col(FLAGS[fact]).fill_null(False)
        case Compare(fact, op, number):
            return _compare(pl.col(FACTS[fact][0]), op, number).fill_null(False)
        case Not(part):
            return ~expression(part)
        case All(parts):
            return reduce(lambda a, b: a & b, (expression(p) for p in parts))
        case Any_(parts):
            return reduce(lambda a, b: a | b, (expression(p) for p in parts))
    raise TypeError(rule)
