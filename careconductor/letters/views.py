"""The letters pages: a patient's letters, writing one (choose, preview, send), and a letter as it went out,
printable with the letterhead and as a PDF. Parse with the form, fetch with access_*, change with do_*."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from careconductor.accounts.models import User
from careconductor.appointments.models import Appointment
from careconductor.cases.models import Case
from careconductor.core.errors import ActionRefused
from careconductor.core.forms import show_refusal
from careconductor.core.ids import whole_number
from careconductor.core.requests import StaffRequest
from careconductor.patients.models import Patient
from careconductor.patients.queries import access_patient
from careconductor.privacy import policy
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.guards import staff_view
from careconductor.referrals.models import Referral

from . import library, pdf, rules
from .actions import Addressed, LetterRequest, do_send_letter, preview
from .choices import Delivery, LetterKind, RecipientKind
from .drafting import Draft, referral_address
from .forms import LetterForm
from .models import Letter
from .queries import access_letter, appointments_of, cases_of, letters_of, referrals_of


@staff_view()
@require_http_methods(["GET"])
def letter_list(request: StaffRequest, patient_id: int) -> HttpResponse:
    user = request.user
    patient = access_patient(user, patient_id)
    return render(
        request,
        "letters/list.html",
        {
            "patient": patient,
            "letters": letters_of(user, patient),
            "kinds": library.all_templates(),
            "can_write": policy.may(user, policy.Action.CHANGE, patient),
            "nav": "patients",
        },
    )


def _case_words(case: Case) -> str:
    state = "open" if case.is_open else case.get_status_display().lower()
    return f"{case.get_program_display()}, referred {case.referred_at:%b %-d, %Y} ({state})"


def _appointment_words(appointment: Appointment) -> str:
    starts = timezone.localtime(appointment.starts_at)
    return f"{starts:%b %-d, %Y %H:%M}: {appointment.purpose} with {appointment.with_whom}"


@dataclass(frozen=True)
class Subjects:
    """What a letter of this patient may be about, read once for the page."""

    cases: list[Case]
    referrals: list[Referral]
    appointments: list[Appointment]

    @classmethod
    def of(cls, user: User, patient: Patient) -> Subjects:
        return cls(cases_of(patient), referrals_of(user, patient), appointments_of(user, patient))

    def form(self, patient: Patient, data: Any = None, initial: Any = None) -> LetterForm:
        templates = library.all_templates()
        languages = sorted(
            {code for t in templates.values() for code in t.languages}, key=lambda c: c != "en"
        )
        if patient.preferred_language not in languages:
            languages.append(patient.preferred_language)  # offered; the preview says it is written in English
        return LetterForm(
            data,
            initial=initial,
            # Invitations go out from an outreach campaign (population.campaigns), to members with no case yet.
            kinds=[(kind, t.title) for kind, t in templates.items() if kind != LetterKind.INVITATION],
            languages=languages,
            cases=[(c.pk, _case_words(c)) for c in self.cases],
            referrals=[(r.pk, f"{r.recipient} ({r.get_status_display().lower()})") for r in self.referrals],
            appointments=[(a.pk, _appointment_words(a)) for a in self.appointments],
        )

    def request_from(self, form: LetterForm) -> LetterRequest:
        d = form.cleaned_data
        return LetterRequest(
            kind=d["kind"],
            language=d["language"],
            delivery=d["delivery"],
            recipient_kind=d["recipient_kind"],
            recipient_name=d["recipient_name"],
            recipient_address=d["recipient_address"],
            case=next((c for c in self.cases if c.pk == d["case"]), None),
            referral=next((r for r in self.referrals if r.pk == d["referral"]), None),
            appointment=next((a for a in self.appointments if a.pk == d["appointment"]), None),
        )


def _number(request: StaffRequest, key: str) -> int | None:
    value = request.GET.get(key, "")
    return whole_number(value)


def _initial(request: StaffRequest, patient: Patient, subjects: Subjects) -> dict[str, Any]:
    """What the page starts from: the letter asked for (from the letters list, a case's closing page, a
    referral, an appointment), the open case, the patient's language, and the referral's organisation for a
    referral letter."""
    kind = request.GET.get("kind", "")
    template = library.template(kind)
    case_id = _number(request, "case")
    initial: dict[str, Any] = {
        "kind": kind,
        "case": case_id or next((c.pk for c in subjects.cases if c.is_open), None),
        "referral": _number(request, "referral"),
        "appointment": _number(request, "appointment"),
        "language": rules.default_language(kind, patient.preferred_language),
        "recipient_kind": template.recipient if template else RecipientKind.PATIENT,
        "delivery": Delivery.MAIL,
    }
    referral = next((r for r in subjects.referrals if r.pk == initial["referral"]), None)
    if kind == LetterKind.REFERRAL and referral is not None:
        initial["recipient_name"] = referral.recipient
        initial["recipient_address"] = referral_address(referral)
    return initial


@staff_view()
@require_http_methods(["GET", "POST"])
def letter_new(request: StaffRequest, patient_id: int) -> HttpResponse:
    """Write a letter: the form with a preview of the letter as it would go out; "Record as sent" keeps it."""
    user = request.user
    patient = access_patient(user, patient_id)
    if not policy.may(user, policy.Action.CHANGE, patient):
        raise PermissionDenied("Your role may read this record but not send letters from it.")
    subjects = Subjects.of(user, patient)
    if request.method == "GET":
        initial = _initial(request, patient, subjects)
        if not initial["kind"]:
            return _page(request, patient, subjects.form(patient, initial=initial), None, 200)
        # The preview of what the page starts from: the form bound to its starting values, so what is missing
        # (a postal address, the case) shows beside its field at once.
        bound = subjects.form(patient, data={k: v for k, v in initial.items() if v is not None})
        return _preview_page(request, patient, bound, subjects)
    form = subjects.form(patient, data=request.POST)
    if request.POST.get("do") != "send":
        return _preview_page(request, patient, form, subjects)
    if form.is_valid():
        try:
            letter = do_send_letter(user, patient, subjects.request_from(form))
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            step = " It is the unable-to-reach protocol's letter step." if letter.outreach_id else ""
            messages.success(request, f"Letter recorded on the chart: {letter.subject}.{step}")
            return redirect("letters:letter", letter_id=letter.pk)
    return _page(request, patient, form, None, 400)


def _preview_page(
    request: StaffRequest, patient: Patient, form: LetterForm, subjects: Subjects
) -> HttpResponse:
    """The page with the letter's preview, or the problems beside their fields (answered 200: nothing was
    asked to change yet)."""
    previewed = None
    if form.is_valid():
        try:
            previewed = preview(request.user, patient, subjects.request_from(form))
        except ActionRefused as exc:
            show_refusal(form, exc)
    return _page(request, patient, form, previewed, 200)


def _page(
    request: StaffRequest,
    patient: Patient,
    form: LetterForm,
    previewed: tuple[Draft, Addressed] | None,
    status: int,
) -> HttpResponse:
    draft, addressed = previewed or (None, None)
    wanted = str(form["language"].value() or "")
    return render(
        request,
        "letters/new.html",
        {
            "patient": patient,
            "form": form,
            "draft": draft,
            "addressed": addressed,
            "address_lines": addressed.address.splitlines() if addressed else [],
            "paragraphs": rules.paragraphs(draft.body) if draft else [],
            "in_english_instead": bool(draft and wanted and draft.language != wanted),
            "template_errors": library.template_errors(),
            "nav": "patients",
        },
        status=status,
    )


def _letter_context(letter: Letter) -> dict[str, Any]:
    return {
        "letter": letter,
        "patient": letter.patient,
        "head": letter.letterhead,
        "paragraphs": rules.paragraphs(letter.body),
        "address_lines": letter.recipient_address.splitlines(),
        "pdf_url": reverse("letters:pdf", args=[letter.pk]),
        "back_url": reverse("letters:list", args=[letter.patient_id]),
    }


@staff_view()
@require_http_methods(["GET"])
def letter_view(request: StaffRequest, letter_id: int) -> HttpResponse:
    """The letter as it went out, on the letterhead, ready to print (printing it again is audited as a print)."""
    letter = access_letter(request.user, letter_id, action=AuditAction.PRINT)
    return render(request, "letters/letter.html", _letter_context(letter))


@staff_view()
@require_http_methods(["GET"])
def letter_pdf(request: StaffRequest, letter_id: int) -> HttpResponse:
    letter = access_letter(request.user, letter_id, action=AuditAction.EXPORT)
    response = HttpResponse(pdf.render_pdf(letter), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="letter-{letter.pk}-{letter.kind}.pdf"'
    return response
