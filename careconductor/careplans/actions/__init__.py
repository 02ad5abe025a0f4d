"""The only code that changes care plans, one module per subject. Every change checks the policy, writes an
audit event and, on a plan already in force, marks the plan as having changes that a new version will carry
(see models.CarePlan).

Inside careplans, import from the subject's module. Other apps, the demo and the tests call the plan's
actions through this package: the names below are its public interface."""

from __future__ import annotations

from .decisions import do_record_decision
from .goals import (
    GOAL_FIELDS,
    do_add_barrier,
    do_add_goal,
    do_add_step,
    do_mark_step,
    do_move_goal,
    do_record_progress,
    do_remove_step,
    do_update_barrier,
    do_update_goal,
    latest_value,
)
from .interventions import do_add_intervention, do_remove_intervention, do_set_intervention_status
from .plans import do_create_plan, do_rename_plan
from .problems import (
    do_add_problem_by_hand,
    do_add_problem_from_condition,
    do_add_problem_from_finding,
    do_add_problems,
    do_remove_problem,
    do_update_problem,
)
from .readings import do_record_reading
from .templates import do_apply_template
from .versions import (
    do_decide_version,
    do_end_plan,
    do_publish,
    do_record_agreement,
    do_review_plan,
    may_decide,
)

__all__ = [
    "GOAL_FIELDS",
    "do_add_barrier",
    "do_add_goal",
    "do_add_intervention",
    "do_add_problem_by_hand",
    "do_add_problem_from_condition",
    "do_add_problem_from_finding",
    "do_add_problems",
    "do_add_step",
    "do_apply_template",
    "do_create_plan",
    "do_decide_version",
    "do_end_plan",
    "do_mark_step",
    "do_move_goal",
    "do_publish",
    "do_record_agreement",
    "do_record_decision",
    "do_record_progress",
    "do_record_reading",
    "do_remove_intervention",
    "do_remove_problem",
    "do_remove_step",
    "do_rename_plan",
    "do_review_plan",
    "do_set_intervention_status",
    "do_update_barrier",
    "do_update_goal",
    "do_update_problem",
    "latest_value",
    "may_decide",
]
