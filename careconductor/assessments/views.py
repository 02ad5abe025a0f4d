from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.cases.queries import visible_cases
from careconductor.chart.summary import chart_summary
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import show_refusal
from careconductor.core.languages import language_name, own_name
from careconductor.core.requests import StaffRequest
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.guards import staff_view

from . import catalogue, engine, trend
from .actions import do_complete_assessment, do_compute_risk_scores, do_save_answers, do_start_assessment
from .choices import AssessmentStatus
from .forms import SectionForm, StartForm
from .models import Assessment
from .queries import (
    access_assessment,
    access_questionnaire,
    active_findings,
    latest_risk_scores,
    patient_assessments,
    score_history,
)


@staff_view()
@require_http_methods(["GET"])
def patient_assessments_page(request: StaffRequest, patient_id: int) -> HttpResponse:
    """The patient's assessments: start one, continue one in progress, results, findings and risk scores."""
    user = request.user
    patient = access_patient(user, patient_id)
    assessments = list(patient_assessments(patient)[:100])
    latest: dict[str, Assessment] = {}
    for a in assessments:
        if a.status == AssessmentStatus.COMPLETED:
            latest.setdefault(a.questionnaire.url, a)
    instruments = []
    for q in catalogue.current_questionnaires():
        instrument = catalogue.instrument_for(q)
        languages = [(code, own_name(code)) for code in sorted(instrument.languages)]
        instruments.append((q, languages, latest.get(q.url)))
    return render(
        request,
        "assessments/patient_assessments.html",
        {
            "patient": patient,
            "summary": chart_summary(patient),
            "instruments": instruments,
            "in_progress": [a for a in assessments if a.status == AssessmentStatus.IN_PROGRESS],
            "completed": [a for a in assessments if a.status == AssessmentStatus.COMPLETED],
            "findings": active_findings(patient),
            "risk_scores": latest_risk_scores(user, patient),
            "can_change": policy.may(user, policy.Action.CHANGE, patient),
            "nav": "patients",
        },
    )


@staff_view()
@require_POST
def start(request: StaffRequest, patient_id: int, slug: str) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    questionnaire = access_questionnaire(slug)
    instrument = catalogue.instrument_for(questionnaire)
    form = StartForm(request.POST, languages=sorted(instrument.languages))
    language = form.cleaned_data["language"] if form.is_valid() else "en"
    case = visible_cases(user).open().filter(patient=patient).order_by("-referred_at").first()
    try:
        assessment = do_start_assessment(user, patient, questionnaire, case=case, language=language)
    except ActionRefused as exc:
        messages.error(request, str(exc))
        return redirect("assessments:patient", patient_id=patient.pk)
    return redirect("assessments:section", assessment_id=assessment.pk, number=1)


def _section_context(assessment: Assessment, number: int, form: SectionForm) -> dict:
    instrument = catalogue.instrument_for(assessment.questionnaire)
    total = len(instrument.questions)
    answered = sum(1 for k in instrument.questions if assessment.answers.get(k))
    return {
        "assessment": assessment,
        "instrument": instrument,
        "patient": assessment.patient,
        "summary": chart_summary(assessment.patient),
        "form": form,
        "number": number,
        "count": len(instrument.sections),
        "section_title": instrument.sections[number - 1].label(assessment.language),
        "answered": answered,
        "total": total,
        "percent": round(100 * answered / total) if total else 100,
        "nav": "patients",
    }


@staff_view()
@require_http_methods(["GET", "POST"])
def section(request: StaffRequest, assessment_id: int, number: int) -> HttpResponse:
    """One screen of an assessment. Saving moves on (Next / Back) or, on the last screen, finishes."""
    user = request.user
    assessment = access_assessment(user, assessment_id)
    instrument = catalogue.instrument_for(assessment.questionnaire)
    if not 1 <= number <= len(instrument.sections):
        raise NotVisible
    if assessment.status != AssessmentStatus.IN_PROGRESS:
        return redirect("assessments:detail", assessment_id=assessment.pk)
    current = instrument.sections[number - 1]
    data = request.POST if request.method == "POST" else None
    form = SectionForm(data, section=current, language=assessment.language, answers=assessment.answers)
    if request.method == "POST" and form.is_valid():
        try:
            assessment = do_save_answers(user, assessment, form.answers())
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            if request.htmx:
                return render(request, "assessments/_saved.html", _section_context(assessment, number, form))
            go = request.POST.get("go", "next")
            if go == "back" and number > 1:
                return redirect("assessments:section", assessment_id=assessment.pk, number=number - 1)
            if go == "finish":
                return _finish(request, assessment, number)
            if number < len(instrument.sections):
                return redirect("assessments:section", assessment_id=assessment.pk, number=number + 1)
            return redirect("assessments:detail", assessment_id=assessment.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request, "assessments/section.html", _section_context(assessment, number, form), status=status
    )


