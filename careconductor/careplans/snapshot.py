"""A version's content: the whole plan as plain data, built from the working rows, and the comparison of two.

Plain data (not rows) so a version never changes after it is made, a printout of version 2 is what the patient
saw then, and comparing any two versions needs no history tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Prefetch

from .models import Barrier, CarePlan, Goal, GoalStep, Intervention

SNAPSHOT_FORMAT = 1


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _decimal(value: Any) -> str | None:
    return None if value is None else f"{value:f}"


def build(plan: CarePlan, hidden_problems: set[int] | frozenset[int] = frozenset()) -> dict[str, Any]:
    """The plan as it stands now (five queries, whatever its size), without `hidden_problems` (problems made
    from a sensitive record, for a reader who may not see it)."""
    return without_problems(_build(plan), hidden_problems)


def without_problems(content: dict[str, Any], hidden: set[int] | frozenset[int]) -> dict[str, Any]:
    """A version's content without the given problems, and goals without links to them: a reader sees no
    problem made from a sensitive record they may not see, in any version. A goal made only for such problems
    goes too, with its interventions: its words name the record (queries.visible_goals is the same rule)."""
    if not hidden:
        return content
    goals = [g for g in content.get("goals", []) if not is_only_for(g.get("problems", []), hidden)]
    kept = {g["id"] for g in goals}
    dropped = {g["id"] for g in content.get("goals", [])} - kept
    return {
        **content,
        "problems": [p for p in content.get("problems", []) if p["id"] not in hidden],
        "goals": [{**g, "problems": [pk for pk in g.get("problems", []) if pk not in hidden]} for g in goals],
        "interventions": [i for i in content.get("interventions", []) if i.get("goal_id") not in dropped],
    }


def is_only_for(problems: list[int], hidden: set[int] | frozenset[int]) -> bool:
    """A goal linked to problems, every one of them hidden from the reader."""
    return bool(problems) and all(pk in hidden for pk in problems)


def _build(plan: CarePlan) -> dict[str, Any]:
    problems = list(plan.problems.select_related("condition"))
    goals = list(
        Goal.objects.filter(plan=plan)
        .prefetch_related(
            Prefetch("steps", queryset=GoalStep.objects.order_by("position", "pk")),
            Prefetch("barriers", queryset=Barrier.objects.order_by("resolved", "pk")),
            "problems",
        )
        .order_by(F("patient_rank").asc(nulls_last=True), "pk")
    )
    interventions = list(
        Intervention.objects.filter(plan=plan)
        .select_related("owner", "task")
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )
    return {
        "format": SNAPSHOT_FORMAT,
        "title": plan.title,
        "problems": [
            {
                "id": p.pk,
                "title": p.title,
                "source": p.source,
                "condition_id": p.condition_id,
                "category": p.condition.category,
                "icd10_code": p.condition.icd10_code,
                "patient_priority": p.patient_priority,
            }
            for p in problems
        ],
        "goals": [
            {
                "id": g.pk,
                "patient_words": g.patient_words,
                "statement": g.statement,
                "proposed_by": g.proposed_by,
                "agreement": g.agreement,
                "patient_rank": g.patient_rank,
                "measure": g.measure,
                "measure_label": g.measure_label,
                "baseline": g.baseline_label,
                "target": g.target_label,
                "target_value": _decimal(g.target_value),
                "due_on": _day(g.due_on),
                "lifecycle": g.lifecycle,
                "problems": sorted(p.pk for p in g.problems.all()),
                "steps": [{"id": s.pk, "text": s.text, "due_on": _day(s.due_on)} for s in g.steps.all()],
                "barriers": [
                    {
                        "id": b.pk,
                        "kind": b.kind,
                        "description": b.description,
                        "response": b.response,
                        "resolved": b.resolved,
                    }
                    for b in g.barriers.all()
                ],
            }
            for g in goals
        ],
        "interventions": [
            {
                "id": i.pk,
                "goal_id": i.goal_id,
                "kind": i.kind,
                "title": i.title,
                "detail": i.detail,
                "owner_type": i.owner_type,
                "owner_id": i.owner_id,
                "owner": i.owner_label,
                "due_on": _day(i.due_on),
                "task_id": i.task_id,
            }
            for i in interventions
        ],
        "decisions": [
            {
                "id": d.pk,
                "question": d.question,
                "options": d.options,
                "what_matters": d.what_matters,
                "decision": d.decision,
                "participants": d.participants,
                "decided_on": _day(d.decided_on),
            }
            for d in plan.decisions.order_by("decided_on", "pk")
        ],
    }


# --- comparing two versions -------------------------------------------------------------------------------------
SECTIONS = {
    "problems": ("Problem", "title"),
    "goals": ("Goal", "patient_words"),
    "interventions": ("Intervention", "title"),
    "decisions": ("Decision", "question"),
}
# Fields worth telling a person about, with their names on the screen. Ids and derived fields are left out.
FIELDS = {
    "problems": {"title": "Problem", "patient_priority": "Patient's priority", "icd10_code": "Code"},
    "goals": {
        "patient_words": "In the patient's words",
        "statement": "Clinical statement",
        "agreement": "Patient agreement",
        "patient_rank": "Patient's rank",
        "measure_label": "Measure",
        "baseline": "Baseline",
        "target": "Target",
        "due_on": "Due",
        "lifecycle": "Status",
        "problems": "Problems addressed",
    },
    "interventions": {
        "title": "Intervention",
        "kind": "Kind",
        "detail": "Detail",
        "owner": "Owner",
        "due_on": "Due",
        "goal_id": "Goal",
    },
    "decisions": {
        "question": "Decision to make",
        "options": "Options",
        "what_matters": "What matters most",
        "decision": "Decision",
        "participants": "Who took part",
    },
}
CHILDREN = {"steps": ("Step", "text"), "barriers": ("Barrier", "description")}


@dataclass
class Change:
    section: str
    kind: str  # added, removed, changed
    label: str
    fields: list[tuple[str, Any, Any]] = field(default_factory=list)


def _text(value: Any) -> Any:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "; ".join(" / ".join(str(v) for v in item.values() if v) for item in value)
    return value


def _child(item: dict[str, Any]) -> str:
    return " · ".join(str(_text(v)) for k, v in item.items() if k != "id" and v not in (None, ""))


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """What changed from `old` to `new`, section by section, matched by row id."""
    changes: list[Change] = []
    if old.get("title") != new.get("title"):
        changes.append(
            Change("plan", "changed", "Plan title", [("Title", old.get("title"), new.get("title"))])
        )
    for section, (noun, name) in SECTIONS.items():
        before = {item["id"]: item for item in old.get(section, [])}
        after = {item["id"]: item for item in new.get(section, [])}
        for key, item in after.items():
            if key not in before:
                changes.append(Change(section, "added", f"{noun}: {item[name]}"))
                continue
            fields = [
                (label, _text(before[key].get(f)), _text(item.get(f)))
                for f, label in FIELDS[section].items()
                if before[key].get(f) != item.get(f)
            ]
            for child, (child_noun, child_name) in CHILDREN.items() if section == "goals" else ():
                was = {c["id"]: c for c in before[key].get(child, [])}
                now = {c["id"]: c for c in item.get(child, [])}
                fields += [
                    (f"{child_noun} added", None, c[child_name]) for k, c in now.items() if k not in was
                ]
                fields += [
                    (f"{child_noun} removed", c[child_name], None) for k, c in was.items() if k not in now
                ]
                fields += [
                    (child_noun, _child(was[k]), _child(c))
                    for k, c in now.items()
                    if k in was and was[k] != c
                ]
            if fields:
                changes.append(Change(section, "changed", f"{noun}: {item[name]}", fields))
        changes += [
            Change(section, "removed", f"{noun}: {item[name]}")
            for key, item in before.items()
            if key not in after
        ]
    return changes
