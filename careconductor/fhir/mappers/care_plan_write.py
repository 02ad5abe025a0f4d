"""Writing a CarePlan through the API, with the rules of the plan screen (careplans.actions).

Create: a draft plan for one of the patient's open cases (the case named in `supportingInfo` as EpisodeOfCare,
else the patient's only open case), titled, addressing conditions from the patient's problem list. Goals are
added as Goal resources (goal_create.py); interventions, approval and the patient's agreement stay on the screens.

Update, from the resource as served (the version in force, or a draft as it stands):
- a draft changes as sent (`title`, `addresses`); `status` active brings its first version into force, or submits
  it for the supervisor's approval where the programme needs that (the plan stays a draft until approved);
- a plan in force changes only by a new version: a change of `title` or `addresses`, or goals added since,
  come into force with a new `note` that says why (the version's reason) — awaiting approval where needed;
- `status` completed or revoked ends the plan, with a new `note` as the reason.
Everything else (goals, activities, the care team, the agreement) changes on the screens: 422 naming it."""

from __future__ import annotations

from typing import Any

from careconductor.careplans.actions import (
    do_add_problem_from_condition,
    do_create_plan,
    do_end_plan,
    do_publish,
    do_remove_problem,
    do_rename_plan,
)
from careconductor.careplans.choices import PlanStatus
from careconductor.careplans.models import CarePlan
from careconductor.cases.models import Case
from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Condition, Patient

from ..auth import Caller
from .common import reference_id, refuse_changes, refused, visible_patient

# What a partner does not send on create, and may not change on update (the screens' business).
NOT_ON_CREATE = ("goal", "activity", "period", "careTeam", "author", "note", "extension")
FIXED = ("subject", "intent", "category", "goal", "activity", "careTeam", "author", "created", "period",
         "supportingInfo", "extension")  # fmt: skip
WHERE = ("on the care plan screen (goals are added as Goal resources; interventions, approval and the patient's "
         "agreement on the screens)")  # fmt: skip
ENDINGS = (PlanStatus.COMPLETED, PlanStatus.REVOKED)


def _title(resource: dict[str, Any]) -> str:
    title = resource.get("title", "")
    if not isinstance(title, str) or len(title) > 200:
        raise refused("CarePlan.title", "CarePlan.title is text of at most 200 characters.")
    return title.strip()


def _conditions(resource: dict[str, Any]) -> list[int]:
    found = resource.get("addresses") or []
    keys = [reference_id(item, "Condition", "CarePlan.addresses") for item in found]
    return list(dict.fromkeys(k for k in keys if k is not None))


def _case(patient: Patient, resource: dict[str, Any]) -> Case:
    """The case the plan is for: the one named (EpisodeOfCare), else the patient's only open case."""
    named = [
        reference_id(item, "EpisodeOfCare", "CarePlan.supportingInfo")
        for item in resource.get("supportingInfo") or []
    ]
    open_cases = list(patient.cases.open().order_by("pk"))
    if len(named) > 1:
        raise refused("CarePlan.supportingInfo", "Name one case (EpisodeOfCare) the plan is for.")
    if named:
        case = next((c for c in open_cases if c.pk == named[0]), None)
        if case is None:
            raise refused(
                "CarePlan.supportingInfo", f"EpisodeOfCare/{named[0]} is not an open case of this patient."
            )
        return case
    if not open_cases:
        raise refused("CarePlan.subject", "Plans are made for open cases; this patient has none.")
    if len(open_cases) > 1:
        raise refused(
            "CarePlan.supportingInfo",
            "This patient has several open cases: name the one the plan is for as supportingInfo "
            f"({', '.join(f'EpisodeOfCare/{c.pk}' for c in open_cases)}).",
        )
    return open_cases[0]


