"""Education screens for staff. Thin: parse the form, fetch through access_*, change through do_*, show
refusals beside their fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.chart.summary import chart_summary
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form
from careconductor.core.requests import StaffRequest
from careconductor.patients.choices import LearningPreference
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from . import actions, library, queries, rules
from .choices import AssignmentStatus, MaterialFormat, Topic
from .forms import AssignForm, DeliveryForm, TopicFilterForm, WithdrawForm
from .models import Assignment


def _require_change(user: User, patient: Patient) -> None:
    """Pages that only exist to change the record refuse (403) a role that may only read it."""
    if not policy.may(user, policy.Action.CHANGE, patient):
        raise PermissionDenied("Your role may look at this record but not change it.")


def _page_url(patient: Patient) -> str:
    return reverse("education:patient", args=[patient.pk])


def learner(patient: Patient) -> dict[str, Any]:
    """How the patient likes to learn, for the top of the education screens."""
    labels = dict(LearningPreference.choices)
    preferences = list(patient.learning_preferences or [])
    return {
        "preferences": [labels.get(p, p) for p in preferences],
        "literacy_concern": patient.health_literacy_concern,
        "language": patient.language_display,
        "print_prompt": rules.print_prompt(
            MaterialFormat.PRINT, preferences, name=patient.preferred_name or patient.given_name
        ),
    }


def _material_choices() -> list[tuple[str, str]]:
    return [
        (m.slug, f"{m.title} ({m.topic_label}, {m.format_label.lower()}, grade {m.reading_level})")
        for m in library.all_materials().values()
    ]


def _education_page(
    request: StaffRequest,
    patient: Patient,
    *,
    assign_form: AssignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    filter_form = TopicFilterForm(request.GET or None)
    topic = filter_form.cleaned_data["topic"] if filter_form.is_valid() else ""
    assignments = queries.patient_assignments(patient)
    waiting = {a.material_slug for a in assignments if a.status == AssignmentStatus.ASSIGNED}
    context = {
        "patient": patient,
        "summary": chart_summary(patient),
        "learner": learner(patient),
        "assignments": assignments,
        "suggested": queries.suggested_for(patient, topic, waiting),
        "filter_form": filter_form,
        "topic": topic,
        "assign_form": assign_form or AssignForm(materials=_material_choices()),
        "can_change": policy.may(user, policy.Action.CHANGE, patient),
        "plain_grade": rules.PLAIN_GRADE,
        "nav": "patients",
    }
    return render(request, "education/patient.html", context, status=status)


@staff_view()
@require_http_methods(["GET"])
def patient_education(request: StaffRequest, patient_id: int) -> HttpResponse:
    return _education_page(request, access_patient(request.user, patient_id))


@staff_view()
@require_POST
def assign(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    _require_change(user, patient)
    form = AssignForm(request.POST, materials=_material_choices())
    return post_form(
        request,
        form,
        lambda d: actions.do_assign_material(
            user, patient, slug=d["material"], language=d["language"], reason=d["reason"], due=d["due"]
        ),
        success=lambda assignment: f"“{assignment.title}” is assigned.",
        done_url=_page_url(patient),
        redisplay=lambda: _education_page(request, patient, assign_form=form, status=400),
    )


def _deliver_page(
    request: StaffRequest, assignment: Assignment, form: DeliveryForm, status: int = 200
) -> HttpResponse:
    patient = assignment.patient
    material = library.material(assignment.material_slug)
    prompt_shown = "acknowledge_print_prompt" in form.errors
    return render(
        request,
        "education/deliver.html",
        {
            "assignment": assignment,
            "patient": patient,
            "summary": chart_summary(patient),
            "learner": learner(patient),
            "material": material,
            "text": material.text(assignment.language) if material else None,
            "form": form,
            "prompt_shown": prompt_shown,
            "history": list(assignment.deliveries.select_related("delivered_by")),
            "nav": "patients",
        },
        status=status,
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def deliver(request: StaffRequest, assignment_id: int) -> HttpResponse:
    user = request.user
    assignment = queries.access_assignment(user, assignment_id)
    _require_change(user, assignment.patient)
    if request.method == "GET":
        return _deliver_page(request, assignment, DeliveryForm(initial={"format_used": assignment.format}))
    form = DeliveryForm(request.POST)
    return post_form(
        request,
        form,
        lambda d: actions.do_record_delivery(
            user,
            assignment,
            format_used=d["format_used"],
            teach_back=d["teach_back"],
            note=d["note"],
            acknowledge_print_prompt=d["acknowledge_print_prompt"],
        ),
        success="The education is recorded.",
        done_url=_page_url(assignment.patient),
        redisplay=lambda: _deliver_page(request, assignment, form, status=400),
    )


@staff_view()
@require_POST
def withdraw(request: StaffRequest, assignment_id: int) -> HttpResponse:
    user = request.user
    assignment = queries.access_assignment(user, assignment_id)
    _require_change(user, assignment.patient)
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            actions.do_withdraw_assignment(user, assignment, reason=form.cleaned_data["reason"])
        except ActionRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"“{assignment.title}” is withdrawn.")
    else:
        messages.error(request, "Say why it is withdrawn.")
    return redirect(_page_url(assignment.patient))


@staff_view()
@require_http_methods(["GET"])
def library_list(request: StaffRequest) -> HttpResponse:
    filter_form = TopicFilterForm(request.GET or None)
    topic = filter_form.cleaned_data["topic"] if filter_form.is_valid() else ""
    materials = [m for m in library.all_materials().values() if not topic or m.topic == topic]
    user = request.user
    return render(
        request,
        "education/library.html",
        {
            "materials": materials,
            "filter_form": filter_form,
            "topics": Topic.choices,
            # Broken files name the deployer's folder: only administrators need to see them.
            "errors": library.library_errors() if user.role == "admin" else [],
            "nav": "",
        },
    )


@staff_view()
@require_http_methods(["GET"])
def material_preview(request: StaffRequest, slug: str) -> HttpResponse:
    material = library.material(slug)
    if material is None:
        raise Http404("No such material.")
    return render(request, "education/material.html", {"material": material, "nav": ""})
