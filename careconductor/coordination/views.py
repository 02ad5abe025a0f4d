"""Coordination screens: the worklist, the team view, contacts, time, tasks, the care team, closing a case and
the monthly time report. Views parse, fetch through access_* and change through do_*."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team, User
from careconductor.cases.choices import Program
from careconductor.cases.models import Case
from careconductor.cases.queries import access_case
from careconductor.cases.rules import OPEN_STATUSES
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.patients.actions import (
    do_add_care_team_member,
    do_end_care_team_member,
    do_set_care_team_lead,
)
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction, Sensitivity
from careconductor.privacy.guards import staff_view

from . import billing, forms, rules
from .actions import (
    ContactInput,
    FollowUp,
    closing_summary_draft,
    closure_needs_approval,
    do_acknowledge_flag,
    do_add_holiday,
    do_add_task_note,
    do_claim_task,
    do_create_task,
    do_decide_closure,
    do_log_contact,
    do_log_time,
    do_move_task,
    do_reassign_task,
    do_record_outreach,
    do_remove_holiday,
    do_request_closure,
    do_reset_cadence,
    do_set_cadence,
)
from .calendar import public_holidays
from .choices import TaskPriority, TaskStatus
from .models import CadenceRule, ClosureRequest, Holiday
from .queries import (
    access_flag,
    access_membership,
    access_task,
    care_team,
    case_follow_up,
    last_closure_decision,
    linked_tasks,
    patient_contacts,
    patient_time,
    pending_closure,
    task_history,
)
from .reach import reach_state_for
from .rules import Band
from .team import team_view as build_team_view
from .worklist import build_worklist, cadence_table
from .worklist_rows import worklist_rows

SUPERVISING = (Role.SUPERVISOR, Role.ADMIN)
CLOSURE_FIELDS = {
    "closure_reason": "reason",
    "closure_reason_other": "reason_other",
    "closing_summary": "summary",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _require_change(user: User, patient: Patient, action: policy.Action = policy.Action.CHANGE) -> None:
    if not policy.may(user, action, patient):
        raise PermissionDenied("Your role may read this record but not change it.")


def _staff_choices(organization_id: int) -> list[tuple[int, str]]:
    staff = User.objects.filter(organization_id=organization_id, is_active=True).exclude(role=Role.PATIENT)
    return [(u.pk, u.display_name()) for u in staff.order_by("last_name", "first_name")]


def _assignees(organization_id: int) -> list[tuple[str, str]]:
    people = [(f"user:{pk}", name) for pk, name in _staff_choices(organization_id)]
    teams = [
        (f"team:{t.pk}", f"{t.name} queue") for t in Team.objects.filter(organization_id=organization_id)
    ]
    return [("People", people), ("Team queues", teams)]  # type: ignore[list-item]


def _assignee(value: str, organization_id: int) -> tuple[User | None, Team | None]:
    kind, _, pk = value.partition(":")
    if not pk.isdigit():
        return None, None
    if kind == "user":
        return User.objects.filter(pk=int(pk), organization_id=organization_id).first(), None
    if kind == "team":
        return None, Team.objects.filter(pk=int(pk), organization_id=organization_id).first()
    return None, None


def _case_choices(patient: Patient) -> list[tuple[int, str]]:
    return [
        (c.pk, f"{c.get_program_display()} ({c.get_status_display().lower()})")
        for c in patient.cases.filter(status__in=OPEN_STATUSES).order_by("-referred_at")
    ]


def _patient_case(patient: Patient, case_id: int | None) -> Case | None:
    if case_id is None:
        return None
    return patient.cases.filter(pk=case_id).first()


# --- The worklist -------------------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET"])
def worklist_view(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    worklist = build_worklist(user)
    audit.record_reads(user, list(worklist.patients.values()), object_type="Worklist")
    form = forms.WorklistFilterForm(request.GET or None)
    groups = worklist_rows(worklist, form, request.GET)
    due_now = sum(1 for i in worklist.items if i.band < Band.REVIEW)
    overdue = sum(1 for i in worklist.items if i.overdue and i.band <= Band.TRANSITION)
    return render(
        request,
        "coordination/worklist.html",
        {
            "nav": "worklist",
            "form": form,
            "groups": groups,
            "total": sum(g["count"] for g in groups),
            "due_now": due_now,
            # Patients with portal messages nobody on the team has opened (the rows say how many each).
            "message_patients": sum(1 for i in worklist.items if i.kind == "message"),
            "overdue": overdue,
            "today": timezone.localdate(),
            "supervising": user.role in SUPERVISING,
            # Where each row's form and link come back to (worked out once, not per row).
            "here": request.get_full_path(),
            "here_q": quote(request.get_full_path(), safe="/"),
        },
    )


@staff_view(roles=SUPERVISING)
@require_http_methods(["GET"])
def team_view(request: HttpRequest) -> HttpResponse:
    """Who is behind: caseload balance and overdue work per person, then the team's urgent items."""
    user = _user(request)
    team = build_team_view(user)
    # Only the patients named on the page are read; the counts name nobody.
    audit.record_reads(user, list(team.patients.values()), object_type="Worklist")
    names = {r.profile.user_id: r.profile.user.display_name() for r in team.rows}
    return render(
        request,
        "coordination/team.html",
        {
            "nav": "team",
            "rows": team.rows,
            "urgent": [
                {
                    "item": i,
                    "patient": team.patients.get(i.patient_id),
                    "who": names.get(i.staff_id or 0, "a queue" if i.staff_id is None else "someone else"),
                }
                for i in team.urgent
            ],
        },
    )


