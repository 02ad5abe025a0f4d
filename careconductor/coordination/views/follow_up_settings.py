"""Follow-up settings (administrators): the cadence per programme and tier, and the days off."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from careconductor.accounts.models import User
from careconductor.accounts.rules import Page, roles_for
from careconductor.cases.choices import Program
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.requests import StaffRequest
from careconductor.privacy.guards import staff_view

from .. import forms, rules
from ..actions.cadence import do_add_holiday, do_remove_holiday, do_reset_cadence, do_set_cadence
from ..calendar import public_holidays
from ..models import CadenceRule, Holiday
from ..worklist import cadence_table
from .base import own_row


@staff_view(roles=roles_for(Page.SETUP))  # a set-up section
@require_http_methods(["GET", "POST"])
def follow_up_settings(request: StaffRequest) -> HttpResponse:
    """The cadence per programme and tier (defaults shown where nothing is set) and the organisation's days off."""
    user = request.user
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
                action(user, own_row(model, org_id, request.POST.get("id", "")))
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