def _add_conditions(caller: Caller, plan: CarePlan, keys: list[int]) -> None:
    found = {c.pk: c for c in Condition.objects.filter(patient_id=plan.patient_id, pk__in=keys)}
    for key in keys:
        condition = found.get(key)
        try:
            if condition is None:  # another patient's, or none: the same words as a hidden one
                raise ActionRefused("Choose a condition from this patient's problem list.")
            do_add_problem_from_condition(caller.user, plan, condition)
        except ActionRefused as exc:
            raise refused("CarePlan.addresses", f"Condition/{key}: {exc}") from exc


def create_plan(caller: Caller, resource: dict[str, Any]) -> CarePlan:
    patient = visible_patient(caller, resource.get("subject"), "CarePlan.subject")
    if resource.get("intent") != "plan":
        raise refused("CarePlan.intent", "A care plan's intent is plan.")
    if resource.get("status") != PlanStatus.DRAFT:
        raise refused(
            "CarePlan.status",
            "A new plan is a draft: add its goals (Goal), then update it to active to bring it into force.",
        )
    for name in NOT_ON_CREATE:
        if resource.get(name):
            raise refused(
                f"CarePlan.{name}", f"CarePlan.{name} is not sent with a new plan; it is set {WHERE}."
            )
    title = _title(resource)
    case = _case(patient, resource)
    plan = do_create_plan(caller.user, case, title=title)
    _add_conditions(caller, plan, _conditions(resource))
    return plan


def _new_notes(resource: dict[str, Any], served: dict[str, Any]) -> str:
    """The text of the notes after those served: the reason for a new version or for the end."""
    sent = resource.get("note") or []
    kept = served.get("note") or []
    if sent[: len(kept)] != kept:
        raise refused("CarePlan.note", "The notes served are kept as they are; add a new note after them.")
    texts = [item.get("text") if isinstance(item, dict) else None for item in sent[len(kept) :]]
    if any(not isinstance(text, str) for text in texts):
        raise refused("CarePlan.note", "A note has its words in CarePlan.note.text.")
    return "\n".join(str(text).strip() for text in texts if str(text).strip())


def update_plan(caller: Caller, row: CarePlan, resource: dict[str, Any], served: dict[str, Any]) -> CarePlan:
    refuse_changes(resource, served, FIXED, "CarePlan", WHERE)
    reason = _new_notes(resource, served)
    status = resource.get("status")
    if status not in PlanStatus.values:
        raise refused("CarePlan.status", f"CarePlan.status is one of {', '.join(PlanStatus.values)}.")
    title = _title(resource)
    was = set(_conditions(served))
    wanted = _conditions(resource)
    added, removed = [k for k in wanted if k not in was], was - set(wanted)
    changes = title != served.get("title", "") or added or removed
    if status in ENDINGS and status != row.status:
        if changes:
            raise refused(
                "CarePlan.status", "End the plan as it stands; change it first in an update of its own."
            )
        return do_end_plan(caller.user, row, PlanStatus(status), reason=reason)
    if status != row.status and not (row.status == PlanStatus.DRAFT and status == PlanStatus.ACTIVE):
        raise refused("CarePlan.status", f"A {row.status} plan cannot become {status}.")
    if row.status == PlanStatus.ACTIVE and changes and not reason:
        raise refused(
            "CarePlan.note",
            "A plan in force changes by a new version: say why in a new note (the version's reason).",
        )
    if row.status == PlanStatus.DRAFT and status == PlanStatus.DRAFT and reason:
        raise refused(
            "CarePlan.note",
            "A note is the reason for a new version; a draft's first comes with status active.",
        )
    if title and title != served.get("title"):
        do_rename_plan(caller.user, row, title=title)
    elif not title and changes:
        raise refused("CarePlan.title", "Give the plan a title.")
    if removed:
        for problem in row.problems.filter(condition_id__in=removed):
            do_remove_problem(caller.user, problem)
    _add_conditions(caller, row, added)
    if status == PlanStatus.ACTIVE and (row.status == PlanStatus.DRAFT or reason):
        do_publish(caller.user, row, reason=reason)
    return row