# --- Contacts and time -----------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET", "POST"])
def contacts_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id)
    can_change = policy.may(user, policy.Action.LOG_CONTACT, patient)
    cases = _case_choices(patient)
    initial = {
        "contact_at": timezone.localtime(clock.now()).strftime("%Y-%m-%dT%H:%M"),
        "direction": "outbound",
        "case": request.GET.get("case") or (cases[0][0] if cases else ""),
        "mode": "phone",
    }
    form = forms.ContactForm(
        request.POST or None,
        cases=cases,
        initial=initial,
        sensitivities=policy.record_sensitivities(user, patient),
    )
    if request.method == "POST":
        _require_change(user, patient, policy.Action.LOG_CONTACT)
        if form.is_valid():
            d = form.cleaned_data
            try:
                contact = do_log_contact(
                    user,
                    patient,
                    ContactInput(
                        contact_at=d["contact_at"],
                        mode=d["mode"],
                        direction=d["direction"],
                        reached=d["reached"],
                        minutes=d["minutes"],
                        party=d["party"],
                        party_name=d["party_name"],
                        interpreter=d["interpreter"],
                        patient_words=d["patient_words"],
                        meds_taken=d["meds_taken"],
                        symptoms=d["symptoms"],
                        goal_progress=d["goal_progress"],
                        barriers=d["barriers"],
                        education=d["education"],
                        teach_back=d["teach_back"],
                        next_steps=d["next_steps"],
                        sensitivity=d.get("sensitivity") or "",
                    ),
                    case=_patient_case(patient, d["case"]),
                    follow_up=FollowUp(d["follow_up_title"], d["follow_up_due"])
                    if d["follow_up_title"]
                    else None,
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, _contact_message(patient, contact))
                return _back(request, reverse("coordination:contacts", args=[patient.pk]))
    # Where each active case stands: the same reading as the case page's follow-up card.
    follow_ups = [(case, case_follow_up(case)) for case in patient.cases.filter(status="active")]
    return render(
        request,
        "coordination/contacts.html",
        {
            "patient": patient,
            "form": form,
            "contacts": patient_contacts(user, patient),
            "follow_ups": follow_ups,
            "can_change": can_change,
            "next": request.GET.get("next") or request.POST.get("next", ""),
            "nav": "patients",
        },
        status=400 if request.method == "POST" else 200,
    )


def _contact_message(patient: Patient, contact: Any) -> str:
    if not contact.reached:
        return f"Attempt to reach {patient.full_name} logged."
    case = contact.case
    if case is None or case.status != "active":
        return f"Contact with {patient.full_name} logged."
    follow = case_follow_up(case).next_contact
    if follow is None:
        return f"Contact with {patient.full_name} logged."
    return f"Contact with {patient.full_name} logged; next contact due {follow.due_on:%a %b} {follow.due_on.day}."


