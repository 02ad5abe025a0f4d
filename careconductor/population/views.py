"""Population health's pages (issue 22), for population health analysts and administrators
(accounts.rules.Page.POPULATION): the tiers of the last stratification with the members behind them, the
registries, one registry with its members, count over time and those who left, and the referral of members into a
programme's intake. Members' names, tiers and reasons only: a chart opens only through a relationship."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careconductor.accounts.choices import Role
from careconductor.accounts.models import Team
from careconductor.accounts.rules import Page, roles_for
from careconductor.assessments.trend import Trend, layout
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form, set_choices, show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from . import campaign_queries, queries
from .forms import ReferForm, RegistryForm, rule_words
from .models import Registry, RegistryCount
from .registry_actions import MAX_REFERRALS, do_create_registry, do_refer_from_registry, do_run_registry
from .stratify_rules import TIER_WORDS
from .tasks import stratify_now

POPULATION = roles_for(Page.POPULATION)


def _page(request: StaffRequest) -> int:
    return whole_number(request.GET.get("page")) or 1


@staff_view(roles=POPULATION)
@require_GET
def home(request: StaffRequest) -> HttpResponse:
    tier = whole_number(request.GET.get("tier"))
    tier = tier if tier in TIER_WORDS else None
    overview = queries.access_overview(request.user)
    members = queries.access_members(request.user, tier, _page(request)) if overview.run else None
    return render(
        request,
        "population/home.html",
        {
            "overview": overview,
            "tiers": [
                (t, TIER_WORDS[t], (overview.run.tiers if overview.run else {}).get(str(t), 0))
                for t in (4, 3, 2, 1)
            ],
            "tier": tier,
            "members_count": f"{overview.run.members:,}" if overview.run else "0",
            "page": members,
            "querystring": f"tier={tier}" if tier else "",
            "campaigns": campaign_queries.access_campaigns(request.user)[:20],
            "nav": Page.POPULATION.value,
        },
    )


@staff_view(roles=[Role.ADMIN])
@require_POST
def stratify(request: StaffRequest) -> HttpResponse:
    """Queue a stratification now (the worker runs it: a million members take half a minute)."""
    transaction.on_commit(lambda: stratify_now(request.user.pk))
    messages.success(
        request, "The stratification is queued: the tiers and registries are renewed in a moment."
    )
    return redirect("population:home")


@staff_view(roles=POPULATION)
@require_http_methods(["GET", "POST"])
def new_registry(request: StaffRequest) -> HttpResponse:
    form = RegistryForm(request.POST or None)

    def redisplay() -> HttpResponse:
        return render(
            request,
            "population/registry_form.html",
            {"form": form, "words": rule_words(), "nav": Page.POPULATION.value},
            status=400 if form.errors else 200,
        )

    if request.method != "POST":
        return redisplay()
    return post_form(
        request,
        form,
        lambda data: do_create_registry(request.user, **data),
        success=lambda registry: (
            f"Registry “{registry.name}” made: "
            f"{registry.counts.order_by('-on').values_list('members', flat=True).first() or 0} members now."
        ),
        done_url=lambda registry: reverse("population:registry", args=[registry.pk]),
        redisplay=redisplay,
    )


def _chart(counts: list[RegistryCount]) -> Trend | None:
    if len(counts) < 2:  # one day's run is a number, not a trend
        return None
    top = max(c.members for c in counts)
    points = [
        (
            dt.datetime.combine(c.on, dt.time()).timestamp(),
            c.members,
            f"{c.on:%d %b}",
            f"{c.on:%d %b %Y}: {c.members} members ({c.entered} entered, {c.left} left)",
        )
        for c in counts
    ]
    return layout(points, low=0, high=max(top, 1), bands=[])


def members_form(request: StaffRequest, data: object = None) -> ReferForm:
    form = ReferForm(data)  # type: ignore[arg-type]
    teams = queries.access_teams(request.user)
    set_choices(form, "team", [("", "Where the programme's referrals go"), *((t.pk, t.name) for t in teams)])
    return form


def registry_page(
    request: StaffRequest, registry: Registry, form: ReferForm, status: int = 200
) -> HttpResponse:
    page, rows = queries.access_registry_members(request.user, registry, _page(request))
    counts = queries.access_registry_counts(request.user, registry)
    return render(
        request,
        "population/registry.html",
        {
            "registry": registry,
            "page": page,
            "rows": rows,
            "counts": counts[-14:][::-1],
            "trend": _chart(counts),
            "left": queries.access_recently_left(request.user, registry),
            "form": form,
            "max_referrals": MAX_REFERRALS,
            "may_refer": request.user.role in policy.POPULATION_ROLES,
            "campaigns": campaign_queries.access_campaigns(request.user).filter(registry=registry),
            "nav": Page.POPULATION.value,
        },
        status=status,
    )


@staff_view(roles=POPULATION)
@require_GET
def registry(request: StaffRequest, registry_id: int) -> HttpResponse:
    found = queries.access_registry(request.user, registry_id)
    return registry_page(request, found, members_form(request))


@staff_view(roles=POPULATION)
@require_POST
def run_registry(request: StaffRequest, registry_id: int) -> HttpResponse:
    found = queries.access_registry(request.user, registry_id)
    try:
        result = do_run_registry(request.user, found)
    except ActionRefused as refusal:
        messages.error(request, "; ".join(refusal.errors.values()))
    else:
        messages.success(
            request, f"Run now: {result.members} members, {result.entered} entered and {result.left} left."
        )
    return redirect("population:registry", registry_id=found.pk)


def chosen_members(
    request: StaffRequest, registry: Registry, data: dict[str, Any], limit: int
) -> tuple[list[int], Team | None]:
    """The members a registry page's form chose (or every one not referred yet, up to `limit`) and its team."""
    chosen = data["members"]
    if data["everyone"]:
        chosen = queries.access_unreferred(request.user, registry, limit)
    return chosen, queries.access_teams(request.user).filter(pk=data["team"]).first()


@staff_view(roles=POPULATION)
@require_POST
def refer(request: StaffRequest, registry_id: int) -> HttpResponse:
    found = queries.access_registry(request.user, registry_id)
    form = members_form(request, request.POST)
    if not form.is_valid():
        return registry_page(request, found, form, status=400)
    data = form.cleaned_data
    chosen, team = chosen_members(request, found, data, MAX_REFERRALS)
    try:
        result = do_refer_from_registry(request.user, found, chosen, program=data["program"], team=team)
    except ActionRefused as refusal:
        show_refusal(form, refusal)
        return registry_page(request, found, form, status=400)
    said = f"{len(result.cases)} referred into intake"
    if result.skipped:
        said += "; not referred: " + "; ".join(f"{p.full_name} ({why})" for p, why in result.skipped)
    messages.success(request, said + ".")
    return redirect("population:registry", registry_id=found.pk)
