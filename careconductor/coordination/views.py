from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from careconductor.accounts.models import User
from careconductor.core.errors import ActionRefused
from careconductor.privacy.guards import staff_view

from .actions import do_acknowledge_flag, do_move_task
from .choices import TaskStatus
from .queries import access_flag, access_task


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@staff_view()
@require_POST
def move_task(request: HttpRequest, task_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
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
    return _back(request, f"/patients/{task.patient_id}/")


@staff_view()
@require_POST
def acknowledge_flag(request: HttpRequest, flag_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    flag = access_flag(user, flag_id)
    try:
        do_acknowledge_flag(user, flag, note=request.POST.get("note", "")[:2000])
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Alert acknowledged.")
    return _back(request, f"/patients/{flag.patient_id}/")
