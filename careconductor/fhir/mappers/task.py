"""Task: a work item for a member of staff about a patient (coordination.Task), raised by a rule (a PHQ-9
item 9 above 0 gives urgent same-day follow-ups) or by hand. Tasks move on the screens; read-only here."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from careconductor.coordination.choices import TaskKind, TaskPriority, TaskStatus
from careconductor.coordination.models import Task

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, register
from .common import compact, concept, moment, ref

TASK_KIND = "https://careconductor.org/fhir/CodeSystem/task-kind"
STATUS = "http://hl7.org/fhir/task-status"
PRIORITY = "http://hl7.org/fhir/request-priority"
# What a task is about, as kept in Task.focus: a reference to a resource of this server.
FOCUS = re.compile(r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")


def _focus(modifier: str, value: str, caller: Caller) -> Q:
    parts = value.rstrip("/").split("/")
    if len(parts) < 2 or (modifier and modifier != parts[-2]):
        return Q(pk__in=[])
    return Q(focus=f"{parts[-2]}/{parts[-1]}")


@register
class TaskMapper(Mapper):
    resource_type = "Task"
    model = Task
    interactions = READ_ONLY
    patient_field = "patient"
    description = (
        "Work items about the patients the caller may see: for the patient, owned by a member of staff "
        f"(Practitioner). code is coded in {TASK_KIND}; description is the title; focus is what raised it "
        "(e.g. the QuestionnaireResponse whose answers set off a safety rule); restriction.period.end is the "
        "due time and executionPeriod.end when it was done."
    )
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient the task is for"),
        "subject": params.reference("patient_id", "Patient", "The patient the task is for"),
        "owner": params.reference("owner_id", "Practitioner", "The member of staff who is to do it"),
        "requester": params.reference("requester_id", "Practitioner", "Who asked for it"),
        "status": params.token(
            "status", f"The status ({STATUS})", system=STATUS, codes={s: s for s in TaskStatus.values}
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
    }
    sorts = {
        "authored-on": "created_at",
        "modified": "updated_at",
        "status": "status",
        "priority": "priority",
        "period": "due_at",
    }

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "owner", "requester")

    def to_fhir(self, row: Task) -> dict[str, Any]:
        kind = TaskKind(row.kind)
        owner, requester = row.owner, row.requester
        notes = [row.description] if row.description else []
        notes += [line for line in row.note.splitlines() if line.strip()]
        return compact(
            {
                "status": row.status,
                "intent": "order",
                "priority": row.priority,
                "code": concept(TASK_KIND, kind.value, kind.label, text=kind.label),
                "description": row.title,
                "focus": {"reference": row.focus} if FOCUS.match(row.focus) else None,
                "for": ref("Patient", row.patient_id, row.patient.full_name),
                "authoredOn": moment(row.created_at),
                "lastModified": moment(row.updated_at),
                "requester": ref("Practitioner", requester.pk, requester.display_name())
                if requester
                else None,
                "owner": ref("Practitioner", owner.pk, owner.display_name()),
                "restriction": {"period": {"end": moment(row.due_at)}},
                "executionPeriod": {"end": moment(row.completed_at)} if row.completed_at else None,
                "note": [{"text": text} for text in notes],
            }
        )
