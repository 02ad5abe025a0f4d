"""Tasks: a new task, its page, notes, hand-over, claiming, moving it on; acknowledging an alert."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.choices import Sensitivity
from careconductor.privacy.guards import staff_view

from .. import forms, rules
from ..actions.flags import do_acknowledge_flag
from ..actions.tasks import (
    do_add_task_note,
    do_claim_task,
    do_create_task,
    do_move_task,
    do_reassign_task,
)
from ..choices import TaskPriority, TaskStatus
from ..queries import (
    access_flag,
    access_task,
    linked_tasks,
    task_history,
)
from .base import assignee, assignees, back, case_choices, patient_case, require_change


@staff_view()
@require_http_methods(["GET", "POST"])
def new_task(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    require_change(user, patient)
    due = timezone.localtime(clock.now()).replace(hour=17, minute=0) + dt.timedelta(days=1)
    form = forms.TaskForm(
        request.POST or None,
        assignees=assignees(patient.organization_id),
        cases=case_choices(patient),
        initial={"due_at": due.strftime("%Y-%m-%dT%H:%M"), "assignee": f"user:{user.pk}"},
        sensitivities=policy.record_sensitivities(user, patient),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        owner, team = assignee(d["assignee"], patient.organization_id)
        try:
            task = do_create_task(
                user,
                patient,
                owner=owner,
                team=team,
                title=d["title"],
                description=d["description"],
                priority=TaskPriority(d["priority"]),
                due_at=d["due_at"],
                case_id=d["case"] if patient_case(patient, d["case"]) else None,
                sensitivity=Sensitivity(d.get("sensitivity") or ""),
            )
        except ActionRefused as exc:
            if "owner" in exc.errors:
                exc.errors["assignee"] = exc.errors.pop("owner")
            show_refusal(form, exc)
        else:
            messages.success(request, f"Task created for {task.owner_label()}.")
            return redirect("coordination:task", task_id=task.pk)
    return render(
        request,
        "coordination/task_new.html",
        {"patient": patient, "form": form, "nav": "patients"},
        status=400 if request.method == "POST" else 200,
    )


def _task_context(user: User, task: Any, **extra: Any) -> dict[str, Any]:
    return {
        "task": task,
        "patient": task.patient,
        "history": task_history(task),
        "linked": linked_tasks(task),
        "targets": sorted(rules.allowed_targets(TaskStatus(task.status)), key=list(TaskStatus).index),
        "note_form": forms.NoteForm(),
        "reassign_form": forms.ReassignForm(assignees=assignees(task.organization_id)),
        "can_claim": task.in_queue and task.is_open,
        "nav": "worklist",
        **extra,
    }


@staff_view()
@require_http_methods(["GET"])
def task_detail(request: StaffRequest, task_id: int) -> HttpResponse:
    user = request.user
    task = access_task(user, task_id)
    return render(request, "coordination/task.html", _task_context(user, task))


@staff_view()
@require_POST
def task_note(request: StaffRequest, task_id: int) -> HttpResponse:
    user = request.user
    task = access_task(user, task_id)
    form = forms.NoteForm(request.POST)
    if form.is_valid():
        try:
            do_add_task_note(user, task, form.cleaned_data["note"])
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Note added.")
            return redirect("coordination:task", task_id=task.pk)
    return render(request, "coordination/task.html", _task_context(user, task, note_form=form), status=400)


@staff_view()
@require_POST
def task_reassign(request: StaffRequest, task_id: int) -> HttpResponse:
    user = request.user
    task = access_task(user, task_id)
    form = forms.ReassignForm(request.POST, assignees=assignees(task.organization_id))
    if form.is_valid():
        owner, team = assignee(form.cleaned_data["assignee"], task.organization_id)
        try:
            task = do_reassign_task(user, task, owner=owner, team=team, reason=form.cleaned_data["reason"])
        except ActionRefused as exc:
            if "owner" in exc.errors:
                exc.errors["assignee"] = exc.errors.pop("owner")
            show_refusal(form, exc)
        else:
            messages.success(request, f"Task handed to {task.owner_label()}.")
            return redirect("coordination:task", task_id=task.pk)
    return render(
        request, "coordination/task.html", _task_context(user, task, reassign_form=form), status=400
    )


@staff_view()
@require_POST
def task_claim(request: StaffRequest, task_id: int) -> HttpResponse:
    user = request.user
    task = access_task(user, task_id)
    try:
        do_claim_task(user, task)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The task is yours.")
    return back(request, reverse("coordination:task", args=[task.pk]))


@staff_view()
@require_POST
def move_task(request: StaffRequest, task_id: int) -> HttpResponse:
    user = request.user
    task = access_task(user, task_id)
    raw = request.POST.get("status", "")
    if raw not in TaskStatus.values:
        messages.error(request, "Choose what happened to the task.")
    else:
        try:
            do_move_task(user, task, TaskStatus(raw), note=request.POST.get("note", "")[:2000])
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Task marked {TaskStatus(raw).label.lower()}.")
    return back(request, f"/patients/{task.patient_id}/")


@staff_view()
@require_POST
def acknowledge_flag(request: StaffRequest, flag_id: int) -> HttpResponse:
    user = request.user
    flag = access_flag(user, flag_id)
    try:
        do_acknowledge_flag(user, flag, note=request.POST.get("note", "")[:2000])
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Alert acknowledged.")
    return back(request, f"/patients/{flag.patient_id}/")
