"""The case pages: the list of cases with the user's open tasks, and one case with what every app knows about it
(the chart header, history, consent, acuity and its suggestion, assessments due, follow-up, the care plan card,
open tasks). They gather cases, coordination, assessments, careplans and privacy, so they sit here at the top of
the import graph; the URLs keep the `cases:` names (chart/case_urls.py adds the cases app's own pages)."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.choices import Role
from careconductor.accounts.models import User
from careconductor.assessments.queries import acuity_suggestion, reassessments_due
from careconductor.cases import rules
from careconductor.cases.actions import do_set_acuity, do_transition_case
from careconductor.cases.choices import CaseStatus
from careconductor.cases.forms import AcuityForm, CaseFilterForm, ConsentForm, TransitionForm
from careconductor.cases.models import Case, CaseAssignment, CaseStatusChange
from careconductor.cases.queries import access_case, case_list
from careconductor.coordination.queries import case_follow_up, my_open_tasks, patient_open_tasks
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit, policy
from careconductor.privacy.actions import do_record_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType
from careconductor.privacy.guards import staff_view
from careconductor.privacy.queries import consent_in_force

from .summary import chart_summary

TASKS_SHOWN = 20
PAGE_SIZE = 50


def _managers(user: User) -> list[tuple[int, str]]:
    """Whom the case-manager filter offers: yourself, or your teams' staff (everyone, for an admin)."""
    staff = User.objects.filter(
        organization_id=user.org_id, role__in=[Role.CASE_MANAGER, Role.SUPERVISOR], is_active=True
    )
    if user.role == Role.SUPERVISOR:
        staff = staff.filter(Q(profile__team__supervisor=user) | Q(pk=user.pk))
    elif user.role != Role.ADMIN:
        staff = staff.filter(pk=user.pk)
    return [(u.pk, u.display_name()) for u in staff.order_by("last_name", "first_name")]


@staff_view()
@require_http_methods(["GET"])
def case_list_view(request: StaffRequest) -> HttpResponse:
    user = request.user
    params = request.GET.copy()
    if not params and user.role == Role.CASE_MANAGER:
        params.update(
            {"status": "open", "case_manager": str(user.pk)}
        )  # a case manager starts on their own caseload
    form = CaseFilterForm(params, managers=_managers(user))
    filters = form.cleaned_data if form.is_valid() else {}
    qs = case_list(
        user,
        status=filters.get("status") or "",
        program=filters.get("program") or "",
        case_manager_id=filters.get("case_manager"),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record_reads(user, [c.patient for c in page.object_list], object_type="Case")
    # The owner (the user) and queue come with the tasks: the list names each task's owner.
    tasks = list(my_open_tasks(user).select_related("owner", "team")[:TASKS_SHOWN])
    audit.record_reads(user, {t.patient for t in tasks}, object_type="Task")
    params.pop("page", None)
    return render(
        request,
        "chart/case_list.html",
        {"form": form, "page": page, "nav": "cases", "querystring": params.urlencode(), "tasks": tasks},
    )


def _history(case: Case) -> list[tuple[dt.datetime, str, CaseStatusChange | CaseAssignment]]:
    """Status changes and assignments in one timeline, oldest first: (when, kind, row)."""
    entries: list[tuple[dt.datetime, str, CaseStatusChange | CaseAssignment]] = [
        (c.changed_at, "status", c) for c in case.status_changes.select_related("changed_by")
    ]
    entries += [
        (a.assigned_at, "assignment", a)
        for a in case.assignments.select_related("case_manager", "assigned_by")
    ]
    entries.sort(key=lambda entry: entry[0])
    return entries


def _case_context(user: User, case: Case) -> dict[str, object]:
    targets = case.allowed_targets()
    patient = case.patient
    return {
        "case": case,
        "patient": patient,
        "summary": chart_summary(patient),
        "history": _history(case),
        "transitions": [
            (t, rules.TRANSITION_LABELS[t], TransitionForm(initial={"target": t})) for t in targets
        ],
        "has_consent": consent_in_force(patient, ConsentType.CM_ENROLMENT),
        "consent_form": ConsentForm(initial={"given_on": clock.today(), "method": ConsentMethod.VERBAL}),
        "acuity_form": AcuityForm(initial={"acuity_tier": case.acuity_tier}),
        "can_change": policy.may(user, policy.Action.CHANGE, patient),
        "can_assign": policy.may(user, policy.Action.ASSIGN, patient) and case.is_open,
        "acuity_suggestion": acuity_suggestion(case) if case.is_open else None,
        "reassessments": reassessments_due(case) if case.is_open else [],
        "tasks": patient_open_tasks(user, patient),
        "follow_up": case_follow_up(case) if case.is_open else None,
        "nav": "cases",
    }


def _render(request: StaffRequest, context: dict[str, object], status: int = 200) -> HttpResponse:
    return render(request, "chart/case_detail.html", context, status=status)


@staff_view()
@require_http_methods(["GET"])
def case_detail(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    return _render(request, _case_context(user, case))


@staff_view()
@require_POST
def case_transition(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    form = TransitionForm(request.POST)
    if (
        form.is_valid()
        and form.cleaned_data["target"] == CaseStatus.CLOSED
        and CaseStatus.CLOSED in case.allowed_targets()
    ):
        # Closing has its own page: the summary, the unable-to-reach protocol and the supervisor's approval.
        return redirect("coordination:close_case", case_id=case.pk)
    if form.is_valid():
        target = CaseStatus(form.cleaned_data["target"])
        try:
            do_transition_case(
                user,
                case,
                rules.TransitionRequest(
                    target=target,
                    note=form.cleaned_data["note"],
                    closure_reason=form.cleaned_data["closure_reason"],
                    closure_reason_other=form.cleaned_data["closure_reason_other"],
                    closing_summary=form.cleaned_data["closing_summary"],
                ),
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, f"The case is now {target.label.lower()}.")
            return redirect("cases:detail", case_id=case.pk)
    context = _case_context(user, case)
    transitions = cast(list[tuple[str, str, TransitionForm]], context["transitions"])
    if form.data.get("target") not in [t for t, _, _ in transitions]:
        for message in form.non_field_errors():
            messages.error(request, str(message))
    # Show the refused form open, with its errors beside the fields, in place of the blank one.
    context["transitions"] = [
        (t, label, form if t == form.data.get("target") else blank) for t, label, blank in transitions
    ]
    context["open_target"] = form.data.get("target")
    return _render(request, context, status=400)


@staff_view()
@require_POST
def case_consent(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            do_record_consent(user, case.patient, consent_type=ConsentType.CM_ENROLMENT, **form.cleaned_data)
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, "Consent to case management is recorded.")
            return redirect("cases:detail", case_id=case.pk)
    context = _case_context(user, case)
    context["consent_form"] = form
    return _render(request, context, status=400)


@staff_view()
@require_POST
def case_acuity(request: StaffRequest, case_id: int) -> HttpResponse:
    user = request.user
    case = access_case(user, case_id)
    form = AcuityForm(request.POST)
    if form.is_valid():
        try:
            do_set_acuity(user, case, form.cleaned_data["acuity_tier"], note=form.cleaned_data["note"])
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, f"Acuity set to tier {form.cleaned_data['acuity_tier']}.")
            return redirect("cases:detail", case_id=case.pk)
    context = _case_context(user, case)
    context["acuity_form"] = form
    return _render(request, context, status=400)
