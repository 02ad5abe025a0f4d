"""Task: a work item about a patient (coordination.Task), raised by a rule (a PHQ-9 item 9 above 0 gives urgent
same-day follow-ups) or by hand, for a member of staff or waiting in a team's queue. Given and reassigned on the
screens; a partner reports progress with an update (status and new notes, CoordinationTask.update).

- `owner` is the member of staff (Practitioner/N) or, for a task waiting in a team's queue until someone claims
  it, the team (Organization/team-N, as the Organization mapper serves teams; the display says "… queue").
- `restriction.period.end` is when it is due; `executionPeriod.end` when it was done.
- An open task escalated to a supervisor because it is overdue has `businessStatus` escalated (in our
  CodeSystem task-business-status, the text naming the supervisor); the note that the escalation wrote says
  when. Handing the task to someone else ends the escalation, as on the screens.

Search: `period` is R4's Task `period`, over Task.executionPeriod: what we know of it is its end (when the task
was done), so it compares that moment and open tasks have none. The due time has no R4 parameter; `due` is ours,
over `restriction.period.end`, for worklists (`due=lt2026-11-20&status=requested`). Both take the date prefixes.

Referrals' referral-management Tasks (referral_task.py, ids `referral-<pk>`) are served under the same type:
TaskMapper pages over both (registry.UnionMapper). A referral's Task is updated by the receiving organisation's
system."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from careconductor.coordination.actions.tasks import do_add_task_note, do_move_task
from careconductor.coordination.choices import TaskKind, TaskPriority, TaskStatus
from careconductor.coordination.models import Task
from careconductor.coordination.rules import OPEN
from careconductor.core.ids import whole_number

from .. import params
from ..auth import Caller
from ..errors import FhirError
from ..registry import CREATE, READ_ONLY, UPDATE, Mapper, SearchParam, UnionMapper, register
from .common import compact, concept, last_modified, moment, ref, refuse_changes, refused
from .condition import labelled
from .organization import parse_team_id, team_id
from .prior_auth_task import PriorAuthTask
from .referral_task import ReferralTask

TASK_KIND = "https://careconductor.org/fhir/CodeSystem/task-kind"
BUSINESS_STATUS = "https://careconductor.org/fhir/CodeSystem/task-business-status"
STATUS = "http://hl7.org/fhir/task-status"
PRIORITY = "http://hl7.org/fhir/request-priority"
# What a task is about, as kept in Task.focus: a reference to a resource of this server.
FOCUS = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")
ESCALATED = Q(escalated_to__isnull=False, status__in=OPEN)


def _focus(modifier: str, value: str, caller: Caller) -> Q:
    parts = value.rstrip("/").split("/")
    if len(parts) < 2 or (modifier and modifier != parts[-2]):
        return Q(pk__in=[])
    return Q(focus=f"{parts[-2]}/{parts[-1]}")


def _owner(modifier: str, value: str, caller: Caller) -> Q:
    """Practitioner/N (or N) for a person's tasks; Organization/team-N (or team-N) for a team's queue."""
    parts = value.rstrip("/").split("/")
    key = parts[-1]
    kind = parts[-2] if len(parts) >= 2 else modifier
    if modifier and kind != modifier:
        return Q(pk__in=[])
    if kind in ("", "Organization") and (team := parse_team_id(key)) is not None:
        return Q(owner__isnull=True, team_id=team)
    if kind in ("", "Practitioner") and (owner := whole_number(key)) is not None:
        return Q(owner_id=owner)
    return Q(pk__in=[])


def _business_status(modifier: str, value: str, caller: Caller) -> Q:
    system, bar, code = value.rpartition("|")
    matched = (
        ESCALATED if code == "escalated" and (not bar or system in ("", BUSINESS_STATUS)) else Q(pk__in=[])
    )
    return ~matched if modifier == "not" else matched


class CoordinationTask(Mapper):
    resource_type = "Task"
    model = Task
    interactions = READ_ONLY | {UPDATE}
    patient_field = "patient"
    sensitive = True  # work about a Part 2 or psychotherapy record carries its label
    description = (
        "Work items about the patients the caller may see: for the patient, owned by a member of staff "
        "(Practitioner) or waiting in a team's queue (owner Organization/team-N) until someone claims it. "
        f"code is coded in {TASK_KIND}; description is the title; focus is what raised it (e.g. the "
        "QuestionnaireResponse whose answers set off a safety rule); restriction.period.end is the due time "
        "and executionPeriod.end when it was done; an open task escalated to a supervisor because it is "
        f"overdue has businessStatus escalated ({BUSINESS_STATUS})."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient the task is for"),
        "subject": params.reference("patient_id", "Patient", "The patient the task is for"),
        "owner": SearchParam(
            "reference",
            "Who is to do it: a member of staff (Practitioner/N) or, for the tasks waiting in a team's queue, "
            "the team (Organization/team-N)",
            _owner,
            target="Practitioner",
            path="owner_id",
            modifiers=frozenset({"Practitioner", "Organization"}),
        ),
        "requester": params.reference("requester_id", "Practitioner", "Who asked for it"),
        "status": params.token(
            "status", f"The status ({STATUS})", system=STATUS, codes={s: s for s in TaskStatus.values}
        ),
        "business-status": SearchParam(
            "token",
            f"escalated ({BUSINESS_STATUS}): open tasks escalated to a supervisor because they are overdue",
            _business_status,
            modifiers=frozenset({"not"}),
        ),
        "priority": params.token(
            "priority",
            f"routine, urgent, asap or stat ({PRIORITY})",
            system=PRIORITY,
            codes={p: p for p in TaskPriority.values},
        ),
        "code": params.token(
            "kind", f"The kind of task ({TASK_KIND})", system=TASK_KIND, codes={k: k for k in TaskKind.values}
        ),
        "focus": SearchParam(
            "reference",
            "What the task is about, e.g. QuestionnaireResponse/12",
            _focus,
            modifiers=frozenset({"QuestionnaireResponse"}),
        ),
        "authored-on": params.date("created_at", "When the task was created"),
        "modified": params.date("updated_at", "When the task last changed"),
        "period": params.date(
            "completed_at",
            "R4 Task period, over executionPeriod: when the task was done (executionPeriod.end, compared as "
            "that moment); open tasks have no executionPeriod and match no value",
        ),
        "due": params.date(
            "due_at",
            "CareConductor's own: when the task is due (restriction.period.end); R4 has no parameter for it",
        ),
    }
    sorts = {
        "authored-on": "created_at",
        "modified": "updated_at",
        "status": "status",
        "priority": "priority",
        "period": "completed_at",
        "due": "due_at",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "owner", "team", "requester", "escalated_to")

    def owner(self, row: Task) -> dict[str, Any] | None:
        if row.owner is not None:
            return ref("Practitioner", row.owner_id, row.owner.display_name())
        if row.team is not None:
            return ref("Organization", team_id(row.team.pk), row.owner_label())
        return None

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    def to_fhir(self, row: Task) -> dict[str, Any]:
        kind = TaskKind(row.kind)
        requester = row.requester
        notes = [row.description] if row.description else []
        notes += [line for line in row.note.splitlines() if line.strip()]
        escalated = row.escalated_to if row.is_open else None
        return compact(
            {
                "status": row.status,
                "businessStatus": concept(
                    BUSINESS_STATUS, "escalated", "Escalated", text=f"Escalated to {escalated.display_name()}"
                )
                if escalated is not None
                else None,
                "intent": "order",
                "priority": row.priority,
                "code": concept(TASK_KIND, kind.value, kind.label, text=kind.label),
                "description": row.title,
                "focus": {"reference": row.focus} if FOCUS.match(row.focus) else None,
                "for": ref("Patient", row.patient_id, row.patient.full_name),
                "authoredOn": moment(row.created_at),
                "lastModified": last_modified(row.created_at, row.updated_at),
                "requester": ref("Practitioner", requester.pk, requester.display_name())
                if requester
                else None,
                "owner": self.owner(row),
                "restriction": {"period": {"end": moment(row.due_at)}},
                "executionPeriod": {"end": moment(row.completed_at)} if row.completed_at else None,
                "note": [{"text": text} for text in notes],
            }
        )

    # What a partner may not change about a work item: it is given and reassigned on the screens.
    FIXED = ("description", "for", "owner", "priority", "code", "restriction", "focus", "requester", "intent")

    def update(self, caller: Caller, row: Task, resource: dict[str, Any]) -> Task:
        """A partner reports progress as on the screens: a new status (by the task's transition table, by its
        owner, its team or the patient's case staff) and new notes added after the ones it has (notes are kept,
        never edited). Who does the work and what it is change on the screens."""
        current = self.render(row)
        refuse_changes(resource, current, self.FIXED, "Task",
                       "on the screens; through the API a task's status and notes change")  # fmt: skip
        kept = [n.get("text") for n in current.get("note") or []]
        sent = [n.get("text") if isinstance(n, dict) else None for n in resource.get("note") or []]
        if sent[: len(kept)] != kept or not all(isinstance(t, str) and t.strip() for t in sent[len(kept) :]):
            raise refused(
                "Task.note", "Notes are kept, never edited: send the task's notes with new ones after them."
            )
        added = [str(t) for t in sent[len(kept) :]]
        status = resource.get("status")
        if status not in TaskStatus.values:
            raise refused("Task.status", f"Task.status is one of {', '.join(TaskStatus.values)}.")
        if status != row.status:
            row = do_move_task(caller.user, row, TaskStatus(status), note=added.pop(0) if added else "")
        for note in added:
            row = do_add_task_note(caller.user, row, note)
        return row


def _union_param(param: SearchParam, *others: SearchParam | None) -> SearchParam:
    """A parameter as the union declares it: the coordination tasks' (its target and path, for _include) with
    the modifiers of every part."""
    extra = frozenset().union(*(other.modifiers for other in others if other is not None))
    return SearchParam(
        param.type,
        param.description,
        param.build,
        target=param.target,
        path=param.path,
        modifiers=param.modifiers | extra,
    )


@register
class TaskMapper(UnionMapper):
    resource_type = "Task"
    model = Task  # the first part's; search, versions and $everything go through parts()
    members = (CoordinationTask, ReferralTask, PriorAuthTask)
    interactions = READ_ONLY | {CREATE, UPDATE}
    patient_field = "patient"
    sensitive = True
    description = (
        CoordinationTask.description
        + " Referrals' referral-management Tasks (Gravity SDOH pattern) have ids referral-<id>: status and "
        "businessStatus (scheduled, no-show) of the referral, intent order, code fulfill, focus "
        "ServiceRequest/<id>, owner the receiving organisation by identifier (owner:identifier=<HSDS "
        "organization id>), statusReason a decline's reason, executionPeriod.start the appointment, output the "
        "outcome. Only those are updated (PUT), by the receiving organisation's system with its partner token. "
        "Prior-authorisation requests have ids prior-auth-<id>: POST a Task with code approve (task-code) whose "
        "focus is a contained ServiceRequest, with the member as a contained Patient (member ID, birth date); "
        "status follows the review (received, on-hold while pended, in-progress, completed, cancelled), "
        "businessStatus is the decision (um-status), output the authorisation number and validity. The partner "
        "may PUT status cancelled, or an input answering a request for information."
    )
    params = {
        **{
            name: _union_param(param, ReferralTask.params.get(name), PriorAuthTask.params.get(name))
            for name, param in CoordinationTask.params.items()
        },
        "identifier": PriorAuthTask.params["identifier"],
    }
    sorts = dict(CoordinationTask.sorts)
    error_paths = {**ReferralTask.error_paths, **PriorAuthTask.error_paths}

    def create(self, caller: Caller, resource: dict[str, Any]) -> Any:
        """Only prior-authorisation requests are created here; coordination tasks are made on the screens and a
        referral's Task comes with its ServiceRequest."""
        coded = (resource.get("code") or {}).get("coding") or []
        if not any(isinstance(c, dict) and c.get("code") == "approve" for c in coded):
            raise FhirError(
                422,
                "Only prior-authorisation requests (Task.code approve, with a contained ServiceRequest) are "
                "created through the API; coordination tasks are made on the screens.",
                expression=["Task.code"],
            )
        return self._parts[2].create(caller, resource)

    def update(self, caller: Caller, row: Any, resource: dict[str, Any]) -> Any:
        return self.part_of(row).update(caller, row, resource)
