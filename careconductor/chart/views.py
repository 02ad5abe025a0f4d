from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from careconductor.accounts.models import User
from careconductor.assessments.queries import active_findings
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.coordination import mentions
from careconductor.coordination.mention_forms import MentionNoteForm
from careconductor.coordination.queries import care_team, patient_contacts, patient_open_tasks
from careconductor.core import clock
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.core.forms import show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.patients.actions import (
    PatientDetails,
    do_add_condition,
    possible_duplicates,
)
from careconductor.patients.choices import ConditionCategory, ContactMethod, Sex
from careconductor.patients.forms import ConditionForm, NoteForm, PatientSearchForm
from careconductor.patients.models import CareTeamMember, Patient
from careconductor.patients.queries import access_patient, find_for_emergency, search_patients
from careconductor.privacy import audit, policy
from careconductor.privacy.actions import (
    do_break_glass,
    do_record_consent,
    do_record_disclosure,
    do_revoke_consent,
)
from careconductor.privacy.choices import ConsentMethod, ConsentType, EmergencyReason, Sensitivity
from careconductor.privacy.forms import (
    ConsentRecordForm,
    DisclosureForm,
    EmergencyAccessForm,
    EmergencyFindForm,
)
from careconductor.privacy.guards import refuse, staff_view
from careconductor.privacy.models import EmergencyAccess

from .forms import NewPatientForm
from .summary import chart_summary

PAGE_SIZE = 50


