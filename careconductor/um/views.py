"""The UM screens (issue 21): the worklist ranked by the clock, taking a request in, and one request's page with
the review, the decision, the appeal and the notices. Thin: parse with a form, fetch through queries.access_*,
change through actions.do_*, refusals beside their fields. Open to UM reviewers and the medical director
(accounts.rules.Page.PRIOR_AUTH); the chart shows a member's requests to their case staff (templatetags)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.rules import Page, roles_for
from careconductor.cases.choices import Program
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form, show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.letters.models import Letter
from careconductor.letters.pdf import render_pdf
from careconductor.privacy.guards import staff_view

from . import actions, criteria, metrics, queries, rules
from .actions.base import is_physician, um_settings
from .choices import MOVE_LABELS, PLAN_TYPE_LABELS, STATUS_LABELS, URGENCY_LABELS, NoticeRecipient
from .forms import (
    AppealDecisionForm,
    AppealForm,
    DecisionForm,
    ExtensionForm,
    IntakeForm,
    NoteForm,
    PeerToPeerForm,
    PendForm,
    ReferForm,
    SettingsForm,
    StayReviewForm,
    criteria_form,
)
from .models import AuthRequest

UM = roles_for(Page.PRIOR_AUTH)
INTAKE_FIELDS = {
    "lines": "code_1",
    "attachments": "documents",
    "line_1": "code_1",
    "line_2": "code_2",
    "line_3": "code_3",
}


@staff_view(UM)
@require_http_methods(["GET"])
def worklist(request: StaffRequest) -> HttpResponse:
    which = request.GET.get("show", "all")
    which = which if which in queries.FILTERS else "all"
    rows, total = queries.worklist(request.user, which)
    stays = queries.stay_reviews_due(request.user)
    return render(
        request,
        "um/worklist.html",
        {
            "rows": rows,
            "total": total,
            "stays": stays,
            "which": which,
            "filters": queries.FILTERS,
            "status_labels": {s.value: w for s, w in STATUS_LABELS.items()},
            "nav": Page.PRIOR_AUTH.value,
        },
    )


@staff_view(UM)
@require_http_methods(["GET", "POST"])
def intake(request: StaffRequest) -> HttpResponse:
    user = request.user

    def page(form: IntakeForm, status: int = 200) -> HttpResponse:
        return render(request, "um/intake.html", {"form": form, "nav": Page.PRIOR_AUTH.value}, status=status)

    if request.method == "GET":
        return page(IntakeForm())
    form = IntakeForm(request.POST, request.FILES)

    def act(data: dict[str, Any]) -> AuthRequest:
        member = queries.find_member(user, data["member_id"], data["birth_date"])
        try:
            return actions.do_receive_request(
                user, member, form.new_request(request.FILES.getlist("documents"))
            )
        except ActionRefused as exc:  # the action's words for the lines and files, beside the form's fields
            raise ActionRefused({INTAKE_FIELDS.get(k, k): v for k, v in exc.errors.items()}) from exc

    return post_form(
        request,
        form,
        act,
        success=lambda r: (
            f"{r.reference} received: due {timezone.localtime(r.due_at):%a %b %-d %H:%M}"
            + (" (pended for information)." if r.status == rules.Status.PENDED else ".")
        ),
        done_url=lambda r: reverse("um:request", args=[r.pk]),
        redisplay=lambda: page(form, 400),
    )


def _page(
    request: StaffRequest, um: AuthRequest, bound: dict[str, django_forms.Form] | None = None
) -> HttpResponse:
    user = request.user
    bound = bound or {}
    facts, physician = um.facts, is_physician(user)
    me = rules.Actor(user.pk, physician)
    now = clock.now()
    # The plan's own appeal window, as do_file_appeal checks it, so the page offers an appeal only when it can be.
    appeal_days = um_settings(um.organization_id).appeal_days
    allowed = {
        m
        for m in rules.Move
        if not rules.move_problems(
            facts, m, me, reason=rules.DenialReason.CRITERIA_NOT_MET.value, now=now, appeal_days=appeal_days
        )
    }
    appeal = getattr(um, "appeal", None)
    sets = [c for line in um.lines.all() for c in criteria.criteria_for(line.code)]
    chosen = next((c for c in sets if c.id == um.criteria_set), sets[0] if sets else None)
    start, due = (
        (appeal.filed_at, appeal.due_at)
        if appeal and um.status == rules.Status.APPEALED
        else (um.received_at, um.due_at)
    )
    context = {
        "um": um,
        "lines": list(um.lines.all()),
        "appeal": appeal,
        "clock": rules.clock_state(start, due, now) if um.status in queries.OPEN_WORK else None,
        "due": due,
        "left": rules.left_words(due - now),
        "allowed": {m.value for m in allowed},
        "move_labels": {m.value: w for m, w in MOVE_LABELS.items()},
        "status_label": STATUS_LABELS[rules.Status(um.status)],
        "urgency_label": URGENCY_LABELS[rules.Urgency(um.urgency)],
        "physician": physician,
        "in_review": um.status in (rules.Status.IN_REVIEW, rules.Status.PHYSICIAN_REVIEW),
        "criteria_sets": sets,
        "criteria": chosen,
        "criteria_form": bound.get("criteria")
        or (criteria_form(list(chosen.questions), um.criteria_answers) if chosen else None),
        "pend_form": bound.get("pend") or PendForm(),
        "extend_form": bound.get("extend") or ExtensionForm(),
        "max_extension_days": rules.MAX_EXTENSION_DAYS,
        "note_form": bound.get("note") or NoteForm(),
        "p2p_form": bound.get("p2p") or PeerToPeerForm(),
        "decision_form": bound.get("decision") or DecisionForm(line_ids=[line.pk for line in um.lines.all()]),
        "appeal_form": bound.get("appeal") or AppealForm(),
        "appeal_decision_form": bound.get("appeal_decision") or AppealDecisionForm(),
        "refer_form": bound.get("refer") or ReferForm(),
        "stay_form": bound.get("stay") or StayReviewForm(initial={"next_review_on": um.next_review_on}),
        "stay_open": um.setting == "inpatient"
        and um.status in (rules.Status.IN_REVIEW, rules.Status.APPROVED, rules.Status.PARTIAL),
        "nav": Page.PRIOR_AUTH.value,
    }
    return render(request, "um/request.html", context, status=400 if bound else 200)


@staff_view(UM)
@require_http_methods(["GET"])
def request_page(request: StaffRequest, request_id: int) -> HttpResponse:
    return _page(request, queries.access_request(request.user, request_id))


def _post(
    request: StaffRequest,
    request_id: int,
    key: str,
    form: django_forms.Form,
    act: Callable[[dict[str, Any]], object],
    success: str,
) -> HttpResponse:
    um = queries.access_request(request.user, request_id)
    return post_form(
        request,
        form,
        act,
        success=success,
        done_url=reverse("um:request", args=[request_id]),
        redisplay=lambda: _page(request, um, {key: form}),
    )


@staff_view(UM)
@require_POST
def take(request: StaffRequest, request_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    return _post(
        request,
        request_id,
        "note",
        form,
        lambda _: actions.do_take_review(request.user, request_id),
        "The request is yours to review.",
    )


@staff_view(UM)
@require_POST
def pend(request: StaffRequest, request_id: int) -> HttpResponse:
    form = PendForm(request.POST)
    return _post(
        request, request_id, "pend", form,
        lambda d: actions.do_pend(request.user, request_id, d["asked"], d["reply_by"]),
        "Pended: the request for information to the provider is written.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def extend(request: StaffRequest, request_id: int) -> HttpResponse:
    form = ExtensionForm(request.POST)
    return _post(
        request, request_id, "extend", form,
        lambda d: actions.do_extend(request.user, request_id, days=d["days"], asked_by=d["asked_by"], reason=d["reason"]),
        "More time: the due time moved, and the member and the provider are told why.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def resume(request: StaffRequest, request_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    return _post(
        request, request_id, "note", form,
        lambda d: actions.do_resume(request.user, request_id, d["note"]), "The information came: back in review.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def answer_criteria(request: StaffRequest, request_id: int) -> HttpResponse:
    um = queries.access_request(request.user, request_id)
    chosen = criteria.all_criteria().get(request.POST.get("criteria_set", ""))
    form = criteria_form(list(chosen.questions) if chosen else [], {}, request.POST)
    if form.is_valid():
        answers = {k: v for k, v in form.cleaned_data.items() if v}
        try:
            result = actions.do_answer_criteria(
                request.user, request_id, chosen.id if chosen else "", answers
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            words = {
                True: "The criteria are met.",
                False: "The criteria are not met: a physician decides.",
                None: "Kept; some answers are still missing.",
            }
            messages.success(request, words[result.met])
            return redirect("um:request", request_id)
    return _page(request, um, {"criteria": form})


@staff_view(UM)
@require_POST
def to_physician(request: StaffRequest, request_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    return _post(
        request, request_id, "note", form,
        lambda d: actions.do_send_to_physician(request.user, request_id, d["note"]), "Sent to a physician.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def peer_to_peer(request: StaffRequest, request_id: int) -> HttpResponse:
    form = PeerToPeerForm(request.POST)
    return _post(
        request, request_id, "p2p", form,
        lambda d: actions.do_record_peer_to_peer(request.user, request_id, held=d["held"], note=d["note"]),
        "The peer-to-peer conversation is recorded.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def decide(request: StaffRequest, request_id: int) -> HttpResponse:
    um = queries.access_request(request.user, request_id)
    form = DecisionForm(request.POST, line_ids=[line.pk for line in um.lines.all()])

    def act(d: dict[str, Any]) -> AuthRequest:
        decision = actions.Decision(
            move=rules.Move(d["move"]),
            reason=d["reason"],
            note=d["note"],
            approved_units=form.approved_units(),
            valid_from=d["valid_from"],
            valid_until=d["valid_until"],
        )
        return actions.do_decide(request.user, request_id, decision)

    return post_form(
        request,
        form,
        act,
        success=lambda r: (
            f"{STATUS_LABELS[rules.Status(r.status)]}: the letters to the member and provider are written."
        ),
        done_url=reverse("um:request", args=[request_id]),
        redisplay=lambda: _page(request, um, {"decision": form}),
    )


@staff_view(UM)
@require_POST
def review_stay(request: StaffRequest, request_id: int) -> HttpResponse:
    form = StayReviewForm(request.POST)
    return _post(
        request, request_id, "stay", form,
        lambda d: actions.do_review_stay(
            request.user, request_id, extra_days=d["extra_days"], next_review_on=d["next_review_on"], note=d["note"],
            asked_days=d["asked_days"], reason=d["reason"],
        ),
        "The stay's review is recorded.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def withdraw(request: StaffRequest, request_id: int) -> HttpResponse:
    form = NoteForm(request.POST)
    return _post(
        request, request_id, "note", form,
        lambda d: actions.do_withdraw(request.user, request_id, d["note"]), "The request is withdrawn.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def appeal(request: StaffRequest, request_id: int) -> HttpResponse:
    form = AppealForm(request.POST)
    return _post(
        request, request_id, "appeal", form,
        lambda d: actions.do_file_appeal(
            request.user, request_id, filed_by=NoticeRecipient(d["filed_by"]), urgency=rules.Urgency(d["urgency"]),
            grounds=d["grounds"],
        ),
        "The appeal is filed; the medical directors are told.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def appeal_decision(request: StaffRequest, request_id: int) -> HttpResponse:
    form = AppealDecisionForm(request.POST)
    return _post(
        request, request_id, "appeal_decision", form,
        lambda d: actions.do_decide_appeal(request.user, request_id, overturn=d["overturn"], note=d["note"]),
        "The appeal is decided and the member's letter written.",
    )  # fmt: skip


@staff_view(UM)
@require_POST
def refer(request: StaffRequest, request_id: int) -> HttpResponse:
    form = ReferForm(request.POST)
    return _post(
        request, request_id, "refer", form,
        lambda d: actions.do_refer_to_case_management(
            request.user, request_id, program=Program(d["program"]), reason=d["reason"]
        ),
        "Referred to case management: the receiving team's supervisor is told.",
    )  # fmt: skip


@staff_view(UM)
@require_http_methods(["GET"])
def notice_pdf(request: StaffRequest, notice_id: int) -> HttpResponse:
    notice = queries.access_notice(request.user, notice_id)
    letter = Letter(
        letterhead=notice.letterhead,
        recipient_name=notice.recipient_name,
        recipient_address=notice.recipient_address,
        subject=notice.subject,
        body=notice.body,
        language=notice.language,
    )
    response = HttpResponse(render_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{notice.request.reference}-{notice.kind}-{notice.recipient}.pdf"'
    )
    return response


@staff_view(UM)
@require_http_methods(["GET"])
def document(request: StaffRequest, document_id: int) -> FileResponse:
    found = queries.access_attachment(request.user, document_id)
    return FileResponse(
        found.file.open("rb"), content_type=found.content_type, as_attachment=True, filename=found.name
    )


@staff_view(roles_for(Page.SETUP))
@require_http_methods(["GET", "POST"])
def settings(request: StaffRequest) -> HttpResponse:
    """The administrator's UM rules (docs/prior-authorisation.md, "Settings")."""
    user = request.user
    current = um_settings(user.org_id)
    initial = {
        "plan_type": current.plan_type,
        "pend_rule": current.pend_rule,
        "appeal_days": current.appeal_days,
    }
    form = SettingsForm(request.POST or None, initial=initial)

    def page(status: int = 200) -> HttpResponse:
        context = {"form": form, "criteria_sets": criteria.all_criteria().values(),
                   "criteria_errors": criteria.criteria_errors(), "nav": "setup"}  # fmt: skip
        return render(request, "um/settings.html", context, status=status)

    if request.method != "POST":
        return page()
    return post_form(
        request,
        form,
        lambda d: actions.do_set_um_settings(
            user, plan_type=d["plan_type"], pend_rule=d["pend_rule"], appeal_days=d["appeal_days"]
        ),
        success="UM rules saved: they apply to requests taken in from now on.",
        done_url=reverse("um:settings"),
        redisplay=lambda: page(400),
    )


