"""Check-ins: readings, how the patient feels, a goal's week, today's doses. Every form saves through its
action and then shows the saved page, with what to do now when a reading passed its limit."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import show_refusal
from careconductor.core.requests import PortalRequest

from .. import portal_data
from ..actions.reports import (
    ReportOutcome,
    do_check_in_goal,
    do_report_blood_pressure,
    do_report_reading,
    do_report_wellbeing,
)
from ..context import render_portal
from ..forms import (
    BloodPressureForm,
    GoalCheckInForm,
    ReadingForm,
    WellbeingForm,
)
from ..guards import portal_view

OUTCOME_KEY = "portal_outcome"
READING_MEASURES = ("glucose", "weight", "peak-flow")


@portal_view
@require_GET
def check_in(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    return render_portal(
        request,
        "check_in.html",
        "check-in",
        goals=portal_data.goals_to_check_in(patient),
        doses=portal_data.doses_today(patient),
    )


def _done(request: HttpRequest, outcome: ReportOutcome, saved: str) -> HttpResponse:
    request.session[OUTCOME_KEY] = {
        "saved": saved,
        "instruction": outcome.breach.instruction if outcome.breach else "",
        "emergency": bool(outcome.breach and outcome.breach.emergency),
    }
    # After a reading past a limit, open the page at "What to do now": on a phone the call button is then in
    # view without scrolling past the header and the menu.
    return redirect(reverse("portal:done") + ("#what-to-do" if outcome.breach else ""))


def _report(
    request: PortalRequest,
    form: forms.Form,
    submit: Callable[[dict[str, Any]], ReportOutcome],
    saved: str,
    template: str,
    renamed: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    """Every check-in form: save through the action, then the saved page (with what to do, when a limit was
    passed); a refusal goes beside its field."""
    if request.method == "POST" and form.is_valid():
        try:
            outcome = submit(form.cleaned_data)
        except ActionRefused as exc:
            show_refusal(form, ActionRefused({(renamed or {}).get(k, k): v for k, v in exc.errors.items()}))
        else:
            return _done(request, outcome, saved)
    status = 422 if request.method == "POST" else 200
    return render_portal(request, template, "check-in", status, form=form, **extra)


@portal_view
@require_http_methods(["GET", "POST"])
def blood_pressure(request: PortalRequest) -> HttpResponse:
    user, patient = request.user, request.portal_patient
    return _report(
        request,
        BloodPressureForm(request.POST or None),
        lambda data: do_report_blood_pressure(
            user, patient, systolic=Decimal(data["systolic"]), diastolic=Decimal(data["diastolic"])
        ),
        _("Your blood pressure is saved."),
        "reading.html",
        {"bp-systolic": "systolic", "bp-diastolic": "diastolic"},
        heading=_("Blood pressure"),
        hint=_("Sit quietly for 5 minutes before you measure. Type the two numbers the meter shows."),
    )


HEADINGS = {
    "glucose": gettext_lazy("Blood sugar"),
    "weight": gettext_lazy("Weight"),
    "peak-flow": gettext_lazy("Peak flow"),
}
HINTS = {
    "glucose": gettext_lazy("Type the number your meter shows."),
    "weight": gettext_lazy("Weigh yourself in the morning, after using the toilet and before eating."),
    "peak-flow": gettext_lazy("Blow three times and type your best number."),
}


@portal_view
@require_http_methods(["GET", "POST"])
def reading(request: PortalRequest, measure: str) -> HttpResponse:
    if measure not in READING_MEASURES:
        raise NotVisible
    user, patient = request.user, request.portal_patient
    form = ReadingForm(request.POST or None, measure=measure)
    return _report(
        request,
        form,
        lambda data: do_report_reading(user, patient, measure=measure, value=form.value_in_store_unit()),
        _("Your reading is saved."),
        "reading.html",
        {measure: "value"},
        heading=str(HEADINGS[measure]),
        hint=str(HINTS[measure]),
    )


@portal_view
@require_http_methods(["GET", "POST"])
def feeling(request: PortalRequest) -> HttpResponse:
    user, patient = request.user, request.portal_patient
    return _report(
        request,
        WellbeingForm(request.POST or None),
        lambda data: do_report_wellbeing(
            user, patient, mood=data.get("mood") or None, symptoms=data["symptoms"], note=data["note"]
        ),
        _("Thank you. Your care team can see how you are feeling."),
        "feeling.html",
    )


@portal_view
@require_http_methods(["GET", "POST"])
def goal_check_in(request: PortalRequest, goal_id: int) -> HttpResponse:
    patient = request.portal_patient
    goal = next((g for g in portal_data.goals_to_check_in(patient) if g.pk == goal_id), None)
    if goal is None:
        raise NotVisible
    user = request.user
    return _report(
        request,
        GoalCheckInForm(request.POST or None),
        lambda data: ReportOutcome(
            check_in=do_check_in_goal(user, goal, rating=data["rating"], note=data["note"])
        ),
        _("Thank you for checking in."),
        "goal_check_in.html",
        goal=goal,
    )


@portal_view
@require_http_methods(["GET", "POST"])
def doses(request: PortalRequest) -> HttpResponse:
    from careconductor.medications.actions import do_report_doses

    patient = request.portal_patient
    slots = portal_data.doses_today(patient)
    if not slots:
        return redirect("portal:check_in")
    error = ""
    if request.method == "POST":
        taken = set(request.POST.getlist("taken"))
        answers = {(s.medication.pk, s.slot): f"{s.medication.pk}@{s.slot}" in taken for s in slots}
        try:
            do_report_doses(request.user, patient, day=clock.today(), answers=answers)
        except ActionRefused as exc:
            error = " ".join(exc.errors.values()) or str(exc)
        else:
            return _done(request, ReportOutcome(), _("Your doses for today are saved."))
    status = 422 if error else 200
    return render_portal(request, "doses.html", "check-in", status, slots=slots, error=error)


@portal_view
@require_GET
def done(request: PortalRequest) -> HttpResponse:
    outcome = request.session.pop(OUTCOME_KEY, None)
    if outcome is None:
        return redirect("portal:check_in")
    return render_portal(request, "done.html", "check-in", outcome=outcome)
