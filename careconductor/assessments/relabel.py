"""Labelling risk scores computed before scores carried a label (assessments migration 0003).

A score now takes the label of the sensitive records it counted when it is computed (chart_facts.risk_results).
Older scores have none, so a LACE or Charlson score that names a 42 CFR Part 2 diagnosis was shown to anyone
who sees the chart until it was computed again. Their basis names every diagnosis that gave points, or that
was looked at and gave none, so a score is labelled when its basis names a labelled diagnosis of the patient.
Works on the historical models a migration passes, and on the real ones in tests."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

# Labels from the stricter down: Part 2 wins when a score counted both.
STRICTEST_FIRST = ("part2", "psychotherapy")
_TOKEN = re.compile(r"[A-Za-z0-9.]+")


def _codes_in(text: str) -> set[str]:
    return {token.rstrip(".").upper() for token in _TOKEN.findall(text)}


def label_for(basis: list[dict[str, Any]], labelled_codes: dict[str, str]) -> str:
    """The label a score's basis calls for: that of the strictest labelled code it names, or "" (pure)."""
    named = set()
    for line in basis:
        named |= _codes_in(str(line.get("input", "")))
    found = {label for code, label in labelled_codes.items() if code in named}
    return next((label for label in STRICTEST_FIRST if label in found), "")


def relabel_old_scores(risk_score_model: Any, condition_model: Any) -> int:
    """Label the unlabelled scores whose basis names a labelled diagnosis of their patient; how many changed."""
    labelled: dict[int, dict[str, str]] = defaultdict(dict)
    rows = condition_model.objects.exclude(sensitivity="").values_list(
        "patient_id", "icd10_code", "sensitivity"
    )
    for patient_id, code, label in rows:
        key = code.strip().rstrip(".").upper()
        if key and labelled[patient_id].get(key) != "part2":
            labelled[patient_id][key] = label
    changed = 0
    scores = risk_score_model.objects.filter(sensitivity="", patient_id__in=list(labelled)).only(
        "pk", "patient_id", "basis"
    )
    for score in scores.iterator():
        label = label_for(score.basis or [], labelled[score.patient_id])
        if label:
            risk_score_model.objects.filter(pk=score.pk).update(sensitivity=label)
            changed += 1
    return changed
