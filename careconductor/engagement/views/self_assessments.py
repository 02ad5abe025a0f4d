"""Questionnaires the patient answers about themselves (PHQ-9, GAD-7, social needs), one section a page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careconductor.assessments import catalogue
from careconductor.assessments.actions import do_complete_assessment, do_save_answers, do_start_assessment
from careconductor.assessments.choices import AssessmentSource, AssessmentStatus
from careconductor.assessments.forms import SectionForm
from careconductor.assessments.models import Assessment, Questionnaire
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.requests import PortalRequest
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction

from .. import portal_data, queries
from ..context import render_portal
from ..guards import portal_view

SELF_ASSESSMENTS = ("phq-9", "gad-7", "ahc-hrsn")


@portal_view
@require_GET
def assessments(request: PortalRequest) -> HttpResponse:
    patient = request.portal_patient
    own = policy.is_own_record(request.user, patient)
    return render_portal(
        request,
        "assessments.html",
        "check-in",
        own=own,
        available=portal_data.self_assessments(patient, SELF_ASSESSMENTS) if own else [],
        has_case_manager=queries.case_manager_for(patient) is not None,
    )


@portal_view
@require_POST
def start_assessment(request: PortalRequest, slug: str) -> HttpResponse:
    user, patient = request.user, request.portal_patient
    if slug not in SELF_ASSESSMENTS or not policy.is_own_record(user, patient):
        raise NotVisible
    if queries.case_manager_for(patient) is None:
        messages.error(request, _("Your care team is not set up yet. Please call us instead."))
        return redirect("portal:assessments")
    questionnaire = Questionnaire.objects.filter(slug=slug).first()
    if questionnaire is None:
        raise NotVisible
    language = request.LANGUAGE_CODE
    assessment = do_start_assessment(
        user, patient, questionnaire, language=language, source=AssessmentSource.PATIENT
    )
    return redirect("portal:assessment_section", assessment_id=assessment.pk, number=1)


def _own_assessment(request: PortalRequest, assessment_id: int) -> Assessment:
    found = (
        Assessment.objects.filter(
            pk=assessment_id,
            patient=request.portal_patient,
            source=AssessmentSource.PATIENT,
            author=request.user,
        )
        .select_related("patient", "questionnaire", "case")
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(request.user, AuditAction.READ, patient=found.patient, obj=found, detail="portal")
    return found


@portal_view
@require_http_methods(["GET", "POST"])
def assessment_section(request: PortalRequest, assessment_id: int, number: int) -> HttpResponse:
    assessment = _own_assessment(request, assessment_id)
    instrument = catalogue.instrument_for(assessment.questionnaire)
    if not 1 <= number <= len(instrument.sections):
        raise NotVisible
    if assessment.status != AssessmentStatus.IN_PROGRESS:
        return redirect("portal:assessment_done", assessment_id=assessment.pk)
    current = instrument.sections[number - 1]
    data = request.POST if request.method == "POST" else None
    form = SectionForm(data, section=current, language=assessment.language, answers=assessment.answers)
    missing: list[Any] = []
    if request.method == "POST" and form.is_valid():
        user = request.user
        try:
            assessment = do_save_answers(user, assessment, form.answers())
            go = request.POST.get("go", "next")
            if go == "back" and number > 1:
                return redirect("portal:assessment_section", assessment_id=assessment.pk, number=number - 1)
            if number < len(instrument.sections):
                return redirect("portal:assessment_section", assessment_id=assessment.pk, number=number + 1)
            do_complete_assessment(user, assessment)
            return redirect("portal:assessment_done", assessment_id=assessment.pk)
        except ActionRefused as exc:
            missing_here = [q for q in current.questions if q.link_id in exc.errors]
            for q in missing_here:
                form.add_error(q.link_id, _("Please answer this question."))
            if not missing_here:
                missing = [instrument.questions[k] for k in exc.errors if k in instrument.questions]
    status = 422 if request.method == "POST" else 200
    return render_portal(
        request,
        "assessment_section.html",
        "check-in",
        status,
        assessment=assessment,
        title=instrument.title,
        section_title=current.label(assessment.language),
        form=form,
        number=number,
        count=len(instrument.sections),
        missing=[q.label(assessment.language) for q in missing],
    )


@portal_view
@require_GET
def assessment_done(request: PortalRequest, assessment_id: int) -> HttpResponse:
    assessment = _own_assessment(request, assessment_id)
    if assessment.status == AssessmentStatus.IN_PROGRESS:
        return redirect("portal:assessment_section", assessment_id=assessment.pk, number=1)
    signals = assessment.details.get("signals_acted", [])
    return render_portal(
        request,
        "assessment_done.html",
        "check-in",
        assessment=assessment,
        title=catalogue.instrument_for(assessment.questionnaire).title,
        safety=bool(signals),
    )
