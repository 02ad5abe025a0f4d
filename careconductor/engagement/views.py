"""The patient portal. Thin views: parse the form, read through queries, change through actions. Every page
goes through `portal_view`, which fixes whose record is shown and the language."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.assessments import catalogue
from careconductor.assessments.actions import do_complete_assessment, do_save_answers, do_start_assessment
from careconductor.assessments.choices import AssessmentSource, AssessmentStatus
from careconductor.assessments.forms import SectionForm
from careconductor.assessments.models import Assessment, Questionnaire
from careconductor.careplans import printout
from careconductor.careplans.choices import PlanStatus
from careconductor.careplans.queries import patient_plan, standing
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import show_refusal
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import public

from . import actions, portal_data, queries
from .context import portal_context
from .forms import (
    BloodPressureForm,
    GoalCheckInForm,
    JoinForm,
    MessageForm,
    ProxyForm,
    ReadingForm,
    ReplyForm,
    WellbeingForm,
)
from .guards import LANGUAGE_KEY, LANGUAGES, PATIENT_KEY, portal_language, portal_view

OUTCOME_KEY = "portal_outcome"
SELF_ASSESSMENTS = ("phq-9", "gad-7", "ahc-hrsn")
READING_MEASURES = ("glucose", "weight", "peak-flow")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _patient(request: HttpRequest) -> Patient:
    return request.portal_patient  # type: ignore[attr-defined]


def _render(request: HttpRequest, template: str, nav: str, status: int = 200, **extra: Any) -> HttpResponse:
    return render(
        request, f"engagement/portal/{template}", portal_context(request, nav, **extra), status=status
    )


# --- home, plan, upcoming ---------------------------------------------------------------------------------------
@portal_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    return _render(
        request,
        "home.html",
        "home",
        upcoming=portal_data.upcoming(patient),
        goals=portal_data.goals_to_check_in(patient),
        alerts=portal_data.recent_instructions(patient),
    )


@portal_view
@require_GET
def plan(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    care_plan = patient_plan(patient)
    printable = None
    if care_plan is not None and care_plan.status == PlanStatus.ACTIVE:
        in_force = standing(care_plan).in_force
        if in_force is not None:
            printable = printout.printable(care_plan, in_force, request.LANGUAGE_CODE)
            audit.record(
                _user(request), AuditAction.READ, patient=patient, obj=care_plan, detail="portal plan"
            )
    return _render(request, "plan.html", "plan", p=printable, upcoming=portal_data.upcoming(patient))


# --- check-ins ----------------------------------------------------------------------------------------------------
@portal_view
@require_GET
def check_in(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    return _render(
        request,
        "check_in.html",
        "check-in",
        goals=portal_data.goals_to_check_in(patient),
        doses=portal_data.doses_today(patient),
    )


def _done(request: HttpRequest, outcome: actions.ReportOutcome, saved: str) -> HttpResponse:
    request.session[OUTCOME_KEY] = {
        "saved": saved,
        "instruction": outcome.breach.instruction if outcome.breach else "",
        "emergency": bool(outcome.breach and outcome.breach.emergency),
    }
    # After a reading past a limit, open the page at "What to do now": on a phone the call button is then in
    # view without scrolling past the header and the menu.
    return redirect(reverse("portal:done") + ("#what-to-do" if outcome.breach else ""))


def _report(
    request: HttpRequest,
    form: forms.Form,
    submit: Callable[[dict[str, Any]], actions.ReportOutcome],
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
    return _render(request, template, "check-in", status, form=form, **extra)


@portal_view
@require_http_methods(["GET", "POST"])
def blood_pressure(request: HttpRequest) -> HttpResponse:
    user, patient = _user(request), _patient(request)
    return _report(
        request,
        BloodPressureForm(request.POST or None),
        lambda data: actions.do_report_blood_pressure(
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
def reading(request: HttpRequest, measure: str) -> HttpResponse:
    if measure not in READING_MEASURES:
        raise NotVisible
    user, patient = _user(request), _patient(request)
    form = ReadingForm(request.POST or None, measure=measure)
    return _report(
        request,
        form,
        lambda data: actions.do_report_reading(
            user, patient, measure=measure, value=form.value_in_store_unit()
        ),
        _("Your reading is saved."),
        "reading.html",
        {measure: "value"},
        heading=str(HEADINGS[measure]),
        hint=str(HINTS[measure]),
    )


@portal_view
@require_http_methods(["GET", "POST"])
def feeling(request: HttpRequest) -> HttpResponse:
    user, patient = _user(request), _patient(request)
    return _report(
        request,
        WellbeingForm(request.POST or None),
        lambda data: actions.do_report_wellbeing(
            user, patient, mood=data.get("mood") or None, symptoms=data["symptoms"], note=data["note"]
        ),
        _("Thank you. Your care team can see how you are feeling."),
        "feeling.html",
    )


@portal_view
@require_http_methods(["GET", "POST"])
def goal_check_in(request: HttpRequest, goal_id: int) -> HttpResponse:
    patient = _patient(request)
    goal = next((g for g in portal_data.goals_to_check_in(patient) if g.pk == goal_id), None)
    if goal is None:
        raise NotVisible
    user = _user(request)
    return _report(
        request,
        GoalCheckInForm(request.POST or None),
        lambda data: actions.ReportOutcome(
            check_in=actions.do_check_in_goal(user, goal, rating=data["rating"], note=data["note"])
        ),
        _("Thank you for checking in."),
        "goal_check_in.html",
        goal=goal,
    )


@portal_view
@require_http_methods(["GET", "POST"])
def doses(request: HttpRequest) -> HttpResponse:
    from careconductor.medications.actions import do_report_doses

    patient = _patient(request)
    slots = portal_data.doses_today(patient)
    if not slots:
        return redirect("portal:check_in")
    error = ""
    if request.method == "POST":
        taken = set(request.POST.getlist("taken"))
        answers = {(s.medication.pk, s.slot): f"{s.medication.pk}@{s.slot}" in taken for s in slots}
        try:
            do_report_doses(_user(request), patient, day=timezone.localdate(), answers=answers)
        except ActionRefused as exc:
            error = " ".join(exc.errors.values()) or str(exc)
        else:
            return _done(request, actions.ReportOutcome(), _("Your doses for today are saved."))
    status = 422 if error else 200
    return _render(request, "doses.html", "check-in", status, slots=slots, error=error)


@portal_view
@require_GET
def done(request: HttpRequest) -> HttpResponse:
    outcome = request.session.pop(OUTCOME_KEY, None)
    if outcome is None:
        return redirect("portal:check_in")
    return _render(request, "done.html", "check-in", outcome=outcome)


# --- trends -------------------------------------------------------------------------------------------------------
@portal_view
@require_GET
def trends(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    return _render(request, "trends.html", "trends", charts=portal_data.charts(patient))


# --- self-assessments ---------------------------------------------------------------------------------------------
@portal_view
@require_GET
def assessments(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    own = policy.is_own_record(_user(request), patient)
    return _render(
        request,
        "assessments.html",
        "check-in",
        own=own,
        available=portal_data.self_assessments(patient, SELF_ASSESSMENTS) if own else [],
        has_case_manager=queries.case_manager_for(patient) is not None,
    )


@portal_view
@require_POST
def start_assessment(request: HttpRequest, slug: str) -> HttpResponse:
    user, patient = _user(request), _patient(request)
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


def _own_assessment(request: HttpRequest, assessment_id: int) -> Assessment:
    found = (
        Assessment.objects.filter(
            pk=assessment_id,
            patient=_patient(request),
            source=AssessmentSource.PATIENT,
            author=_user(request),
        )
        .select_related("patient", "questionnaire", "case")
        .first()
    )
    if found is None:
        raise NotVisible
    audit.record(_user(request), AuditAction.READ, patient=found.patient, obj=found, detail="portal")
    return found


@portal_view
@require_http_methods(["GET", "POST"])
def assessment_section(request: HttpRequest, assessment_id: int, number: int) -> HttpResponse:
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
        user = _user(request)
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
    return _render(
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
def assessment_done(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = _own_assessment(request, assessment_id)
    if assessment.status == AssessmentStatus.IN_PROGRESS:
        return redirect("portal:assessment_section", assessment_id=assessment.pk, number=1)
    signals = assessment.details.get("signals_acted", [])
    return _render(
        request,
        "assessment_done.html",
        "check-in",
        assessment=assessment,
        title=catalogue.instrument_for(assessment.questionnaire).title,
        safety=bool(signals),
    )


# --- messages -----------------------------------------------------------------------------------------------------
@portal_view
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    patient = _patient(request)
    return _render(request, "messages.html", "messages", items=queries.patient_messages(patient))


@portal_view
@require_http_methods(["GET", "POST"])
def message_new(request: HttpRequest) -> HttpResponse:
    form = MessageForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            message = actions.do_send_message(
                _user(request),
                _patient(request),
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(
                request, _("Your message is sent. Your care team usually answers within 1 business day.")
            )
            return redirect("portal:message", message_id=message.pk)
    status = 422 if request.method == "POST" else 200
    return _render(request, "message_new.html", "messages", status, form=form)


def _portal_message(request: HttpRequest, message_id: int) -> Any:
    message = queries.access_message(_user(request), message_id)
    if message.patient_id != _patient(request).pk:
        raise NotVisible
    return message


@portal_view
@require_http_methods(["GET", "POST"])
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _portal_message(request, message_id)
    form = ReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            reply = actions.do_send_message(
                _user(request),
                _patient(request),
                subject="",
                body=form.cleaned_data["body"],
                files=form.cleaned_data["attachments"],
                reply_to=message,
            )
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, _("Your reply is sent."))
            return redirect("portal:message", message_id=reply.pk)
    status = 422 if request.method == "POST" else 200
    thread = portal_data.thread(message)
    for item in thread:  # opening a conversation reads the team's messages in it
        actions.do_mark_read(_user(request), item)
    return _render(request, "message.html", "messages", status, message=message, thread=thread, form=form)


@portal_view
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    found = queries.access_attachment(_user(request), attachment_id)
    if found.message.patient_id != _patient(request).pk:
        raise NotVisible
    return attachment_response(found)


def attachment_response(found: Any) -> FileResponse:
    """The file as it was checked on upload; shown inline only for the types we took, never as HTML."""
    response = FileResponse(found.file.open("rb"), content_type=found.content_type, filename=found.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response


# --- people who help me (proxies) -------------------------------------------------------------------------------
@portal_view
@require_http_methods(["GET", "POST"])
def people(request: HttpRequest) -> HttpResponse:
    user, patient = _user(request), _patient(request)
    own = policy.is_own_record(user, patient)
    form = ProxyForm(request.POST or None)
    link = ""
    if request.method == "POST":
        if not own:
            raise NotVisible
        if form.is_valid():
            try:
                _grant, made = actions.do_grant_proxy(
                    user,
                    patient,
                    name=form.cleaned_data["name"],
                    relationship=form.cleaned_data["relationship"],
                    email=form.cleaned_data["email"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                link = request.build_absolute_uri(made.path)
                form = ProxyForm()
    status = 422 if request.method == "POST" and form.errors else 200
    return _render(
        request,
        "people.html",
        "home",
        status,
        own=own,
        form=form,
        link=link,
        grants=queries.active_proxies(patient),
    )


@portal_view
@require_POST
def revoke(request: HttpRequest, proxy_id: int) -> HttpResponse:
    user, patient = _user(request), _patient(request)
    grant = queries.access_grant(user, proxy_id)
    if grant.patient_id != patient.pk:
        raise NotVisible
    try:
        actions.do_revoke_proxy(user, grant)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("%(name)s can no longer use your portal.") % {"name": grant.name})
    if grant.proxy_id == user.pk and not policy.is_own_record(user, patient):
        request.session.pop(PATIENT_KEY, None)
        return redirect("portal:home")
    return redirect("portal:people")


@portal_view
@require_http_methods(["GET", "POST"])
def switch(request: HttpRequest) -> HttpResponse:
    choices: list[Patient] = request.portal_choices  # type: ignore[attr-defined]
    if request.method == "POST":
        wanted = request.POST.get("patient", "")
        chosen = next((p for p in choices if str(p.pk) == wanted), None)
        if chosen is None:
            raise NotVisible
        request.session[PATIENT_KEY] = chosen.pk
        return redirect("portal:home")
    return _render(request, "switch.html", "home", choices=choices)


@public
@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """The portal's language for this session (the switch on every page). Works before log-in too."""
    chosen = request.POST.get("language", "")
    if chosen in LANGUAGES:
        request.session[LANGUAGE_KEY] = chosen
    back = request.META.get("HTTP_REFERER", "")
    site = request.build_absolute_uri("/")
    return redirect(back if back.startswith(site) else reverse("portal:home"))


