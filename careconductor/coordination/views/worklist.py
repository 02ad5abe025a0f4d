"""The worklist and the supervisor's team view."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from careconductor.core import clock
from careconductor.core.requests import StaffRequest
from careconductor.population.campaign_queries import access_team_calls
from careconductor.privacy import audit
from careconductor.privacy.guards import staff_view

from .. import forms, rules
from ..rules import Band
from ..team import team_view as build_team_view
from ..worklist import build_worklist
from ..worklist_rows import worklist_rows
from .base import SUPERVISING


@staff_view()
@require_http_methods(["GET"])
def worklist_view(request: StaffRequest) -> HttpResponse:
    user = request.user
    worklist = build_worklist(user)
    form = forms.WorklistFilterForm(request.GET or None)
    groups = worklist_rows(worklist, form, request.GET)
    # The patients the page names are read; those filtered out or past a folded band's screenful are not.
    shown = {grp["patient"].pk: grp["patient"] for g in groups for grp in g["groups"] if grp["patient"]}
    audit.record_reads(user, list(shown.values()), object_type="Worklist")
    today, zone = clock.today(), timezone.get_current_timezone()
    due_now = sum(1 for i in worklist.items if rules.due_now(i, today, zone))
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
            "today": today,
            "supervising": user.role in SUPERVISING,
            # Outreach campaigns' call lists the user's team works (population.campaigns).
            "calls": access_team_calls(user),
            # Where each row's form and link come back to (worked out once, not per row).
            "here": request.get_full_path(),
            "here_q": quote(request.get_full_path(), safe="/"),
        },
    )


@staff_view(roles=SUPERVISING)
@require_http_methods(["GET"])
def team_view(request: StaffRequest) -> HttpResponse:
    """Who is behind: caseload balance and overdue work per person, then the team's urgent items."""
    user = request.user
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
