"""The worklist page's rows: the filtered items gathered per patient into the sections of the page, one per band.
Pure: the worklist is built already.

Work the user covers for an absent colleague is ranked with their own (issue 18): an overdue covered contact
sits among the user's overdue contacts, not after all of them, and each of its rows says whose it is
('Covering for … until …')."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.http import QueryDict

from careconductor.cases.choices import Program

from . import forms, rules
from .rules import Band, WorkItem
from .worklist import Worklist

FOLD_AFTER = 10  # patients shown in a band of reviews or routine work before "show all"


def worklist_rows(
    worklist: Worklist, form: forms.WorklistFilterForm, query: QueryDict | None = None
) -> list[dict[str, Any]]:
    """The filtered rows gathered per patient (one heading, then their rows, most pressing first); each patient
    sits in the band of their most pressing row. Long bands of reviews and routine work show a screenful of
    patients and link to the band alone (`more_query`: the page's filters with that band); what must happen
    today is never folded."""
    filters = form.cleaned_data if form.is_valid() else {}
    program, tier, band = filters.get("program") or "", filters.get("tier"), filters.get("band")
    kept = []
    for item in worklist.items:
        case = worklist.cases.get(item.case_id) if item.case_id else None
        if program and item.program != program and not (case and case.program == program):
            continue
        if tier is not None and (case.acuity_tier if case else item.acuity_tier) != tier:
            continue
        if band is not None and item.band != band:
            continue
        kept.append(item)
    groups: dict[Band, list[rules.PatientGroup]] = defaultdict(list)
    for group in rules.group_by_patient(kept):
        groups[group.band].append(group)
    out = []
    for b in Band:
        if found := groups.get(b):
            fold = FOLD_AFTER if b >= Band.REVIEW and band is None else len(found)
            more = query.copy() if query is not None else QueryDict(mutable=True)
            more["band"] = str(int(b))
            out.append(
                {
                    "band": b,
                    "label": rules.BAND_LABELS[b],
                    "groups": [_patient_rows(worklist, g.patient_id, g.items) for g in found[:fold]],
                    "more": max(0, len(found) - fold),  # fewer than FOLD_AFTER: none hidden
                    "more_query": more.urlencode(),
                    "patients": len(found),
                    "count": sum(len(g.items) for g in found),
                }
            )
    return out


def _patient_rows(worklist: Worklist, patient_id: int, items: Iterable[WorkItem]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for item in items:
        absent = worklist.covered_by(item)
        case = worklist.cases.get(item.case_id) if item.case_id else None
        rows.append(
            {
                "item": item,
                "case": case,
                # Every item about a case carries its programme, also when the case is not the user's (a
                # pharmacist's task on someone else's case).
                "program": Program(item.program).label if item.program else "",
                "task": worklist.tasks.get(item.task_id) if item.task_id else None,
                "flag": worklist.flags.get(item.flag_id) if item.flag_id else None,
                "covering": worklist.covering[absent] if absent is not None else None,
            }
        )
    case = next((r["case"] for r in rows if r["case"] is not None), None)
    return {"patient": worklist.patients.get(patient_id), "case": case, "rows": rows, "count": len(rows)}