@staff_view()
@require_http_methods(["GET", "POST"])
def time_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id)
    cases = _case_choices(patient)
    form = forms.TimeForm(
        request.POST or None, cases=cases, initial={"on": clock.today(), "case": cases[0][0] if cases else ""}
    )
    if request.method == "POST":
        _require_change(user, patient, policy.Action.LOG_TIME)
        if form.is_valid():
            d = form.cleaned_data
            try:
                do_log_time(
                    user,
                    patient,
                    on=d["on"],
                    activity=d["activity"],
                    minutes=d["minutes"],
                    note=d["note"],
                    case=_patient_case(patient, d["case"]),
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, f"{d['minutes']} minutes logged.")
                return redirect("coordination:time", patient_id=patient.pk)
    month_start = clock.today().replace(day=1)
    entries = patient_time(patient, month_start)
    contact_minutes = sum(
        c.minutes for c in patient.contact_log.filter(contact_at__date__gte=month_start).only("minutes")
    )
    return render(
        request,
        "coordination/time.html",
        {
            "patient": patient,
            "form": form,
            "entries": entries,
            "month_start": month_start,
            "entry_minutes": sum(e.minutes for e in entries),
            "contact_minutes": contact_minutes,
            "can_change": policy.may(user, policy.Action.LOG_TIME, patient),
            "nav": "patients",
        },
        status=400 if request.method == "POST" else 200,
    )


# --- Tasks ---------------------------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET", "POST"])
def new_task(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id)
    _require_change(user, patient)
    due = timezone.localtime(clock.now()).replace(hour=17, minute=0) + dt.timedelta(days=1)
    form = forms.TaskForm(
        request.POST or None,
        assignees=_assignees(patient.organization_id),
        cases=_case_choices(patient),
        initial={"due_at": due.strftime("%Y-%m-%dT%H:%M"), "assignee": f"user:{user.pk}"},
        sensitivities=policy.record_sensitivities(user, patient),
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        owner, team = _assignee(d["assignee"], patient.organization_id)
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
                case_id=d["case"] if _patient_case(patient, d["case"]) else None,
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
        "reassign_form": forms.ReassignForm(assignees=_assignees(task.organization_id)),
        "can_claim": task.in_queue and task.is_open,
        "nav": "worklist",
        **extra,
    }


