"""The reconciliation screen: starting one from the medication list, the patient's list and the discharge list
side by side with what the patient takes, the discrepancy and the decision of each line, entering the
discharge list, and completing it with who took part. Each post is one action; a refusal shows the page again
with the message beside its field (status 400)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.chart.summary import chart_summary
from careconductor.core.forms import post_form, set_choices
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Encounter, Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from .. import actions, queries
from ..forms import (
    CompleteReconciliationForm,
    DecisionForm,
    DischargeLineForm,
    StartReconciliationForm,
    TakesForm,
)
from ..models import Reconciliation, ReconciliationLine
from .medications import require_change

# (line id, "takes" or "decide") -> the form posted for that line, shown again with its errors.
LineForms = dict[tuple[int, str], forms.Form]


def _url(reconciliation_id: int) -> str:
    return reverse("medications:reconciliation", kwargs={"reconciliation_id": reconciliation_id})


def _takes_form(line: ReconciliationLine, goals: list[tuple[int, str]], data: object = None) -> TakesForm:
    """What the patient takes and what gets in the way; `goals` are the care plan's goals the barrier may go on
    (read once per page: queries.plan_goals)."""
    plan_barrier = line.plan_barrier
    initial = {
        "takes": {True: "yes", False: "no", None: ""}[line.patient_takes],
        "barrier": line.barrier,
        "barrier_kind": plan_barrier.kind if plan_barrier else "",
        "response": plan_barrier.response if plan_barrier else "",
        "goal_id": plan_barrier.goal_id if plan_barrier else None,
    }
    form = TakesForm(data, initial=initial, auto_id=f"id_takes_{line.pk}_%s")  # type: ignore[arg-type]
    set_choices(form, "goal_id", [("", "No, keep it on this line only"), *goals])
    return form


def _decision_form(line: ReconciliationLine, data: object = None) -> DecisionForm:
    initial = {
        "decision": line.decision or None,
        "new_dose": line.new_dose,
        "new_times": line.new_times,
        "note": line.note,
    }
    return DecisionForm(data, initial=initial, auto_id=f"id_decide_{line.pk}_%s")  # type: ignore[arg-type]


def _encounter_label(encounter: Encounter) -> str:
    where = encounter.facility or encounter.get_encounter_class_display()
    ended = f"{encounter.end:%Y-%m-%d}" if encounter.end else ""
    return f"{where}, discharged {ended}" + (f" ({encounter.reason})" if encounter.reason else "")


def _start_form(
    patient: Patient, encounters: list[Encounter], data: object = None
) -> StartReconciliationForm:
    form = StartReconciliationForm(data)  # type: ignore[arg-type]
    set_choices(
        form,
        "encounter",
        [("", "No discharge: the patient's list on its own")]
        + [(e.pk, _encounter_label(e)) for e in encounters],
    )
    if data is None and encounters:
        form.initial["encounter"] = encounters[0].pk
    return form


def _start_page(
    request: StaffRequest,
    patient: Patient,
    form: StartReconciliationForm,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "medications/reconcile_start.html",
        {
            "patient": patient,
            "summary": chart_summary(patient),
            "form": form,
            "earlier": queries.patient_reconciliations(patient),
            "can_change": policy.may(request.user, policy.Action.MEDICATIONS, patient),
            "nav": "patients",
        },
        status=status,
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def start(request: StaffRequest, patient_id: int) -> HttpResponse:
    """The way in from the medication list: the reconciliation in progress, or a form to start one."""
    user = request.user
    patient = access_patient(user, patient_id)
    current = queries.reconciliation_in_progress(patient)
    if current is not None:
        return redirect(_url(current.pk))
    encounters = queries.discharges(patient)
    if request.method != "POST":
        return _start_page(request, patient, _start_form(patient, encounters))
    require_change(user, patient)
    form = _start_form(patient, encounters, request.POST)
    by_id = {e.pk: e for e in encounters}
    return post_form(
        request,
        form,
        lambda data: actions.do_start_reconciliation(
            user, patient, encounter=by_id.get(data["encounter"]) if data["encounter"] else None
        ),
        success="Reconciliation started from the patient's list: add the discharge list's medicines.",
        done_url=lambda reconciliation: _url(reconciliation.pk),
        redisplay=lambda: _start_page(request, patient, form, status=400),
    )


def _page(
    request: StaffRequest,
    reconciliation: Reconciliation,
    *,
    discharge_form: DischargeLineForm | None = None,
    complete_form: CompleteReconciliationForm | None = None,
    line_forms: LineForms | None = None,
    status: int = 200,
) -> HttpResponse:
    patient = reconciliation.patient
    posted = line_forms or {}
    lines = queries.reconciliation_lines(reconciliation)
    goals = queries.plan_goals(request.user, patient)
    fills = queries.last_fills(patient, lines)
    for line in lines:
        line.takes_form = posted.get((line.pk, "takes")) or _takes_form(line, goals)  # type: ignore[attr-defined]
        line.last_fill = fills.get(line.pk)  # type: ignore[attr-defined]
        line.decision_form = posted.get((line.pk, "decide")) or _decision_form(line)  # type: ignore[attr-defined]
    can_change = not reconciliation.completed and policy.may(request.user, policy.Action.MEDICATIONS, patient)
    return render(
        request,
        "medications/reconciliation.html",
        {
            "patient": patient,
            "summary": chart_summary(patient),
            "reconciliation": reconciliation,
            "lines": lines,
            "undecided": sum(1 for line in lines if not line.decided),
            "has_fills": fills.has_history,
            "open_form": next(iter(posted), (None, "")),  # the line form posted with errors, open
            "can_change": can_change,
            "discharge_form": discharge_form or DischargeLineForm(auto_id="id_discharge_%s"),
            "complete_form": complete_form or CompleteReconciliationForm(auto_id="id_complete_%s"),
            "nav": "patients",
        },
        status=status,
    )


@staff_view()
@require_http_methods(["GET"])
def reconciliation_page(request: StaffRequest, reconciliation_id: int) -> HttpResponse:
    return _page(request, queries.access_reconciliation(request.user, reconciliation_id))


@staff_view()
@require_POST
def add_discharge_line(request: StaffRequest, reconciliation_id: int) -> HttpResponse:
    user = request.user
    reconciliation = queries.access_reconciliation(user, reconciliation_id)
    require_change(user, reconciliation.patient)
    form = DischargeLineForm(request.POST, auto_id="id_discharge_%s")
    return post_form(
        request,
        form,
        lambda data: actions.do_add_discharge_line(user, reconciliation, **data),
        success=lambda line: f"{line.name} from the discharge list is on the page.",
        done_url=_url(reconciliation.pk) + "#lines",
        redisplay=lambda: _page(request, reconciliation, discharge_form=form, status=400),
    )


@staff_view()
@require_POST
def complete(request: StaffRequest, reconciliation_id: int) -> HttpResponse:
    user = request.user
    reconciliation = queries.access_reconciliation(user, reconciliation_id)
    require_change(user, reconciliation.patient)
    form = CompleteReconciliationForm(request.POST, auto_id="id_complete_%s")
    return post_form(
        request,
        form,
        lambda data: actions.do_complete_reconciliation(user, reconciliation, **data),
        success="Reconciliation completed: the confirmed list is the patient's medication list.",
        done_url=_url(reconciliation.pk),
        redisplay=lambda: _page(request, reconciliation, complete_form=form, status=400),
    )


def _line_post(
    request: StaffRequest,
    line_id: int,
    which: str,
    make_form: Callable[[ReconciliationLine, Any], Any],
    act: Callable[..., object],
    success: str,
) -> HttpResponse:
    """A post about one line (what the patient takes, the decision): shown again with its errors in place."""
    user = request.user
    line = queries.access_reconciliation_line(user, line_id)
    reconciliation = line.reconciliation
    require_change(user, reconciliation.patient)
    form = make_form(line, request.POST)
    return post_form(
        request,
        form,
        lambda data: act(user, line, **data),
        success=success.format(name=line.name),
        done_url=_url(reconciliation.pk) + f"#line-{line.pk}",
        redisplay=lambda: _page(request, reconciliation, line_forms={(line.pk, which): form}, status=400),
    )


@staff_view()
@require_POST
def line_takes(request: StaffRequest, line_id: int) -> HttpResponse:
    return _line_post(
        request, line_id, "takes",
        lambda line, data: _takes_form(line, queries.plan_goals(request.user, line.reconciliation.patient), data),
        actions.do_record_patient_takes,
        "Saved what the patient says about {name}.",
    )  # fmt: skip


@staff_view()
@require_POST
def line_decide(request: StaffRequest, line_id: int) -> HttpResponse:
    return _line_post(
        request, line_id, "decide", _decision_form, actions.do_decide_line, "Decided on {name}."
    )
