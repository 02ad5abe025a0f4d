"""Outreach campaigns' pages (issue 22): started from a registry's page by the population roles; a campaign's page
with its figures and its members (the call list), where the team that works it records what each member said;
the referral of those who said yes; the letters' print run. Who sees what is policy.campaign_rows'."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from careconductor.cases.choices import Program
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import set_choices, show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.letters.pdf import render_batch
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from . import campaign_queries, queries
from . import campaign_rules as rules
from .campaigns import do_close_campaign, do_record_answer, do_refer_interested, do_start_campaign
from .forms import AnswerForm
from .models import Campaign
from .views import POPULATION, chosen_members, members_form, registry_page


@staff_view(roles=POPULATION)
@require_POST
def start_campaign(request: StaffRequest, registry_id: int) -> HttpResponse:
    found = queries.access_registry(request.user, registry_id)
    form = members_form(request, request.POST)
    if not form.is_valid():
        return registry_page(request, found, form, status=400)
    data = form.cleaned_data
    chosen, team = chosen_members(request, found, data, rules.MAX_MEMBERS)
    try:
        started = do_start_campaign(
            request.user, found, chosen, name=data["campaign_name"], channel=data["channel"],
            program=data["program"], team=team,
        )  # fmt: skip
    except ActionRefused as refusal:
        show_refusal(form, refusal)
        return registry_page(request, found, form, status=400)
    said = f"Campaign “{started.campaign.name}” started"
    if started.skipped:
        shown = "; ".join(f"{p.full_name} ({why})" for p, why in started.skipped[:20])
        more = len(started.skipped) - 20
        said += f"; not invited: {shown}{f' and {more} more' if more > 0 else ''}"
    messages.success(request, said + ".")
    return redirect("population:campaign", campaign_id=started.campaign.pk)


def _campaign_page(
    request: StaffRequest, campaign: Campaign, bad: tuple[int, AnswerForm] | None = None
) -> HttpResponse:
    status = request.GET.get("status", "")
    page, rows = campaign_queries.access_campaign_members(
        request.user, campaign, status, whole_number(request.GET.get("page")) or 1
    )
    figures = campaign_queries.access_campaign_figures(request.user, campaign)
    population_role = request.user.role in policy.POPULATION_ROLES
    forms = {row.member.pk: AnswerForm(prefix=f"m{row.member.pk}") for row in rows}
    if bad is not None:
        forms[bad[0]] = bad[1]
    responses = dict(rules.RESPONSES)
    if campaign.channel != Campaign.Channel.CALL:
        responses.pop(rules.NO_ANSWER)
    for form in forms.values():
        set_choices(form, "response", [("", "Choose"), *responses.items()])
    refer_form = members_form(request) if population_role else None
    return render(
        request,
        "population/campaign.html",
        {
            "campaign": campaign,
            "page": page,
            "rows": [(row, forms[row.member.pk]) for row in rows],
            "figures": figures,
            "total": sum(n for _, _, n in figures),
            "programme": Program(campaign.program).label,
            "back": _back(request),
            "querystring": f"status={status}" if status in rules.STATUSES else "",
            "status": status if status in rules.STATUSES else "",
            "answerable": rules.ANSWERABLE,
            "interested": next(n for s, _, n in figures if s == rules.INTERESTED),
            "population_role": population_role,
            "refer_form": refer_form,
            "nav": "population" if population_role else "worklist",
        },
        status=400 if bad is not None else 200,
    )


@staff_view()
@require_GET
def campaign(request: StaffRequest, campaign_id: int) -> HttpResponse:
    return _campaign_page(request, campaign_queries.access_campaign(request.user, campaign_id))


@staff_view()
@require_POST
def answer(request: StaffRequest, campaign_id: int, member_id: int) -> HttpResponse:
    found = campaign_queries.access_campaign(request.user, campaign_id)
    form = AnswerForm(request.POST, prefix=f"m{member_id}")
    if form.is_valid():
        try:
            member = do_record_answer(
                request.user, member_id, form.cleaned_data["response"], form.cleaned_data["note"]
            )
        except ActionRefused as refusal:
            show_refusal(form, refusal)
        else:
            messages.success(request, f"{member.patient.full_name}: {rules.STATUSES[member.status].lower()}.")
            return redirect(reverse("population:campaign", args=[found.pk]) + _back(request))
    return _campaign_page(request, found, (member_id, form))


def _back(request: StaffRequest) -> str:
    """The list's filter and page, kept across an answer."""
    status, page = request.GET.get("status", ""), whole_number(request.GET.get("page"))
    query = "&".join(
        part
        for part in (f"status={status}" if status in rules.STATUSES else "", f"page={page}" if page else "")
        if part
    )
    return f"?{query}" if query else ""


@staff_view(roles=POPULATION)
@require_POST
def refer_interested(request: StaffRequest, campaign_id: int) -> HttpResponse:
    found = campaign_queries.access_campaign(request.user, campaign_id)
    team = queries.access_teams(request.user).filter(pk=whole_number(request.POST.get("team")) or 0).first()
    try:
        result = do_refer_interested(request.user, found, team=team)
    except ActionRefused as refusal:
        messages.error(request, "; ".join(refusal.errors.values()))
    else:
        said = f"{len(result.cases)} referred into intake"
        if result.skipped:
            said += "; not referred: " + "; ".join(f"{p.full_name} ({why})" for p, why in result.skipped)
        messages.success(request, said + ".")
    return redirect("population:campaign", campaign_id=found.pk)


@staff_view(roles=POPULATION)
@require_POST
def close(request: StaffRequest, campaign_id: int) -> HttpResponse:
    found = campaign_queries.access_campaign(request.user, campaign_id)
    try:
        do_close_campaign(request.user, found)
    except ActionRefused as refusal:
        messages.error(request, "; ".join(refusal.errors.values()))
    else:
        messages.success(request, f"Campaign “{found.name}” closed.")
    return redirect("population:campaign", campaign_id=found.pk)


@staff_view(roles=POPULATION)
@require_GET
def letters(request: StaffRequest, campaign_id: int) -> HttpResponse:
    found = campaign_queries.access_campaign(request.user, campaign_id)
    written = campaign_queries.access_campaign_letters(request.user, found)
    if not written:
        messages.error(request, "This campaign has no letters.")
        return redirect("population:campaign", campaign_id=found.pk)
    response = HttpResponse(render_batch(written), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="campaign-{found.pk}-letters.pdf"'
    return response
