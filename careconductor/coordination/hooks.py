"""Places where apps built on coordination add to it without an import cycle: assessments and care plans
register worklist sources and closing-summary sections from their AppConfig.ready(); the portal (engagement)
registers what counts as reaching the patient besides the contact log; each app that raises flags and tasks by
a rule gives the rule's words for the screens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.db.models import Subquery

    from careconductor.cases.models import Case

    from .rules import WorkItem

# A source gets the cases on a worklist (already permission-checked, with patient loaded) and today, and
# returns work items. It must use a fixed number of queries, whatever the number of cases.
WorklistSource = Callable[[Sequence["Case"], dt.date], list["WorkItem"]]
# A section gets a case and returns (heading, lines) for its closing summary.
SummarySection = Callable[["Case"], tuple[str, list[str]]]

# A reach source names what the patient did themselves (checked in, wrote a message …) and gives, for each, a
# subquery of its latest moment for OuterRef("patient_id"): annotated on the cases' own query, so it costs no
# query of its own (coordination/reach.py).
ReachSource = Callable[[], list[tuple[str, "Subquery"]]]

# The words for each rule that raises a flag or a task (Task.rule, Flag.rule): the rule is kept as a code.
RULE_LABELS: dict[str, str] = {"closure-approval": "Closing a case needs the supervisor's approval"}

WORKLIST_SOURCES: list[WorklistSource] = []
SUMMARY_SECTIONS: list[SummarySection] = []
REACH_SOURCES: list[ReachSource] = []


def worklist_source(fn: WorklistSource) -> WorklistSource:
    if fn not in WORKLIST_SOURCES:
        WORKLIST_SOURCES.append(fn)
    return fn


def reach_source(fn: ReachSource) -> ReachSource:
    if fn not in REACH_SOURCES:
        REACH_SOURCES.append(fn)
    return fn


def summary_section(fn: SummarySection) -> SummarySection:
    if fn not in SUMMARY_SECTIONS:
        SUMMARY_SECTIONS.append(fn)
    return fn


def rule_labels(labels: Mapping[str, str]) -> None:
    RULE_LABELS.update(labels)


def rule_label(rule: str) -> str:
    """The rule in words for the screens (the code itself for a rule no app has named)."""
    return RULE_LABELS.get(rule, rule)