# --- the yearly figures (CMS-0057-F) ----------------------------------------------------------------------------
@staff_view(UM)
@require_http_methods(["GET"])
def metrics_page(request: StaffRequest) -> HttpResponse:
    found = metrics.figures(request.user)
    rows = [(f, PLAN_TYPE_LABELS[f.plan_type]) for f in found]
    context = {"rows": rows, "breaches": metrics.breaches(request.user), "nav": Page.PRIOR_AUTH.value}
    return render(request, "um/metrics.html", context)


@staff_view(UM)
@require_http_methods(["GET"])
def metrics_csv(request: StaffRequest) -> HttpResponse:
    response = HttpResponse(
        metrics.as_csv(metrics.figures(request.user)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="prior-authorization-metrics.csv"'
    return response


@staff_view(UM)
@require_http_methods(["GET"])
def metrics_json(request: StaffRequest) -> HttpResponse:
    organisation = request.user.organization.name if request.user.organization else ""
    body = metrics.as_json(metrics.figures(request.user), organisation)
    response = HttpResponse(body, content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="prior-authorization-metrics.json"'
    return response


@staff_view(UM)
@require_http_methods(["GET"])
def metrics_requests(request: StaffRequest) -> HttpResponse:
    """The requests behind one figure of the page (those the viewer may read)."""
    year = request.GET.get("year", "")
    plan = request.GET.get("plan", "")
    figure = request.GET.get("figure", "decided")
    if not (year.isascii() and year.isdigit() and len(year) == 4) or plan not in {
        p.value for p in rules.PlanType
    }:
        return render(request, "400.html", {"message": "Choose a figure on the figures page."}, status=400)
    found = list(metrics.behind(request.user, int(year), plan, figure)[:500])
    queries.audit_rows(request.user, found)
    context = {
        "found": found,
        "year": year,
        "plan": PLAN_TYPE_LABELS[rules.PlanType(plan)],
        "figure": metrics.FIGURE_WORDS.get(figure, metrics.FIGURE_WORDS["decided"]),
        "nav": Page.PRIOR_AUTH.value,
    }
    return render(request, "um/metrics_requests.html", context)
