"""Goal create: a partner adds a goal to a patient's care plan as the plan screen does (careplans.actions
do_add_goal, with its checks): in the patient's own words (description.text), the clinical statement as a note,
one target (the measure, LOINC-coded where it has a code, else in words; a number in detailQuantity or words in
detailString; dueDate), the plan's conditions it is for (addresses), who proposed it and whether the patient
agrees. The goal is proposed: it starts when a version of the plan with it comes into force (a CarePlan update
with a new note), as on the screens. The plan is the one named in the extension goal-care-plan, else the
patient's only plan being worked on."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from careconductor.careplans.actions.goals import do_add_goal
from careconductor.careplans.choices import GoalAgreement, GoalLifecycle, PlanStatus, Proposer
from careconductor.careplans.measures import BY_LOINC, LOINC, MEASURES
from careconductor.careplans.models import CarePlan, Goal
from careconductor.patients.models import Patient
from careconductor.privacy import policy

from ..auth import Caller
from .common import EXT, parse_day, reference_id, refused, visible_patient

PLAN_EXT = EXT + "goal-care-plan"
RANK_EXT = EXT + "goal-patient-rank"
PROPOSED_BY_EXT = EXT + "goal-proposed-by"
AGREEMENT_EXT = EXT + "goal-patient-agreement"
STATEMENT = "Clinical statement: "
# Measures without a code are named by their label (as served): the label finds the measure again.
BY_LABEL = {m.label.casefold(): m for m in MEASURES.values() if not m.loinc and m.key != "other"}
# The largest value careplans.Goal keeps (9 digits, 2 of them decimals).
LIMIT = Decimal("9999999.99")


def _extension(resource: dict[str, Any], url: str) -> dict[str, Any] | None:
    found = [e for e in resource.get("extension") or [] if isinstance(e, dict) and e.get("url") == url]
    return found[0] if found else None


def _code(resource: dict[str, Any], url: str, allowed: list[str], default: str) -> str:
    found = _extension(resource, url)
    if found is None:
        return default
    value = found.get("valueCode")
    if value not in allowed:
        raise refused("Goal.extension", f"{url} has valueCode one of {', '.join(allowed)}.")
    return str(value)


def _plan(patient: Patient, resource: dict[str, Any]) -> CarePlan:
    open_plans = list(
        patient.care_plans.filter(status__in=(PlanStatus.DRAFT, PlanStatus.ACTIVE)).order_by("pk")
    )
    named = _extension(resource, PLAN_EXT)
    if named is not None:
        key = reference_id(named.get("valueReference"), "CarePlan", "Goal.extension")
        plan = next((p for p in open_plans if p.pk == key), None)
        if plan is None:
            raise refused("Goal.extension", f"CarePlan/{key} is not a plan of this patient being worked on.")
        return plan
    if not open_plans:
        raise refused(
            "Goal.subject", "This patient has no care plan being worked on: create one (CarePlan) first."
        )
    if len(open_plans) > 1:
        raise refused(
            "Goal.extension",
            f"This patient has several plans being worked on: name the goal's plan in the extension {PLAN_EXT} "
            f"({', '.join(f'CarePlan/{p.pk}' for p in open_plans)}).",
        )
    return open_plans[0]


def _words(resource: dict[str, Any]) -> tuple[str, str]:
    """The goal in the patient's words and the clinical statement (the notes)."""
    description = resource.get("description")
    words = description.get("text") if isinstance(description, dict) else None
    if not isinstance(words, str) or not words.strip():
        raise refused("Goal.description", "Write the goal as the patient says it in Goal.description.text.")
    notes = [n.get("text") if isinstance(n, dict) else None for n in resource.get("note") or []]
    if any(not isinstance(text, str) for text in notes):
        raise refused("Goal.note", "A note has its words in Goal.note.text.")
    statement = " ".join(str(text).removeprefix(STATEMENT).strip() for text in notes)
    return words.strip(), statement.strip()