@staff_view()
@require_http_methods(["GET"])
def task_detail(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = access_task(user, task_id)
    return render(request, "coordination/task.html", _task_context(user, task))


@staff_view()
@require_POST
def task_note(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
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
def task_reassign(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = access_task(user, task_id)
    form = forms.ReassignForm(request.POST, assignees=_assignees(task.organization_id))
    if form.is_valid():
        owner, team = _assignee(form.cleaned_data["assignee"], task.organization_id)
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
def task_claim(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
    task = access_task(user, task_id)
    try:
        do_claim_task(user, task)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The task is yours.")
    return _back(request, reverse("coordination:task", args=[task.pk]))


@staff_view()
@require_POST
def move_task(request: HttpRequest, task_id: int) -> HttpResponse:
    user = _user(request)
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
    user = _user(request)
    flag = access_flag(user, flag_id)
    try:
        do_acknowledge_flag(user, flag, note=request.POST.get("note", "")[:2000])
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Alert acknowledged.")
    return _back(request, f"/patients/{flag.patient_id}/")


# --- The care team -------------------------------------------------------------------------------------------
@staff_view()
@require_http_methods(["GET", "POST"])
def care_team_view(request: HttpRequest, patient_id: int) -> HttpResponse:
    user = _user(request)
    patient = access_patient(user, patient_id)
    form = forms.CareTeamMemberForm(
        request.POST or None,
        staff=_staff_choices(patient.organization_id),
        initial={"start_date": clock.today()},
    )
    if request.method == "POST":
        _require_change(user, patient)
        if form.is_valid():
            d = form.cleaned_data
            member = (
                User.objects.filter(pk=d["member"], organization_id=patient.organization_id).first()
                if d["member"]
                else None
            )
            try:
                do_add_care_team_member(
                    user,
                    patient,
                    member=member,
                    role=d["role"],
                    category=d["category"],
                    name=d["name"],
                    organization_name=d["organization_name"],
                    phone=d["phone"],
                    email=d["email"],
                    is_lead=d["is_lead"],
                    start_date=d["start_date"],
                    end_date=d["end_date"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, "Added to the care team.")
                return redirect("coordination:care_team", patient_id=patient.pk)
    return render(
        request,
        "coordination/care_team.html",
        {
            "patient": patient,
            "members": care_team(patient),
            "form": form,
            "end_form": forms.EndMemberForm(initial={"end_date": clock.today()}),
            "today": clock.today(),
            "can_change": policy.may(user, policy.Action.CHANGE, patient),
            "nav": "patients",
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_view()
@require_POST
def end_member(request: HttpRequest, member_id: int) -> HttpResponse:
    user = _user(request)
    member = access_membership(user, member_id)
    _require_change(user, member.patient)
    form = forms.EndMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    else:
        try:
            do_end_care_team_member(
                user, member, end_date=form.cleaned_data["end_date"], reason=form.cleaned_data["reason"]
            )
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"{member.display_name} leaves the team on {form.cleaned_data['end_date']}."
            )
    return redirect("coordination:care_team", patient_id=member.patient_id)


@staff_view()
@require_POST
def lead_member(request: HttpRequest, member_id: int) -> HttpResponse:
    user = _user(request)
    member = access_membership(user, member_id)
    _require_change(user, member.patient)
    try:
        do_set_care_team_lead(user, member)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{member.display_name} now leads the team.")
    return redirect("coordination:care_team", patient_id=member.patient_id)


# --- Closing a case and the unable-to-reach protocol ------------------------------------------------------
def _closure_context(user: User, case: Case, **extra: Any) -> dict[str, Any]:
    pending = pending_closure(case)
    return {
        "case": case,
        "patient": case.patient,
        "pending": pending,
        "last_decision": last_closure_decision(case),
        "needs_approval": closure_needs_approval(user, case),
        "may_decide": pending is not None
        and pending.requested_by_id != user.pk
        and (user.role == Role.ADMIN or case.team.supervisor_id == user.pk),
        "reach": reach_state_for(case) if case.is_open else None,
        "outreach_form": forms.OutreachForm(),
        "decision_form": forms.ClosureDecisionForm(),
        "can_change": policy.may(user, policy.Action.CHANGE, case.patient),
        "nav": "cases",
        **extra,
    }


@staff_view()
@require_http_methods(["GET", "POST"])
def close_case(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = access_case(user, case_id)
    takes_over = request.POST.get("takes_over", "")
    form = forms.ClosureForm(
        request.POST or None,
        initial={
            "summary": closing_summary_draft(case) if case.is_open else "",
            "reason": request.GET.get("reason", ""),
        },
    )
    if request.method == "POST":
        _require_change(user, case.patient)
        if form.is_valid():
            d = form.cleaned_data
            try:
                result = do_request_closure(
                    user,
                    case,
                    reason=d["reason"],
                    reason_other=d["reason_other"],
                    summary=d["summary"],
                    takes_over=takes_over,
                )
            except ActionRefused as exc:
                # The case's rules name the fields as the case page does; this form's names are shorter.
                for theirs, ours in CLOSURE_FIELDS.items():
                    if theirs in exc.errors:
                        exc.errors[ours] = exc.errors.pop(theirs)
                show_refusal(form, exc)
            else:
                if isinstance(result, ClosureRequest):
                    messages.success(request, "Sent to the supervisor for approval.")
                    return redirect("coordination:close_case", case_id=case.pk)
                messages.success(request, "Case closed; the closing summary went to the care team.")
                return redirect("cases:detail", case_id=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "coordination/close.html", _closure_context(user, case, form=form), status=status)


@staff_view(roles=SUPERVISING)
@require_POST
def decide_closure(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = access_case(user, case_id)
    pending = pending_closure(case)
    if pending is None:
        raise Http404("No request to close this case is waiting.")
    form = forms.ClosureDecisionForm(request.POST)
    if form.is_valid():
        try:
            do_decide_closure(
                user,
                pending,
                approve=form.cleaned_data["decision"] == "approve",
                comment=form.cleaned_data["comment"],
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            approved = form.cleaned_data["decision"] == "approve"
            messages.success(request, "Case closed." if approved else "Returned to the case manager.")
            return redirect("cases:detail", case_id=case.pk)
    return render(
        request,
        "coordination/close.html",
        _closure_context(user, case, form=forms.ClosureForm(), decision_form=form),
        status=400,
    )


@staff_view()
@require_POST
def record_outreach(request: HttpRequest, case_id: int) -> HttpResponse:
    user = _user(request)
    case = access_case(user, case_id)
    _require_change(user, case.patient)
    form = forms.OutreachForm(request.POST)
    if form.is_valid():
        try:
            do_record_outreach(user, case, step=form.cleaned_data["step"], note=form.cleaned_data["note"])
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Protocol step recorded.")
            return redirect("coordination:close_case", case_id=case.pk)
    context = _closure_context(user, case, outreach_form=form, form=forms.ClosureForm())
    return render(request, "coordination/close.html", context, status=400)


# --- The monthly time report ------------------------------------------------------------------------------
def _month(request: HttpRequest) -> tuple[forms.MonthForm, dt.date]:
    today = clock.today()
    default = (
        (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        if today.day < 8
        else today.replace(day=1)
    )
    form = forms.MonthForm(request.GET or {"month": f"{default:%Y-%m}"})
    if form.is_valid():
        year, month = form.cleaned_data["month"].split("-")
        return form, dt.date(int(year), int(month), 1)
    return form, default


@staff_view(roles=(Role.SUPERVISOR, Role.ADMIN, Role.CASE_MANAGER))
@require_http_methods(["GET"])
def time_report(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, month = _month(request)
    report = billing.monthly_report(user, month)
    return render(
        request,
        "coordination/time_report.html",
        {"form": form, "month": month, "report": report, "nav": "reports", "programs": Program},
    )


@staff_view(roles=(Role.SUPERVISOR, Role.ADMIN, Role.CASE_MANAGER))
@require_http_methods(["GET"])
def time_report_csv(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form, month = _month(request)
    if request.GET and not form.is_valid():
        return HttpResponse("Give a month as YYYY-MM.", status=400, content_type="text/plain")
    report = billing.monthly_report(user, month)
    audit.record(user, AuditAction.EXPORT, object_type="TimeReport", detail=f"{month:%Y-%m} csv")
    response = HttpResponse(billing.report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="care-management-time-{month:%Y-%m}.csv"'
    return response


def _own_row(model: Any, organization_id: int, raw: str) -> Any:
    """A row of the administrator's own organisation by the id a form sent; 404 for anything else."""
    row = (
        model.objects.filter(organization_id=organization_id, pk=int(raw)).first() if raw.isdigit() else None
    )
    if row is None:
        raise Http404
    return row


# --- Follow-up settings (administrators) ---------------------------------------------------------------
@staff_view(roles=(Role.ADMIN,))
@require_http_methods(["GET", "POST"])
def follow_up_settings(request: HttpRequest) -> HttpResponse:
    """The cadence per programme and tier (defaults shown where nothing is set) and the organisation's days off."""
    user = _user(request)
    org_id = user.organization_id or 0
    cadence_form = forms.CadenceForm(request.POST if request.POST.get("form") == "cadence" else None)
    holiday_form = forms.HolidayForm(request.POST if request.POST.get("form") == "holiday" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "cadence" and cadence_form.is_valid():
                do_set_cadence(user, **cadence_form.cleaned_data)
                messages.success(request, "Cadence saved.")
                return redirect("coordination:follow_up_settings")
            if request.POST.get("form") == "holiday" and holiday_form.is_valid():
                do_add_holiday(user, **holiday_form.cleaned_data)
                messages.success(request, "Day off added.")
                return redirect("coordination:follow_up_settings")
            removals: dict[str, tuple[Any, Callable[[User, Any], None], str]] = {
                "reset": (CadenceRule, do_reset_cadence, "Back to the default cadence."),
                "remove-holiday": (Holiday, do_remove_holiday, "Day off removed."),
            }
            if (removal := removals.get(request.POST.get("form", ""))) is not None:
                model, action, done = removal
                action(user, _own_row(model, org_id, request.POST.get("id", "")))
                messages.success(request, done)
                return redirect("coordination:follow_up_settings")
        except ActionRefused as exc:
            show_refusal(cadence_form if request.POST.get("form") == "cadence" else holiday_form, exc)
    table = cadence_table(org_id)
    rows = [
        (program, tier, table.get((program.value, tier)), rules.DEFAULT_CADENCE_DAYS[tier])
        for program in Program
        for tier in (4, 3, 2, 1)
    ]
    ids = {(r.program, r.acuity_tier): r.pk for r in CadenceRule.objects.filter(organization_id=org_id)}
    today = clock.today()
    return render(
        request,
        "coordination/follow_up_settings.html",
        {
            "rows": [(p, t, c, d, ids.get((p.value, t))) for p, t, c, d in rows],
            "cadence_form": cadence_form,
            "holiday_form": holiday_form,
            "holidays": Holiday.objects.filter(
                organization_id=org_id, date__gte=today - dt.timedelta(days=31)
            ),
            "public": sorted(public_holidays(today, today + dt.timedelta(days=365))),
            "country": settings.HOLIDAY_COUNTRY,
            "nav": "follow-up",
        },
        status=400 if request.method == "POST" else 200,
    )
