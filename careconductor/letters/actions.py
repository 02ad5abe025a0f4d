"""Writing a letter and recording it: the only code that creates letters. A letter to someone other than the
patient is also a disclosure (privacy's accounting of disclosures); an unable-to-reach letter sent while the
case's protocol waits for its letter is that protocol step (coordination's outreach)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from careconductor.accounts.models import User
from careconductor.appointments.models import Appointment
from careconductor.cases.models import Case
from careconductor.coordination.actions.contacts import do_record_outreach
from careconductor.coordination.reach import reach_state_for
from careconductor.core import clock
from careconductor.core.errors import ActionRefused
from careconductor.core.languages import LANGUAGES
from careconductor.engagement.actions import do_send_message
from careconductor.patients.models import Patient
from careconductor.privacy import audit, policy
from careconductor.privacy.actions import do_record_disclosure
from careconductor.privacy.choices import AuditAction, Sensitivity
from careconductor.referrals.models import Referral

from . import library, pdf, rules
from .choices import Delivery, LetterKind, RecipientKind
from .drafting import Draft, draft, patient_address
from .models import Letter

MAX_NAME = 200
MAX_ADDRESS = 600


@dataclass(frozen=True, kw_only=True)
class LetterRequest:
    """What staff chose on the letter page (or the demo, or a test)."""

    kind: str
    language: str
    delivery: str = Delivery.MAIL
    recipient_kind: str = RecipientKind.PATIENT
    recipient_name: str = ""
    recipient_address: str = ""
    case: Case | None = None
    referral: Referral | None = None
    appointment: Appointment | None = None


@dataclass(frozen=True)
class Addressed:
    name: str
    address: str


def _check(patient: Patient, req: LetterRequest) -> tuple[library.LetterTemplate, Addressed]:
    """The template and where the letter goes; ActionRefused with each problem beside its field."""
    errors: dict[str, str] = {}
    template = library.template(req.kind)
    if template is None or req.kind == LetterKind.INVITATION:
        errors["kind"] = "Choose the letter to write (invitations go out from an outreach campaign)."
    if req.language not in LANGUAGES:
        errors["language"] = "Choose the language of the letter."
    if req.delivery not in Delivery.values:
        errors["delivery"] = "Choose how the letter goes."
    if req.case is not None and req.case.patient_id != patient.pk:
        errors["case"] = "Choose one of this patient's cases."
    elif req.case is None and req.kind in (
        LetterKind.WELCOME,
        LetterKind.UNABLE_TO_REACH,
        LetterKind.CLOSING,
    ):
        errors["case"] = "Choose the case the letter is about."
    if req.referral is not None and req.referral.patient_id != patient.pk:
        errors["referral"] = "Choose one of this patient's referrals."
    elif req.referral is None and req.kind == LetterKind.REFERRAL:
        errors["referral"] = "Choose the referral this letter goes with."
    if req.appointment is not None and req.appointment.patient_id != patient.pk:
        errors["appointment"] = "Choose one of this patient's appointments."
    elif req.appointment is None and req.kind == LetterKind.APPOINTMENT:
        errors["appointment"] = "Choose the appointment this letter is about."
    addressed = Addressed("", "")
    if req.recipient_kind == RecipientKind.PATIENT:
        addressed = Addressed(patient.full_name, _patient_address_for(patient, req.delivery, errors))
    elif req.recipient_kind == RecipientKind.THIRD_PARTY:
        name, address = req.recipient_name.strip(), req.recipient_address.strip()
        if not name:
            errors["recipient_name"] = "Name the person or organisation the letter goes to."
        elif len(name) > MAX_NAME:
            errors["recipient_name"] = f"At most {MAX_NAME} characters."
        if not address:
            errors["recipient_address"] = (
                "Give their e-mail address."
                if req.delivery == Delivery.EMAIL
                else "Give their postal address."
            )
        elif len(address) > MAX_ADDRESS:
            errors["recipient_address"] = f"At most {MAX_ADDRESS} characters."
        if req.delivery == Delivery.PORTAL:
            errors["delivery"] = "Only the patient reads the portal: mail or e-mail a letter to someone else."
        referral = req.referral
        if referral is not None and not rules.third_party_may_hear_of_referral(
            referral.sensitivity, referral.recipient_hipaa_covered, referral.consent_id is not None
        ):
            errors["referral"] = (
                "Send the referral first: it records the patient's consent to share, which a letter about it "
                "to someone else needs."
            )
        addressed = Addressed(name, address)
    else:
        errors["recipient_kind"] = "Choose who the letter goes to."
    if errors or template is None:
        raise ActionRefused(errors)
    return template, addressed


def _patient_address_for(patient: Patient, delivery: str, errors: dict[str, str]) -> str:
    if delivery == Delivery.EMAIL:
        if not patient.email:
            errors["delivery"] = "There is no e-mail address on the patient's chart."
        return patient.email
    if delivery == Delivery.PORTAL:
        if patient.portal_user_id is None:
            errors["delivery"] = "The patient does not use the portal."
        return ""
    address = patient_address(patient)
    if delivery == Delivery.MAIL and not address:
        errors["delivery"] = "There is no postal address on the patient's chart: add it, or give it by hand."
    return address


def preview(user: User, patient: Patient, req: LetterRequest) -> tuple[Draft, Addressed]:
    """The letter as it would go out and to whom, for the page's preview: nothing is recorded (the patient was
    read through access_patient, which audited the read)."""
    policy.require(user, policy.Action.VIEW, patient)
    template, addressed = _check(patient, req)
    return _draft(template, patient, req), addressed


def _draft(template: library.LetterTemplate, patient: Patient, req: LetterRequest) -> Draft:
    written = draft(
        template,
        req.language,
        patient=patient,
        organization=patient.organization,
        case=req.case,
        referral=req.referral,
        appointment=req.appointment,
    )
    if not written.subject:  # every placeholder of the subject was empty
        written = Draft(**{**written.__dict__, "subject": template.title})
    return written


def do_send_letter(user: User, patient: Patient, req: LetterRequest) -> Letter:
    """Record the letter as it goes out (printed and mailed or given, e-mailed, or put in the portal), with the
    disclosure when it goes to someone other than the patient and the unable-to-reach step when it is that."""
    policy.require(user, policy.Action.CHANGE, patient)
    template, addressed = _check(patient, req)
    written = _draft(template, patient, req)
    with transaction.atomic():
        disclosure = None
        if rules.is_disclosure(req.recipient_kind):
            disclosure = do_record_disclosure(
                user,
                patient,
                disclosed_on=clock.today(),
                recipient_name=addressed.name,
                recipient_address=addressed.address.replace("\n", ", ")[:300],
                description=f"Letter: {written.subject}"[:300],
                purpose=_purpose(req)[:300],
                sensitivity=Sensitivity(req.referral.sensitivity) if req.referral else Sensitivity.NORMAL,
            )
        outreach = None
        case = req.case
        if (
            case is not None
            and case.is_open
            and rules.records_outreach_step(req.kind, reach_state_for(case).next_step)
        ):
            outreach = do_record_outreach(
                user,
                case,
                step="letter",
                note=f"Unable-to-reach letter ({Delivery(req.delivery).label.lower()}), kept with the letters.",
            )
        letter = Letter.objects.create(
            organization_id=patient.organization_id,
            patient=patient,
            case=case,
            kind=req.kind,
            language=written.language,
            recipient_kind=req.recipient_kind,
            recipient_name=addressed.name,
            recipient_address=addressed.address,
            letterhead=written.letterhead,
            subject=written.subject,
            body=written.body,
            template_source=written.template_source,
            delivery=req.delivery,
            sent_at=clock.now(),
            sent_by=user,
            referral=req.referral,
            appointment=req.appointment,
            outreach=outreach,
            disclosure=disclosure,
        )
        audit.record(user, AuditAction.CREATE, patient=patient, obj=letter, detail=f"letter {req.kind}")
        if req.delivery == Delivery.PORTAL:
            _to_portal(user, patient, letter)
    return letter


def _to_portal(user: User, patient: Patient, letter: Letter) -> None:
    """A letter put in the portal is a secure message to the patient: its words, and the PDF attached (the
    patient is e-mailed that a message waits, as for any message from the team)."""
    attachment = SimpleUploadedFile(f"letter-{letter.pk}.pdf", pdf.render_pdf(letter), "application/pdf")
    do_send_message(user, patient, subject=letter.subject, body=letter.body, files=[attachment])


def _purpose(req: LetterRequest) -> str:
    if req.kind == LetterKind.REFERRAL and req.referral is not None:
        return f"Referral {req.referral.pk} for help with {req.referral.need or 'a need'}"
    return f"{LetterKind(req.kind).label} letter about the patient's care"
