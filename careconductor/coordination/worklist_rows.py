"""The worklist page's rows: the filtered items gathered per patient into the sections of the page (the bands of
the user's own work, then one section per colleague they cover for). Pure: the worklist is built already."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from . import forms, rules
from .rules import Band, WorkItem
from .worklist import Worklist

FOLD_AFTER = 10


def worklist_rows(worklist: Worklist, form: forms.WorklistFilterForm) -> list[dict[str, Any]]:
    """The filtered rows gathered per patient (one heading, then their rows, most pressing first); each patient
    sits in the section of their most pressing row. Work covered for an absent colleague comes after the user's
    own, in a section of its own per colleague ('Covering for … until …'), ranked the same way."""
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
    own, covering = worklist.split_covering(kept)
    sections: dict[Band, list[dict[str, Any]]] = defaultdict(list)
    for group in rules.group_by_patient(own):
        sections[group.band].append(_patient_rows(worklist, group.patient_id, group.items))
    # Long lists of reviews and routine work fold after a screenful of patients; what must happen today never does.
    out = []
    for b in Band:
        if groups := sections.get(b):
            fold = FOLD_AFTER if b >= Band.REVIEW else len(groups)
            out.append(
                {
                    "band": b,
                    "label": rules.BAND_LABELS[b],
                    "groups": groups[:fold],
                    "more": groups[fold:],
                    "patients": len(groups),
                    "count": sum(g["count"] for g in groups),
                }
            )
    for n, (cover, items) in enumerate(covering, 1):
        groups = [_patient_rows(worklist, g.patient_id, g.items) for g in rules.group_by_patient(items)]
        out.append(
            {
                "band": f"cover-{n}",
                "label": cover.label,
                "groups": groups,
                "more": [],
                "patients": len(groups),
                "count": sum(g["count"] for g in groups),
            }
        )
    return out


def _patient_rows(worklist: Worklist, patient_id: int, items: Iterable[WorkItem]) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [
        {
            "item": item,
            "case": worklist.cases.get(item.case_id) if item.case_id else None,
            "task": worklist.tasks.get(item.task_id) if item.task_id else None,
            "flag": worklist.flags.get(item.flag_id) if item.flag_id else None,
        }
        for item in items
    ]
    case = next((r["case"] for r in rows if r["case"] is not None), None)
    return {"patient": worklist.patients.get(patient_id), "case": case, "rows": rows, "count": len(rows)}