# --- the invitation link ----------------------------------------------------------------------------------------
@public
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, secret: str) -> HttpResponse:
    """Make a portal log-in from an invitation: the patient (who proves it with their date of birth) or a
    proxy the patient chose. A proxy who already has a portal log-in can use it instead."""
    from django.utils import translation

    invitation = actions.open_invitation(secret)
    language_code = portal_language(request, invitation.patient.preferred_language if invitation else "")
    with translation.override(language_code):
        if invitation is None:
            return render(request, "engagement/portal/join_expired.html", {}, status=404)
        for_patient = invitation.kind == "patient"
        signed_in = request.user.is_authenticated and _user(request).role == "patient" and not for_patient
        form = JoinForm(request.POST or None, for_patient=for_patient)
        if request.method == "POST" and (signed_in or form.is_valid()):
            data = form.cleaned_data if not signed_in else {}
            try:
                login = actions.do_accept_invitation(
                    secret,
                    username=data.get("username", ""),
                    password=data.get("password", ""),
                    birth_date=data.get("birth_date"),
                    first_name=data.get("first_name", ""),
                    last_name=data.get("last_name", ""),
                    existing=_user(request) if signed_in else None,
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                if not signed_in:
                    auth_login(request, login, backend="careconductor.core.zones.UserWithOrganizationBackend")
                request.session[PATIENT_KEY] = invitation.patient_id
                request.session[LANGUAGE_KEY] = language_code
                return redirect("portal:home")
        status = 422 if request.method == "POST" else 200
        return render(
            request,
            "engagement/portal/join.html",
            {
                "form": form,
                "for_patient": for_patient,
                "signed_in": signed_in,
                "proxy_name": invitation.grant.name if invitation.grant else "",
                "patient_first": invitation.patient.given_name,
                "expires": invitation.expires_at,
            },
            status=status,
        )