def _finish(request: StaffRequest, assessment: Assessment, number: int) -> HttpResponse:
    try:
        assessment = do_complete_assessment(request.user, assessment)
    except ActionRefused as exc:
        # Unanswered questions: back to the first screen that has one, each marked beside its question.
        instrument = catalogue.instrument_for(assessment.questionnaire)
        first = next(
            (
                i
                for i, s in enumerate(instrument.sections, 1)
                if any(q.link_id in exc.errors for q in s.questions)
            ),
            number,
        )
        current = instrument.sections[first - 1]
        form = SectionForm(None, section=current, language=assessment.language, answers=assessment.answers)
        context = _section_context(assessment, first, form)
        context["missing"] = [instrument.questions[k] for k in exc.errors if k in instrument.questions]
        context["missing_ids"] = set(exc.errors)
        return render(request, "assessments/section.html", context, status=422)
    messages.success(request, "Assessment completed and scored.")
    return redirect("assessments:detail", assessment_id=assessment.pk)


def _shown(item: engine.Item, value: engine.AnswerValue, language: str) -> str:
    option = item.option(str(value)) if item.type == "choice" else None
    if option is not None:
        return option.label(language)
    return "Yes" if value is True else "No" if value is False else str(value)


@staff_view()
@require_http_methods(["GET"])
def detail(request: StaffRequest, assessment_id: int) -> HttpResponse:
    """The result: what the score means, findings, the tasks it raised, and every answer."""
    user = request.user
    assessment = access_assessment(user, assessment_id)
    instrument = catalogue.instrument_for(assessment.questionnaire)
    # Staff read each question and its answer in English; when the patient was asked in another language, the
    # question and answer as they were asked sit beside them (never an English question with a Spanish answer).
    asked_in = assessment.language if assessment.language != "en" else ""
    answers = []
    for s in instrument.sections:
        for item in s.questions:
            given = assessment.answers.get(item.link_id, [])
            shown = [_shown(item, value, "en") for value in given]
            asked = ", ".join(_shown(item, value, asked_in) for value in given) if asked_in else ""
            answers.append((item, shown, f"{item.label(asked_in)}: {asked}" if asked else ""))
    focus = f"QuestionnaireResponse/{assessment.pk}"
    return render(
        request,
        "assessments/detail.html",
        {
            "assessment": assessment,
            "instrument": instrument,
            "patient": assessment.patient,
            "summary": chart_summary(assessment.patient),
            "scores": assessment.scores.order_by("pk"),
            "findings": assessment.findings.all(),
            "tasks": assessment.patient.tasks.filter(focus=focus).select_related("owner").order_by("pk"),
            "flags": assessment.patient.flags.filter(focus=focus).order_by("pk"),
            "answers": answers,
            "asked_in": language_name(asked_in) if asked_in else "",
            "missing": [instrument.questions[k] for k in assessment.missing if k in instrument.questions],
            "nav": "patients",
        },
    )


@staff_view()
@require_http_methods(["GET"])
def history(request: StaffRequest, patient_id: int, slug: str) -> HttpResponse:
    """One instrument's scores over time, with the band lines."""
    user = request.user
    patient = access_patient(user, patient_id)
    questionnaire = access_questionnaire(slug)
    points = score_history(patient, questionnaire.url)
    return render(
        request,
        "assessments/history.html",
        {
            "patient": patient,
            "summary": chart_summary(patient),
            "questionnaire": questionnaire,
            "points": list(reversed(points)),
            "trend": trend.build(points),
            "nav": "patients",
        },
    )


@staff_view()
@require_POST
def compute_risk(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    try:
        do_compute_risk_scores(user, patient)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Risk scores computed from the chart as it is now.")
    return redirect(reverse("assessments:patient", kwargs={"patient_id": patient.pk}) + "#risk")
