"""The receiving organisation's side: the single-use link (no account; `public`, the token is the credential,
every refusal audited and too many from one address shut out), and the partner log-in (referrals.PartnerAccount)
that lists only the referrals sent to its own organisation. Both show the minimum necessary: the patient's name,
the need, and only what the referring case manager chose to share."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from careconductor.accounts.choices import Role
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import public, staff_view

from . import actions, queries, rules
from .actions.links import PARTNER, LinkRefused, open_link, partner_url
from .choices import ReferralStatus
from .forms import AnswerForm
from .models import Referral

# The partner's own log-in: signed in, past its second factor (always required: User.mfa_required), and only
# the partner role. The guard is staff_view's, limited to that one role.
partner_view = staff_view([Role.PARTNER])


def _shown(referral: Referral) -> dict[str, Any]:
    """What the organisation sees: name and need always, the rest as shared (rules.shared_fields)."""
    shared = set(rules.shared_fields(referral.shared))
    patient = referral.patient
    return {
        "referral": referral,
        "patient_name": patient.full_name,
        "shows": shared,
        "phone": patient.phone if "contact" in shared else "",
        "address": patient.address_line if "contact" in shared else "",
        "birth_date": patient.birth_date if "birth_date" in shared else None,
        "language": patient.preferred_language if "language" in shared else "",
        "interpreter": patient.interpreter_needed if "language" in shared else None,
        "reason": referral.reason if "reason" in shared else "",
        "attachments": list(referral.attachments.all()) if "attachments" in shared else [],
        "events": list(referral.events.all()),
    }


@public
@require_http_methods(["GET", "POST"])
def partner_link(request: HttpRequest, referral_id: int, token: str) -> HttpResponse:
    try:
        link = open_link(referral_id, token)
    except LinkRefused as refused:
        return render(
            request, "referrals/partner/refused.html", {"reason": refused.reason}, status=refused.status
        )
    referral = link.referral
    moves = [
        m for m in rules.next_statuses(referral.status, rules.Side.RECEIVER) if m in rules.RECEIVER_MOVES
    ]
    form = AnswerForm(request.POST or None, moves=moves)

    def page(status: int = 200, **extra: Any) -> HttpResponse:
        audit.record(None, AuditAction.READ, patient=referral.patient_id, obj=referral, username=PARTNER)
        context = {**_shown(referral), "form": form, "moves": moves, "via_link": True, **extra}
        return render(request, "referrals/partner/referral.html", context, status=status)

    if request.method == "GET":
        return page()
    if form.is_valid():
        data = form.cleaned_data
        try:
            referral, new_token = actions.do_answer_by_link(
                referral_id,
                token,
                ReferralStatus(data["status"]),
                note=data["note"],
                decline_reason=data["decline_reason"],
                proposed_at=data["proposed_at"],
            )
        except LinkRefused as refused:
            return render(
                request, "referrals/partner/refused.html", {"reason": refused.reason}, status=refused.status
            )
        except ActionRefused as refused:
            show_refusal(form, refused)
        else:
            return render(
                request,
                "referrals/partner/answered.html",
                {
                    "referral": referral,
                    "next_link": partner_url(referral.pk, new_token) if new_token else "",
                },
            )
    return page(status=400)


@public
@require_GET
def partner_link_attachment(
    request: HttpRequest, referral_id: int, token: str, attachment_id: int
) -> HttpResponse:
    try:
        link = open_link(referral_id, token)
    except LinkRefused as refused:
        return render(
            request, "referrals/partner/refused.html", {"reason": refused.reason}, status=refused.status
        )
    return _attachment(None, link.referral, attachment_id)


def _attachment(user: Any, referral: Referral, attachment_id: int) -> HttpResponse:
    if "attachments" not in rules.shared_fields(referral.shared):
        raise NotVisible
    item = queries.attachment_of(referral, attachment_id)
    audit.record(
        user, AuditAction.READ, patient=referral.patient_id, obj=item, username="" if user else PARTNER
    )
    response = HttpResponse(bytes(item.data), content_type=item.content_type)
    response["Content-Disposition"] = f'attachment; filename="{item.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@partner_view
@require_GET
def partner_home(request: StaffRequest) -> HttpResponse:
    account = queries.partner_account(request.user)
    referrals = list(queries.partner_referrals(request.user).order_by("-sent_at", "-pk")[:200])
    audit.record_resource_reads(
        request.user, [(r.patient_id, "Referral", str(r.pk)) for r in referrals], detail="partner list"
    )
    return render(
        request,
        "referrals/partner/home.html",
        {
            "account": account,
            "referrals": referrals,
            "open": [r for r in referrals if not rules.is_terminal(r.status)],
        },
    )


@partner_view
@require_http_methods(["GET", "POST"])
def partner_detail(request: StaffRequest, referral_id: int) -> HttpResponse:
    user = request.user
    referral = queries.partner_referral(user, referral_id)
    moves = [
        m for m in rules.next_statuses(referral.status, rules.Side.RECEIVER) if m in rules.RECEIVER_MOVES
    ]
    form = AnswerForm(request.POST or None, moves=moves)

    def page(status: int = 200) -> HttpResponse:
        audit.record(user, AuditAction.READ, patient=referral.patient_id, obj=referral)
        context = {**_shown(referral), "form": form, "moves": moves, "via_link": False}
        return render(request, "referrals/partner/referral.html", context, status=status)

    if request.method == "GET":
        return page()
    if form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_answer_as_partner(
                user,
                referral.pk,
                ReferralStatus(data["status"]),
                note=data["note"],
                decline_reason=data["decline_reason"],
                proposed_at=data["proposed_at"],
            )
        except ActionRefused as refused:
            show_refusal(form, refused)
        else:
            messages.success(request, "Thank you: your answer is sent to the case manager.")
            return redirect(reverse("referrals:partner_detail", args=[referral.pk]))
    return page(status=400)


@partner_view
@require_GET
def partner_attachment(request: StaffRequest, referral_id: int, attachment_id: int) -> HttpResponse:
    referral = queries.partner_referral(request.user, referral_id)
    return _attachment(request.user, referral, attachment_id)