@staff_view()
@require_http_methods(["GET"])
def patient_list(request: StaffRequest) -> HttpResponse:
    user = request.user
    form = PatientSearchForm(request.GET or None)
    text, birth_date = "", None
    if form.is_valid():
        text, birth_date = form.cleaned_data["q"], form.cleaned_data["birth_date"]
    open_cases = Case.objects.open().select_related("primary_case_manager").order_by("-referred_at")
    qs = search_patients(user, text, birth_date).prefetch_related(
        "identifiers", Prefetch("cases", queryset=open_cases, to_attr="open_cases")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record_reads(user, page.object_list)
    template = "chart/_rows.html" if request.htmx else "chart/patient_list.html"
    return render(
        request,
        template,
        {
            "form": form,
            "page": page,
            "nav": "patients",
            "can_create": policy.can_create_patients(user),
            "can_break_glass": policy.may_use_emergency_access(user),
            "querystring": request.GET.urlencode(),
        },
    )


def _details(data: dict) -> PatientDetails:
    return PatientDetails(
        given_name=data["given_name"],
        family_name=data["family_name"],
        birth_date=data["birth_date"],
        sex=Sex(data["sex"]),
        gender_identity=data["gender_identity"],
        preferred_language=data["preferred_language"],
        interpreter_needed=data["interpreter_needed"],
        phone=data["phone"],
        email=data["email"],
        address_line=data["address_line"],
        city=data["city"],
        state=data["state"],
        postal_code=data["postal_code"],
        preferred_contact_method=ContactMethod(data["preferred_contact_method"]),
        preferred_contact_times=data["preferred_contact_times"],
        learning_preferences=list(data["learning_preferences"]),
        health_literacy_concern=data["health_literacy_concern"],
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def patient_new(request: StaffRequest) -> HttpResponse:
    """Register a patient with their first referral. A likely duplicate (same name and birth date in the
    organisation) is shown first; the user must confirm before a second record is made."""
    user = request.user
    if not policy.can_create_patients(user):
        return refuse(request, "Your role may not register patients.")
    form = NewPatientForm(request.POST or None)
    duplicates: list = []
    hidden_duplicates = 0
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        found = possible_duplicates(
            user, data["given_name"], data["family_name"], data["birth_date"], phone=data["phone"]
        )
        visible_ids = set(
            policy.visible_patients(user).filter(pk__in=[p.pk for p in found]).values_list("pk", flat=True)
        )
        duplicates = [p for p in found if p.pk in visible_ids]
        hidden_duplicates = len(found) - len(duplicates)
        if found and not data["confirm_not_duplicate"]:
            confirmed = request.POST.copy()
            confirmed["confirm_not_duplicate"] = "on"
            form = NewPatientForm(confirmed)
            audit.record_reads(user, duplicates)
        else:
            try:
                patient = do_register_and_refer(
                    user,
                    _details(data),
                    program=Program(data["program"]),
                    referral_source=ReferralSource(data["referral_source"]),
                    referral_reason=data["referral_reason"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                messages.success(request, f"{patient.full_name} is registered and referred.")
                if policy.can(user, policy.Action.VIEW, patient):
                    return redirect("patients:chart", patient_id=patient.pk)
                return redirect("patients:list")
    return render(
        request,
        "chart/patient_new.html",
        {"form": form, "duplicates": duplicates, "hidden_duplicates": hidden_duplicates, "nav": "patients"},
    )


def _save_from_chart(
    request: StaffRequest,
    patient: Patient,
    form: forms.Form,
    change: Callable[[dict[str, Any]], object],
    *,
    done: str,
    form_name: str,
) -> HttpResponse:
    """The shape every form on the chart shares: valid input goes to its action; a refusal is shown beside
    the fields with the chart re-rendered and that form open; success returns to the chart with a message."""
    if form.is_valid():
        try:
            change(form.cleaned_data)
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, done)
            return redirect("patients:chart", patient_id=patient.pk)
    return render_chart(request, patient, status=400, **{form_name: form})  # type: ignore[arg-type]


@staff_view()
@require_POST
def add_condition(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    return _save_from_chart(
        request,
        patient,
        ConditionForm(request.POST, sensitivities=policy.record_sensitivities(user, patient)),
        lambda data: do_add_condition(
            user, patient, **{**data, "sensitivity": Sensitivity(data.get("sensitivity") or "")}
        ),
        done="Added to the problem list.",
        form_name="condition_form",
    )


@staff_view()
@require_http_methods(["GET"])
def patient_chart(request: StaffRequest, patient_id: int) -> HttpResponse:
    patient = access_patient(request.user, patient_id)
    return render_chart(request, patient)


def render_chart(
    request: StaffRequest,
    patient: Patient,
    *,
    condition_form: ConditionForm | None = None,
    disclosure_form: DisclosureForm | None = None,
    note_form: NoteForm | None = None,
    consent_form: ConsentRecordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    # The user's emergency accesses in force are looked up once per request (the audit marks its events from the
    # same answer); the access itself only for its banner, when there is one.
    on_emergency = bool(policy.emergency_patient_ids(user, [patient.pk]))
    emergency = (
        EmergencyAccess.objects.filter(user=user, patient=patient, expires_at__gt=clock.now()).first()
        if on_emergency
        else None
    )
    # Sensitive records the user may not see are left out entirely, not counted or hinted at.
    sensitivities = policy.allowed_sensitivities(user, patient, on_emergency=on_emergency)
    allowed = policy.allowed_actions(user, patient)
    offer_mentions = policy.Action.WRITE_NOTE in allowed and note_form is None
    # Read once and shared: the header's open case comes from the list of cases, its alerts from the flags,
    # and the consent form's staff from the care team.
    cases = list(patient.cases.select_related("primary_case_manager").order_by("-referred_at"))
    summary = chart_summary(patient, cases)
    team = care_team(patient)
    context = {
        "emergency": emergency,
        "disclosure_form": disclosure_form or DisclosureForm(initial={"disclosed_on": clock.today()}),
        "disclosures": policy.restrict_sensitive(
            patient.disclosures.order_by("-disclosed_on"), user, patient, allowed=sensitivities
        )[:10],
        "patient": patient,
        "summary": summary,
        "conditions": policy.restrict_sensitive(
            patient.conditions.filter(category=ConditionCategory.PROBLEM_LIST),
            user,
            patient,
            allowed=sensitivities,
        ).order_by("-chronic", "icd10_code"),
        "notes": policy.restrict_sensitive(patient.notes.all(), user, patient, allowed=sensitivities)
        .select_related("author")
        .order_by("-written_at")[:20],
        "note_form": note_form
        or MentionNoteForm(
            sensitivities=sensitivities,
            candidates=mentions.mention_candidates(user, patient) if offer_mentions else (),
        ),
        "consent_form": consent_form
        or ConsentRecordForm(
            staff=_consent_staff(team),
            sensitivities=sensitivities,
            initial={"given_on": clock.today(), "method": "verbal"},
        ),
        "encounters": patient.encounters.order_by("-start")[:10],
        "coverages": patient.coverages.order_by("-start_date"),
        "contacts": patient.contacts.all(),
        "care_team": [m for m in team if m.is_current(clock.today())],
        "recent_contacts": patient_contacts(user, patient, 3, allowed=sensitivities),
        "consents": policy.restrict_sensitive(
            patient.consents.all(), user, patient, allowed=sensitivities
        ).order_by("-given_on"),
        "cases": cases,
        "condition_form": condition_form or ConditionForm(sensitivities=sensitivities),
        "can_change": policy.Action.CHANGE in allowed,
        "can_write_note": policy.Action.WRITE_NOTE in allowed,
        "can_log_contact": policy.Action.LOG_CONTACT in allowed,
        "flags": summary.flags,
        "tasks": patient_open_tasks(user, patient, allowed=sensitivities),
        "findings": active_findings(patient),
        "nav": "patients",
    }
    return render(request, "chart/chart.html", context, status=status)


BREAK_GLASS_ROLES = sorted(policy.BREAK_GLASS_ROLES)


@staff_view(BREAK_GLASS_ROLES)
@require_http_methods(["GET", "POST"])
def emergency_access(request: StaffRequest) -> HttpResponse:
    """Break-the-glass: find one patient by exact MRN or name and birth date, then open the record with a
    reason. Nothing here lists patients; every match shown and every access is audited."""
    user = request.user
    find = EmergencyFindForm(request.GET or None)
    matches: list[Patient] = []
    if find.is_valid():
        matches = find_for_emergency(user, **find.cleaned_data)
    form = EmergencyAccessForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        raw_id = request.POST.get("patient_id", "")
        # Parsed at the edge: anything but a plausible id is "not found", never an error.
        patient = (
            Patient.objects.filter(pk=pk, organization_id=user.org_id).first()
            if (pk := whole_number(raw_id)) is not None
            else None
        )
        valid = form.is_valid()  # always, so the form has its cleaned data and field errors
        if patient is None or not valid:
            if patient is None:
                form.add_error(None, "Find the patient first.")
        else:
            try:
                do_break_glass(
                    user,
                    patient,
                    reason=EmergencyReason(form.cleaned_data["reason"]),
                    explanation=form.cleaned_data["explanation"],
                )
            except ActionRefused as exc:
                show_refusal(form, exc)
            else:
                # The chart's emergency banner says until when, and that it is reviewed.
                return redirect("patients:chart", patient_id=patient.pk)
        matches = [patient] if patient is not None else []
    return render(
        request,
        "chart/emergency_access.html",
        {
            "find": find,
            "form": form,
            "matches": matches,
            "nav": "patients",
            "already_visible": {p.pk for p in matches if policy.can(user, policy.Action.VIEW, p)},
        },
    )


@staff_view()
@require_POST
def record_disclosure(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    return _save_from_chart(
        request,
        patient,
        DisclosureForm(request.POST),
        lambda data: do_record_disclosure(user, patient, **data),
        done="Disclosure recorded for the patient's accounting of disclosures.",
        form_name="disclosure_form",
    )


@staff_view()
@require_POST
def add_note(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)

    def write(data: dict[str, Any]) -> None:
        # @mentions are told in the note's transaction (coordination.mentions, issue 17 §4).
        written = mentions.do_add_note(
            user,
            patient,
            text=data["text"],
            sensitivity=Sensitivity(data.get("sensitivity") or ""),
            mention=data.get("mention") or [],
        )
        if written.told:
            told = ", ".join(person.display_name() for person in written.told)
            messages.info(request, f"Mentioned in their inbox: {told}.")

    form = MentionNoteForm(
        request.POST,
        sensitivities=policy.record_sensitivities(user, patient),
        candidates=mentions.mention_candidates(user, patient),
    )
    return _save_from_chart(request, patient, form, write, done="Note saved.", form_name="note_form")


@staff_view()
@require_POST
def record_consent(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)

    def record(data: dict[str, Any]) -> object:
        recipient_user = (
            User.objects.filter(pk=data["recipient_user"], organization_id=user.org_id).first()
            if data["recipient_user"]
            else None
        )
        return do_record_consent(
            user,
            patient,
            consent_type=ConsentType(data["consent_type"]),
            method=ConsentMethod(data["method"]),
            given_on=data["given_on"],
            expires_on=data["expires_on"],
            recipient=data["recipient"],
            recipient_user=recipient_user,
            scope_note=data["scope_note"],
        )

    return _save_from_chart(
        request,
        patient,
        ConsentRecordForm(
            request.POST,
            staff=_consent_staff(care_team(patient)),
            sensitivities=policy.record_sensitivities(user, patient),
        ),
        record,
        done="Consent recorded.",
        form_name="consent_form",
    )


@staff_view()
@require_POST
def revoke_consent(request: StaffRequest, patient_id: int, consent_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    consent = policy.restrict_sensitive(patient.consents.all(), user, patient).filter(pk=consent_id).first()
    if consent is None:
        raise NotVisible
    try:
        do_revoke_consent(user, consent)
    except ActionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Consent revoked. It no longer applies, from now on.")
    return redirect("patients:chart", patient_id=patient.pk)


def _consent_staff(team: list[CareTeamMember]) -> list[tuple[int, str]]:
    """The care team's staff (members with a log-in), by last name: who may have taken a verbal consent."""
    staff = sorted((m for m in team if m.user is not None), key=lambda m: m.user.last_name if m.user else "")
    return [(m.user.pk, f"{m.user.display_name()} ({m.role})") for m in staff if m.user is not None]
