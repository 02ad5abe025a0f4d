"""A programme's outcomes page (issue 22), for supervisors and leads, population health analysts and administrators
(accounts.rules.Page.OUTCOMES): the funnel, time to first contact, contacts per case-month, PHQ-9 response and
remission at 12 weeks, goals met, CCM minutes, and hospital admissions, readmissions and ED visits per 1,000
member-months before and after enrolment and of the not enrolled, for a programme and period; a chart of referrals
and enrolments by month; the patients behind each number (those the viewer may see); the CSV."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from careconductor.accounts.rules import Page, roles_for
from careconductor.assessments.trend import Trend, layout
from careconductor.cases.choices import Program
from careconductor.core import clock
from careconductor.core.periods import PeriodForm, period_asked
from careconductor.core.requests import StaffRequest
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view

from .outcomes import USE_GROUPS, Outcomes, measures, outcomes_csv, programme_outcomes
from .outcomes_rules import CCM_MINUTES

OUTCOMES = roles_for(Page.OUTCOMES)


class OutcomesForm(PeriodForm):
    programme = forms.ChoiceField(
        label="Programme", required=False, choices=[("", "Every programme"), *Program.choices]
    )


def _asked(request: StaffRequest) -> tuple[OutcomesForm, str, dt.date, dt.date]:
    form, start, end = period_asked(request.GET, clock.today(), OutcomesForm)
    assert isinstance(form, OutcomesForm)
    programme = form.cleaned_data.get("programme", "") if form.is_valid() else ""
    return form, programme, start, end


def _query(outcomes: Outcomes) -> str:
    return urlencode(
        {"programme": outcomes.programme, "start": f"{outcomes.start:%Y-%m}", "end": f"{outcomes.end:%Y-%m}"}
    )


def _chart(outcomes: Outcomes) -> Trend | None:
    if len(outcomes.months) < 2:  # one month is a number, not a trend
        return None
    points = [
        (
            dt.datetime.combine(month, dt.time()).timestamp(),
            enrolled,
            f"{month:%b %Y}",
            f"{month:%b %Y}: {referred} referred, {enrolled} of them enrolled",
        )
        for month, referred, enrolled in outcomes.months
    ]
    top = max(referred for _, referred, _ in outcomes.months)
    return layout(points, low=0, high=max(top, 1), bands=[])


def _share(part: int, whole: int) -> str:
    return "—" if whole == 0 else f"{round(100 * part / whole)} %"


@staff_view(roles=OUTCOMES)
@require_GET
def outcomes(request: StaffRequest) -> HttpResponse:
    form, programme, start, end = _asked(request)
    found = programme_outcomes(request.user, programme, start, end)
    f = found.funnel
    referred = len(f.referred)
    funnel = [
        ("identified", "Identified by a registry in the period", len(found.identified), ""),
        ("referred", "Referred", referred, ""),
        ("from_registries", "of them from a registry", len(found.from_registries), _share(len(found.from_registries), referred)),
        ("reached", "Reached", len(f.reached), _share(len(f.reached), referred)),
        ("enrolled", "Enrolled", len(f.enrolled), _share(len(f.enrolled), referred)),
        ("ended", "Ended (closed, declined or ineligible)", len(f.ended), _share(len(f.ended), referred)),
    ]  # fmt: skip
    reasons = [
        (key, words, len(ids)) for key, (words, ids) in measures(found).items() if key.startswith("ended:")
    ]
    baseline, follow = len(found.phq9_baseline), len(found.phq9_follow_up)
    return render(
        request,
        "population/outcomes.html",
        {
            "form": form,
            "outcomes": found,
            "funnel": funnel,
            "reasons": reasons,
            "phq9": [
                ("phq9_baseline", "PHQ-9 of 10 or more at enrolment", baseline, ""),
                ("phq9_follow_up", "PHQ-9 again at 12 weeks (8 to 16)", follow, _share(follow, baseline)),
                (
                    "phq9_response",
                    "Response: 50 % lower or more",
                    len(found.phq9_response),
                    _share(len(found.phq9_response), follow),
                ),
                (
                    "phq9_remission",
                    "Remission: under 5",
                    len(found.phq9_remission),
                    _share(len(found.phq9_remission), follow),
                ),
            ],
            "goals_share": _share(found.goals_met, found.goals_counted),
            "use": [(group, found.use[group]) for group in USE_GROUPS],
            "ccm_minutes": CCM_MINUTES,
            "trend": _chart(found),
            "query": _query(found),
            "nav": Page.OUTCOMES.value,
        },
        status=400 if form.errors else 200,
    )


@staff_view(roles=OUTCOMES)
@require_GET
def outcomes_csv_download(request: StaffRequest) -> HttpResponse:
    form, programme, start, end = _asked(request)
    if form.errors:
        return HttpResponse("Give the period as two months, YYYY-MM.", status=400, content_type="text/plain")
    found = programme_outcomes(request.user, programme, start, end)
    audit.record(
        request.user,
        AuditAction.EXPORT,
        object_type="ProgrammeOutcomes",
        detail=f"{found.label}, {start:%Y-%m} to {end:%Y-%m} csv",
    )
    response = HttpResponse(outcomes_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="outcomes-{programme or "all"}-{start:%Y-%m}-{end:%Y-%m}.csv"'
    )
    return response


@staff_view(roles=OUTCOMES)
@require_GET
def outcome_patients(request: StaffRequest) -> HttpResponse:
    """The patients behind one number, those the viewer may see; the others are counted, not named."""
    form, programme, start, end = _asked(request)
    found = programme_outcomes(request.user, programme, start, end)
    named = measures(found)
    measure = request.GET.get("measure", "")
    if form.errors or measure not in named:
        raise Http404("No such number on the outcomes page.")
    words, ids = named[measure]
    patients = list(
        policy.visible_patients(request.user)
        .filter(pk__in=set(ids))
        .order_by("family_name", "given_name", "pk")
    )
    audit.record_reads(request.user, patients)
    return render(
        request,
        "population/outcome_patients.html",
        {
            "words": words,
            "outcomes": found,
            "patients": patients,
            "hidden": len(set(ids)) - len(patients),
            "query": _query(found),
            "nav": Page.OUTCOMES.value,
        },
    )