def _target(resource: dict[str, Any]) -> dict[str, Any]:
    targets = resource.get("target") or []
    if len(targets) != 1 or not isinstance(targets[0], dict):
        raise refused("Goal.target", "A goal has one target: its measure and what reaching it looks like.")
    target = targets[0]
    fields: dict[str, Any] = {"due_on": parse_day(target.get("dueDate"), "Goal.target.dueDate")}
    node = target.get("measure")
    measure_node: dict[str, Any] = node if isinstance(node, dict) else {}
    codes = [c.get("code") for c in measure_node.get("coding") or [] if isinstance(c, dict)
             and c.get("system") == LOINC]  # fmt: skip
    text = measure_node.get("text") or ""
    known = next((BY_LOINC[c] for c in codes if c in BY_LOINC), None)
    if codes and known is None:
        raise refused(
            "Goal.target.measure",
            f"Goal.target.measure: a goal is measured here by LOINC {', '.join(sorted(BY_LOINC))}, or in words.",
        )
    if known is None and isinstance(text, str):
        known = BY_LABEL.get(text.strip().casefold())
    if known is not None:
        fields["measure"] = known.key
    elif not isinstance(text, str) or not text.strip() or len(text) > 200:
        raise refused(
            "Goal.target.measure", "Say how progress is measured (a LOINC code, or words up to 200)."
        )
    else:
        fields |= {"measure": "other", "measure_text": text.strip()}
    if "detailQuantity" in target:
        quantity = target["detailQuantity"]
        value = quantity.get("value") if isinstance(quantity, dict) else None
        try:
            number = Decimal(str(value)) if isinstance(value, int | float | Decimal) else None
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite() or abs(number) > LIMIT:
            raise refused("Goal.target.detailQuantity", f"The target is a number up to {LIMIT}.")
        unit = quantity.get("code")
        expected = MEASURES[fields["measure"]].unit
        if unit and expected and unit != expected:
            raise refused("Goal.target.detailQuantity", f"This measure is kept in {expected} (UCUM).")
        fields["target_value"] = number.quantize(Decimal("0.01"))
    detail = target.get("detailString", "")
    if not isinstance(detail, str) or len(detail) > 200:
        raise refused("Goal.target.detailString", "Describe the target in at most 200 characters.")
    fields["target_text"] = detail.strip()
    return fields


def _problems(caller: Caller, plan: CarePlan, resource: dict[str, Any]) -> list[int]:
    """The plan's problems for the conditions the goal addresses; one the writer may not see is as if absent."""
    found_keys = (
        reference_id(item, "Condition", "Goal.addresses") for item in resource.get("addresses") or []
    )
    keys = {key for key in found_keys if key is not None}
    found = policy.restrict_sensitive(
        plan.problems.filter(condition_id__in=keys), caller.user, plan.patient, "condition__sensitivity"
    )
    problems = {p.condition_id: p.pk for p in found}
    missing = sorted(k for k in keys if k not in problems)
    if missing:
        raise refused(
            "Goal.addresses",
            f"Condition/{missing[0]} is not on the plan: add it to the plan first (CarePlan.addresses).",
        )
    return sorted(problems.values())


def create_goal(caller: Caller, resource: dict[str, Any]) -> Goal:
    patient = visible_patient(caller, resource.get("subject"), "Goal.subject")
    if resource.get("lifecycleStatus") != GoalLifecycle.PROPOSED:
        raise refused(
            "Goal.lifecycleStatus",
            "A new goal is proposed; it starts when the plan's version with it comes into force.",
        )
    if resource.get("achievementStatus"):
        raise refused(
            "Goal.achievementStatus", "How a goal is going is reported once it is worked on (update)."
        )
    plan = _plan(patient, resource)
    words, statement = _words(resource)
    expressed = reference_id(resource.get("expressedBy"), "Patient", "Goal.expressedBy", required=False)
    if expressed is not None and expressed != patient.pk:
        raise refused("Goal.expressedBy", "A goal is expressed by its patient (or see goal-proposed-by).")
    proposer = Proposer.PATIENT if expressed else Proposer.TEAM
    rank_ext = _extension(resource, RANK_EXT)
    rank = rank_ext.get("valuePositiveInt") if rank_ext is not None else None
    if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool)):
        raise refused("Goal.extension", f"{RANK_EXT} has valuePositiveInt.")
    fields = _target(resource) | {
        "patient_words": words,
        "statement": statement,
        "proposed_by": _code(resource, PROPOSED_BY_EXT, Proposer.values, proposer),
        "agreement": _code(resource, AGREEMENT_EXT, GoalAgreement.values, GoalAgreement.NOT_ASKED),
        "patient_rank": rank,
    }
    return do_add_goal(caller.user, plan, problem_ids=_problems(caller, plan, resource), **fields)
