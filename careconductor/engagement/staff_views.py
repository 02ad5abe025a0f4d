"""The staff side of engagement: inviting the patient, alert limits, what the patient reports, and messages
answered from the chart. Thin views over queries and actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careconductor.accounts.rules import Page, roles_for
from careconductor.chart.summary import chart_summary
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import post_form, show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from . import queries
from .actions.invitations import do_invite_patient, do_withdraw_invitation
from .actions.messages import do_mark_patient_messages_read, do_send_message
from .actions.thresholds import (
    do_clear_programme_threshold,
    do_clear_threshold,
    do_set_programme_threshold,
    do_set_threshold,
)
from .choices import ThresholdMeasure
from .forms import InviteForm, ProgrammeThresholdForm, StaffMessageForm, ThresholdForm
from .models import PortalInvitation, Threshold
from .rules import DEFAULT_LIMITS, HEART_FAILURE_WEIGHT
from .views.messages import attachment_refused, attachment_response


def _portal_context(request: StaffRequest, patient: Patient, **extra: Any) -> dict[str, Any]:
    user = request.user
    return {
        "patient": patient,
        "summary": chart_summary(patient),
        "s": queries.self_management(patient),
        "limits": [
            (ThresholdMeasure(key).label, limit) for key, limit in queries.limits_for(patient).items()
        ],
        "own_limits": queries.patient_thresholds(patient),
        "invitations": list(
            PortalInvitation.objects.filter(
                patient=patient, accepted_at__isnull=True, withdrawn_at__isnull=True
            )
            .select_related("created_by", "grant")
            .order_by("-created_at")
        ),
        "proxies": queries.active_proxies(patient),
        "check_ins": list(queries.recent_check_ins(patient, 15)),
        "readings": list(reversed(queries.self_readings(patient, _since(90))))[:30],
        "can_change": policy.may(user, policy.Action.CHANGE, patient),
        "invite_form": extra.pop("invite_form", None) or InviteForm(initial={"email": patient.email}),
        "threshold_form": extra.pop("threshold_form", None) or ThresholdForm(),
        "nav": "patients",
        **extra,
    }


def _since(days: int) -> Any:
    import datetime as dt

    from careconductor.core import clock

    return clock.now() - dt.timedelta(days=days)


@staff_view()
@require_GET
def portal_page(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id)
    return render(request, "engagement/staff/portal.html", _portal_context(request, patient))


@staff_view()
@require_POST
def invite(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            made = do_invite_patient(user, patient, email=form.cleaned_data["email"])
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            context = _portal_context(request, patient, new_link=request.build_absolute_uri(made.path))
            return render(request, "engagement/staff/portal.html", context)
    return render(
        request,
        "engagement/staff/portal.html",
        _portal_context(request, patient, invite_form=form),
        status=422,
    )


@staff_view()
@require_POST
def withdraw(request: StaffRequest, invitation_id: int) -> HttpResponse:
    user = request.user
    invitation = (
        PortalInvitation.objects.filter(policy.patient_q(user))
        .select_related("patient")
        .filter(pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise NotVisible
    try:
        do_withdraw_invitation(user, invitation)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Invitation withdrawn: the link no longer works.")
    return redirect("engagement:portal", patient_id=invitation.patient_id)


@staff_view()
@require_POST
def set_threshold(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    form = ThresholdForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: do_set_threshold(
            user, patient, measure=d["measure"], low=d["low"], high=d["high"], reason=d["reason"]
        ),
        success="Alert limit saved for this patient.",
        done_url=reverse("engagement:portal", kwargs={"patient_id": patient.pk}),
        redisplay=lambda: render(
            request,
            "engagement/staff/portal.html",
            _portal_context(request, patient, threshold_form=form),
            status=422,
        ),
    )


@staff_view()
@require_POST
def clear_threshold(request: StaffRequest, threshold_id: int) -> HttpResponse:
    user = request.user
    threshold = queries.access_threshold(user, threshold_id)
    patient_id = threshold.patient_id
    try:
        do_clear_threshold(user, threshold)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Back to the programme's or the default limit.")
    return redirect("engagement:portal", patient_id=patient_id)


@staff_view()
@require_http_methods(["GET", "POST"])
def messages_page(request: StaffRequest, patient_id: int) -> HttpResponse:
    """The patient's messages, newest first; opening the page marks the patient's messages read. A reply or a
    new message goes to the patient's portal (they get an e-mail that says only that a message is waiting)."""
    user = request.user
    patient = access_patient(user, patient_id)
    form = StaffMessageForm(request.POST or None, request.FILES or None)
    reply_to = None
    wanted = request.POST.get("reply_to", "") if request.method == "POST" else request.GET.get("reply", "")
    if (wanted_id := whole_number(wanted)) is not None:
        reply_to = queries.access_message(user, wanted_id)
        if reply_to.patient_id != patient.pk:
            raise NotVisible
        form.fields["subject"].required = False

    def page() -> HttpResponse:
        items = queries.patient_messages(patient)
        audit.record(
            user, AuditAction.READ, patient=patient, object_type="Message", detail=f"{len(items)} messages"
        )
        do_mark_patient_messages_read(user, patient)
        return render(
            request,
            "engagement/staff/messages.html",
            {
                "patient": patient,
                "summary": chart_summary(patient),
                "items": items,
                "form": form,
                "reply_to": reply_to,
                "can_change": policy.may(user, policy.Action.MESSAGE, patient),
                "nav": "patients",
            },
            status=422 if request.method == "POST" else 200,
        )

    if request.method != "POST":
        return page()
    return post_form(
        request,
        form,
        lambda d: do_send_message(
            user, patient, subject=d["subject"], body=d["body"], files=d["attachments"], reply_to=reply_to
        ),
        success="Message sent to the patient's portal.",
        done_url=reverse("engagement:messages", kwargs={"patient_id": patient.pk}),
        redisplay=page,
    )


