"""Pure decisions about tasks and flags: the one table of Task status transitions (FHIR Task, clinical.md §10)."""

from __future__ import annotations

from .choices import TaskPriority, TaskStatus

S = TaskStatus
TERMINAL = frozenset({S.COMPLETED, S.FAILED, S.CANCELLED, S.REJECTED, S.ENTERED_IN_ERROR})
# draft → requested → received → accepted | rejected; accepted | ready → in-progress → completed | failed;
# on-hold ↔ in-progress; any open state → cancelled; anything → entered-in-error.
TRANSITIONS: dict[TaskStatus, frozenset[TaskStatus]] = {
    S.DRAFT: frozenset({S.REQUESTED, S.CANCELLED}),
    S.REQUESTED: frozenset(
        {S.RECEIVED, S.ACCEPTED, S.REJECTED, S.READY, S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}
    ),
    S.RECEIVED: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}),
    S.READY: frozenset({S.IN_PROGRESS, S.COMPLETED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.COMPLETED, S.FAILED, S.ON_HOLD, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.IN_PROGRESS, S.CANCELLED}),
}
OPEN = frozenset(S) - TERMINAL
PRIORITY_RANK = {TaskPriority.STAT: 0, TaskPriority.ASAP: 1, TaskPriority.URGENT: 2, TaskPriority.ROUTINE: 3}


def allowed_targets(status: TaskStatus) -> frozenset[TaskStatus]:
    targets = TRANSITIONS.get(status, frozenset())
    return targets | {S.ENTERED_IN_ERROR} if status != S.ENTERED_IN_ERROR else frozenset()


def can_move(current: TaskStatus, target: TaskStatus) -> bool:
    return target in allowed_targets(current)
