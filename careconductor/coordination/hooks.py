"""Places where apps built on coordination add to it without an import cycle: assessments and care plans
register worklist sources and closing-summary sections from their AppConfig.ready()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from careconductor.cases.models import Case

    from .rules import WorkItem

# A source gets the cases on a worklist (already permission-checked, with patient loaded) and today, and
# returns work items. It must use a fixed number of queries, whatever the number of cases.
WorklistSource = Callable[[Sequence["Case"], dt.date], list["WorkItem"]]
# A section gets a case and returns (heading, lines) for its closing summary.
SummarySection = Callable[["Case"], tuple[str, list[str]]]

WORKLIST_SOURCES: list[WorklistSource] = []
SUMMARY_SECTIONS: list[SummarySection] = []


def worklist_source(fn: WorklistSource) -> WorklistSource:
    if fn not in WORKLIST_SOURCES:
        WORKLIST_SOURCES.append(fn)
    return fn


def summary_section(fn: SummarySection) -> SummarySection:
    if fn not in SUMMARY_SECTIONS:
        SUMMARY_SECTIONS.append(fn)
    return fn