@staff_view()
@require_GET
def attachment(request: StaffRequest, attachment_id: int) -> HttpResponseBase:
    found = queries.access_attachment(request.user, attachment_id)
    try:
        return attachment_response(queries.attachment_content(request.user, found), found)
    except queries.UnsafeAttachment:
        return attachment_refused(request, found)


@staff_view(roles=roles_for(Page.SETUP))  # a set-up section
@require_http_methods(["GET", "POST"])
def alert_limit_settings(request: StaffRequest) -> HttpResponse:
    """The organisation's alert limits per programme, over the shipped defaults; a patient's own limit, set on
    their portal page, still comes first."""
    user = request.user
    org_id = user.org_id
    form = ProgrammeThresholdForm(request.POST if request.POST.get("form") == "limit" else None)
    if request.method == "POST":
        if request.POST.get("form") == "clear":
            wanted = request.POST.get("id", "")
            row = Threshold.objects.filter(
                organization_id=org_id,
                patient__isnull=True,
                pk=whole_number(wanted) or 0,
            ).first()
            if row is None:
                raise NotVisible
            do_clear_programme_threshold(user, row)
            messages.success(request, "Back to the default limit.")
            return redirect("engagement:alert_limits")
        return post_form(
            request,
            form,
            lambda d: do_set_programme_threshold(
                user,
                program=d["program"],
                measure=d["measure"],
                low=d["low"],
                high=d["high"],
                reason=d["reason"],
            ),
            success="Alert limit saved.",
            done_url="engagement:alert_limits",
            redisplay=lambda: _alert_limits_page(request, form),
        )
    return _alert_limits_page(request, form)


def _alert_limits_page(request: StaffRequest, form: ProgrammeThresholdForm) -> HttpResponse:
    rows = Threshold.objects.filter(organization_id=request.user.org_id, patient__isnull=True)
    return render(
        request,
        "engagement/staff/alert_limits.html",
        {
            "form": form,
            "rows": rows.select_related("set_by").order_by("program", "measure"),
            "defaults": [*DEFAULT_LIMITS.values(), HEART_FAILURE_WEIGHT],
            "nav": "alert-limits",
        },
        status=422 if request.method == "POST" else 200,
    )
