"""Staff pages of referrals: a patient's referrals, making one (from the chart, the directory, the plan or a
finding), its page with everything that happened, and what is posted there (send with consent, record the
organisation's answer, cancel, read what came back, a new link, documents)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careconductor.accounts.rules import Page, roles_for
from careconductor.chart.summary import chart_summary
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form, set_choices, show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.patients.queries import access_patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from . import actions, queries, rules
from .actions.links import partner_url
from .choices import ReferralStatus
from .forms import AcknowledgeForm, AnswerForm, CancelForm, ReferralForm, SendForm
from .hooks import AFTER_CREATE
from .models import Referral

REFERRING = roles_for(Page.RESOURCES)


@staff_view(REFERRING)
@require_GET
def patient_referrals(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id)
    referrals = queries.patient_referrals(request.user, patient)
    return render(
        request,
        "referrals/patient_referrals.html",
        {
            "patient": patient,
            "summary": chart_summary(patient),
            "referrals": referrals,
            "may_change": policy.may(request.user, policy.Action.CHANGE, patient),
            "nav": "patients",
        },
    )


@staff_view(REFERRING)
@require_http_methods(["GET", "POST"])
def new(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    start = queries.referral_start(user, patient, request.GET)
    form = ReferralForm(request.POST or None, request.FILES or None, initial=start.initial)

    def page() -> HttpResponse:
        return render(
            request,
            "referrals/new.html",
            {
                "patient": patient,
                "summary": chart_summary(patient),
                "form": form,
                "start": start,
                "nav": "patients",
            },
            status=400 if form.is_bound else 200,
        )

    if request.method == "GET":
        return page()

    def act(data: dict[str, Any]) -> Referral:
        service = (
            start.service if data.get("service") == (start.service.pk if start.service else None) else None
        )
        if data.get("service") and service is None:
            service = queries.service_for(user, data["service"])
        with transaction.atomic():
            referral = actions.do_create_referral(
                user,
                patient,
                need=data["need"],
                reason=data["reason"],
                urgency=data["urgency"],
                service=service,
                recipient_name=data["recipient_name"],
                recipient_contact=data["recipient_contact"],
                recipient_hipaa_covered=data["recipient_hipaa_covered"],
                shared=data["shared"],
                patient_instructions=data["patient_instructions"],
                origin=start.origin,
                intervention=start.intervention,
                barrier=start.barrier,
                goal=start.goal,
                finding=start.finding,
            )
            files = request.FILES.getlist("attachments")
            if files:
                actions.do_add_attachments(user, referral, files)
            for hook in AFTER_CREATE:
                hook(user, referral, request.GET)
        return referral

    return post_form(
        request,
        form,
        act,
        success="Referral saved as a draft: check it, then send it.",
        done_url=lambda r: reverse("referrals:detail", args=[r.pk]),
        redisplay=page,
    )


def _detail_page(request: StaffRequest, referral: Referral, status: int = 200, **forms: Any) -> HttpResponse:
    user = request.user
    may_change = policy.may(user, policy.Action.CHANGE, referral.patient)
    moves = rules.next_statuses(referral.status, rules.Side.RECEIVER)
    consents = queries.consents_for(referral) if referral.status == ReferralStatus.DRAFT else []
    send = forms.get("send") or SendForm(initial={"given_on": clock.today()})
    set_choices(send, "consent", [("", "—"), *((c.pk, queries.consent_words(c)) for c in consents)])
    context = {
        "referral": referral,
        "patient": referral.patient,
        "summary": chart_summary(referral.patient),
        "may_change": may_change,
        "needs_consent": queries.needs_consent(referral),
        "shared_words": queries.shared_words(referral),
        "send_form": send,
        "answer_form": forms.get("answer") or AnswerForm(moves=moves),
        "cancel_form": forms.get("cancel") or CancelForm(),
        "acknowledge_form": forms.get("acknowledge") or AcknowledgeForm(),
        "moves": moves,
        "may_cancel": rules.may_move(referral.status, ReferralStatus.CANCELLED, rules.Side.REFERRER),
        "is_open": not rules.is_terminal(referral.status),
        "new_link": forms.get("new_link", ""),
        "nav": "patients",
    }
    return render(request, "referrals/detail.html", context, status=status)


@staff_view(REFERRING)
@require_GET
def detail(request: StaffRequest, referral_id: int) -> HttpResponse:
    return _detail_page(request, queries.access_referral(request.user, referral_id))


@staff_view(REFERRING)
@require_POST
def send(request: StaffRequest, referral_id: int) -> HttpResponse:
    user = request.user
    referral = queries.access_referral(user, referral_id, for_change=True)
    form = SendForm(request.POST)
    set_choices(form, "consent", [("", "—"), *((c.pk, "") for c in queries.consents_for(referral))])
    if form.is_valid():
        data = form.cleaned_data
        consent = queries.consent_of(referral, data["consent"]) if data["consent"] else None
        record = (
            {"method": data["method"], "given_on": data["given_on"] or clock.today()}
            if data["record_consent"] and consent is None
            else None
        )
        try:
            referral, token = actions.do_send_referral(
                user, referral, consent=consent, record_consent=record, note=data["note"]
            )
        except ActionRefused as refused:
            show_refusal(form, refused)
        else:
            if token:
                where = referral.links.first()
                messages.success(
                    request,
                    f"Referral sent to {referral.recipient}."
                    + (f" Their link was e-mailed to {where.sent_to}." if where and where.sent_to else ""),
                )
                return _detail_page(
                    request,
                    queries.access_referral(user, referral.pk),
                    new_link=partner_url(referral.pk, token),
                )
            messages.success(request, f"Referral sent to {referral.recipient}.")
            return redirect("referrals:detail", referral.pk)
    return _detail_page(request, referral, status=400, send=form)


@staff_view(REFERRING)
@require_POST
def answer(request: StaffRequest, referral_id: int) -> HttpResponse:
    user = request.user
    referral = queries.access_referral(user, referral_id, for_change=True)
    form = AnswerForm(request.POST, moves=rules.next_statuses(referral.status, rules.Side.RECEIVER))
    return post_form(
        request,
        form,
        lambda d: actions.do_record_answer(
            user,
            referral,
            ReferralStatus(d["status"]),
            note=d["note"],
            decline_reason=d["decline_reason"],
            proposed_at=d["proposed_at"],
        ),
        success="The organisation's answer is recorded.",
        done_url=reverse("referrals:detail", args=[referral.pk]),
        redisplay=lambda: _detail_page(request, referral, status=400, answer=form),
    )


@staff_view(REFERRING)
@require_POST
def cancel(request: StaffRequest, referral_id: int) -> HttpResponse:
    user = request.user
    referral = queries.access_referral(user, referral_id, for_change=True)
    form = CancelForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: actions.do_cancel_referral(user, referral, reason=d["note"]),
        success="Referral cancelled.",
        done_url=reverse("referrals:detail", args=[referral.pk]),
        redisplay=lambda: _detail_page(request, referral, status=400, cancel=form),
    )


@staff_view(REFERRING)
@require_POST
def acknowledge(request: StaffRequest, referral_id: int) -> HttpResponse:
    user = request.user
    referral = queries.access_referral(user, referral_id, for_change=True)
    form = AcknowledgeForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: actions.do_acknowledge(
            user, referral, note=d["note"], resolve_barrier=d["resolve_barrier"]
        ),
        success="Put on the plan; the worklist row is gone.",
        done_url=reverse("referrals:detail", args=[referral.pk]),
        redisplay=lambda: _detail_page(request, referral, status=400, acknowledge=form),
    )


@staff_view(REFERRING)
@require_POST
def new_link(request: StaffRequest, referral_id: int) -> HttpResponse:
    user = request.user
    referral = queries.access_referral(user, referral_id, for_change=True)
    try:
        token = actions.do_issue_link(user, referral)
    except ActionRefused as refused:
        messages.error(request, " ".join(refused.errors.values()))
        return redirect("referrals:detail", referral.pk)
    messages.success(request, "A new link was made; the old one no longer works.")
    return _detail_page(
        request, queries.access_referral(user, referral.pk), new_link=partner_url(referral.pk, token)
    )


@staff_view(REFERRING)
@require_POST
def add_attachments(request: StaffRequest, referral_id: int) -> HttpResponse:
    user = request.user
    referral = queries.access_referral(user, referral_id, for_change=True)
    try:
        added = actions.do_add_attachments(user, referral, request.FILES.getlist("attachments"))
    except ActionRefused as refused:
        messages.error(request, " ".join(refused.errors.values()))
    else:
        messages.success(request, f"{len(added)} document{'s' if len(added) != 1 else ''} attached.")
    return redirect("referrals:detail", referral.pk)


@staff_view(REFERRING)
@require_GET
def attachment(request: StaffRequest, referral_id: int, attachment_id: int) -> HttpResponse:
    referral = queries.access_referral(request.user, referral_id)
    item = queries.attachment_of(referral, attachment_id)
    audit.record(request.user, AuditAction.READ, patient=referral.patient, obj=item)
    response = HttpResponse(bytes(item.data), content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="{item.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
