"""Recording letters: in the patient's language from the chart's facts, kept as sent; a letter to someone else is a
disclosure; the unable-to-reach letter is the protocol's letter step; bad input is refused beside its field."""

from __future__ import annotations

import pytest

from careconductor.accounts.actions import do_create_user
from careconductor.accounts.choices import Role
from careconductor.coordination.models import OutreachAttempt
from careconductor.coordination.reach import reach_state_for
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.engagement.models import Message
from careconductor.letters import actions
from careconductor.letters.actions import LetterRequest, do_send_letter
from careconductor.letters.choices import Delivery, LetterKind, RecipientKind
from careconductor.letters.models import Letter
from careconductor.patients.actions import do_link_portal_user
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent, Disclosure
from careconductor.referrals.actions import do_create_referral

from ..personas import PASSWORD
from .conftest import PANTRY, Letters

pytestmark = pytest.mark.django_db


def test_a_welcome_letter_is_in_spanish_for_paula_and_kept_as_sent(letters: Letters) -> None:
    w = letters.world
    letter = do_send_letter(
        w.alice, w.paula, LetterRequest(kind=LetterKind.WELCOME, language="es", case=w.paula_case)
    )
    assert (letter.language, letter.recipient_kind, letter.recipient_name) == ("es", "patient", "Paula Reyes")
    assert letter.recipient_address == "12 Elm Street\nRiverside, OR 97901"
    assert letter.subject == "Bienvenido a nuestro programa de apoyo para su cuidado"
    assert letter.body.startswith("Hola, Paula:")
    assert "Llame a Alice Tester al 555-0142." in letter.body
    assert "De noche y los fines de semana, llame al 555-0199." in letter.body
    assert letter.letterhead["date"] == "1 de marzo de 2027"
    assert letter.disclosure is None and letter.outreach is None
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="Letter", object_id=str(letter.pk)
    ).exists()


def test_a_line_without_its_value_is_left_out(letters: Letters) -> None:
    w = letters.world
    w.riverside.after_hours_phone = ""
    w.riverside.save()
    letter = do_send_letter(
        w.alice, w.paula, LetterRequest(kind=LetterKind.WELCOME, language="en", case=w.paula_case)
    )
    assert "At night and on weekends" not in letter.body and "{" not in letter.body
    assert "You can also call us at 555-0100." in letter.body


def test_the_referral_letter_is_a_disclosure_and_says_only_what_is_shared(letters: Letters) -> None:
    w = letters.world
    letter = do_send_letter(
        w.alice,
        w.paula,
        LetterRequest(
            kind=LetterKind.REFERRAL,
            language="en",
            case=w.paula_case,
            referral=letters.referral,
            recipient_kind=RecipientKind.THIRD_PARTY,
            recipient_name=PANTRY,
            recipient_address="40 Main Street\nRiverside, OR 97901",
        ),
    )
    assert "We are sending Paula Reyes to Eastside Food Pantry for help with food." in letter.body
    assert "Why we ask: Runs out of food at the end of the month" in letter.body
    assert "Phone: 555-0100" in letter.body
    assert "Date of birth" not in letter.body and "Language" not in letter.body  # not shared
    assert "The date you gave" not in letter.body  # the pantry has not proposed one
    disclosure = Disclosure.objects.get(pk=letter.disclosure_id)
    assert (disclosure.recipient_name, disclosure.patient_id) == (PANTRY, w.paula.pk)
    assert disclosure.description == "Letter: Referral for Paula Reyes"
    assert disclosure.recipient_address == "40 Main Street, Riverside, OR 97901"
    assert letter.referral_id == letters.referral.pk


def test_the_unable_to_reach_letter_is_the_protocols_letter_step(letters: Letters) -> None:
    w = letters.world
    assert reach_state_for(w.paula_case).next_step == "letter"
    letter = do_send_letter(
        w.alice, w.paula, LetterRequest(kind=LetterKind.UNABLE_TO_REACH, language="es", case=w.paula_case)
    )
    step = OutreachAttempt.objects.get(case=w.paula_case)
    assert (step.step, letter.outreach_id) == ("letter", step.pk)
    assert reach_state_for(w.paula_case).next_step == "caregiver"
    assert letter.subject == "Hemos tratado de hablar con usted"
    # A second one is only a letter: the protocol has moved on.
    again = do_send_letter(
        w.alice, w.paula, LetterRequest(kind=LetterKind.UNABLE_TO_REACH, language="en", case=w.paula_case)
    )
    assert again.outreach_id is None and OutreachAttempt.objects.filter(case=w.paula_case).count() == 1


@pytest.mark.parametrize(
    ("request_fields", "fields"),
    [
        ({"kind": "sonnet"}, {"kind"}),
        ({"kind": LetterKind.WELCOME, "language": "xx"}, {"language"}),
        ({"kind": LetterKind.WELCOME, "case": None}, {"case"}),
        ({"kind": LetterKind.REFERRAL}, {"referral"}),
        (
            {"kind": LetterKind.WELCOME, "recipient_kind": RecipientKind.THIRD_PARTY},
            {"recipient_name", "recipient_address"},
        ),
        (
            {
                "kind": LetterKind.WELCOME,
                "recipient_kind": RecipientKind.THIRD_PARTY,
                "recipient_name": "Rosa",
                "recipient_address": "1 Oak Lane",
                "delivery": Delivery.PORTAL,
            },
            {"delivery"},
        ),
        ({"kind": LetterKind.WELCOME, "delivery": Delivery.EMAIL}, {"delivery"}),  # no e-mail on her chart
        ({"kind": LetterKind.WELCOME, "delivery": Delivery.PORTAL}, {"delivery"}),  # she has no portal log-in
        ({"kind": LetterKind.WELCOME, "delivery": "pigeon"}, {"delivery"}),
        ({"kind": LetterKind.WELCOME, "recipient_kind": "nobody"}, {"recipient_kind"}),
    ],
)
def test_bad_requests_are_refused_beside_their_fields(
    letters: Letters, request_fields: dict, fields: set[str]
) -> None:
    w = letters.world
    values = {"language": "es", "case": w.paula_case, **request_fields}
    with pytest.raises(ActionRefused) as refused:
        do_send_letter(w.alice, w.paula, LetterRequest(**values))
    assert set(refused.value.errors) == fields
    assert not Letter.objects.exists() and not Disclosure.objects.exists()


def test_someone_who_may_not_change_the_record_cannot_send(letters: Letters) -> None:
    w = letters.world
    with pytest.raises(NotVisible):  # Bob, on her team without a relationship, does not see her
        do_send_letter(
            w.bob, w.paula, LetterRequest(kind=LetterKind.WELCOME, language="es", case=w.paula_case)
        )


def test_a_language_without_a_text_is_written_in_english(letters: Letters) -> None:
    w = letters.world
    draft, addressed = actions.preview(
        w.alice, w.paula, LetterRequest(kind=LetterKind.CLOSING, language="vi", case=w.paula_case)
    )
    assert draft.language == "en" and draft.body.startswith("Dear Paula,")
    assert addressed.name == "Paula Reyes"


def test_the_appointment_letter_says_when_where_with_whom_and_the_interpreter(letters: Letters) -> None:
    w = letters.world
    request = LetterRequest(kind=LetterKind.APPOINTMENT, language="es", appointment=letters.appointment)
    letter = do_send_letter(w.alice, w.paula, request)
    assert letter.subject == "Su cita del martes 9 de marzo de 2027"
    assert "Cuándo: martes 9 de marzo de 2027 a las 14:30" in letter.body
    assert "Dónde: Riverside Clinic, 5 Oak Avenue" in letter.body
    assert "Con: Dana Tester" in letter.body
    assert "Habrá un intérprete de español para usted." in letter.body
    assert "le va a llevar" not in letter.body  # no ride booked
    assert letter.appointment_id == letters.appointment.pk
    english = actions.preview(w.alice, w.paula, LetterRequest(kind=LetterKind.APPOINTMENT, language="en",
                                                               appointment=letters.appointment))[0]  # fmt: skip
    assert "When: Tuesday, March 9, 2027 at 2:30 PM" in english.body


def test_a_letter_to_someone_else_about_a_referral_needs_the_referrals_consent(letters: Letters) -> None:
    w = letters.world
    draft = do_create_referral(
        w.alice, w.paula, need="housing", reason="Eviction notice", recipient_name="Shelter"
    )
    request = LetterRequest(kind=LetterKind.REFERRAL, language="en", referral=draft,
                            recipient_kind=RecipientKind.THIRD_PARTY, recipient_name="Shelter",
                            recipient_address="1 Bridge Road")  # fmt: skip
    with pytest.raises(ActionRefused) as refused:
        do_send_letter(w.alice, w.paula, request)
    assert "Send the referral first" in refused.value.errors["referral"]
    # To the patient herself it may go.
    to_her = do_send_letter(
        w.alice, w.paula, LetterRequest(kind=LetterKind.REFERRAL, language="es", referral=draft)
    )
    assert to_her.disclosure_id is None


def test_a_letter_put_in_the_portal_is_a_message_with_the_pdf(letters: Letters) -> None:
    w = letters.world
    login = do_create_user("paula.reyes", Role.PATIENT, w.riverside, PASSWORD)
    do_link_portal_user(w.alice, w.paula, login)
    request = LetterRequest(
        kind=LetterKind.WELCOME, language="es", delivery=Delivery.PORTAL, case=w.paula_case
    )
    letter = do_send_letter(w.alice, w.paula, request)
    message = Message.objects.get(patient=w.paula)
    assert (message.subject, message.body, message.from_patient) == (letter.subject, letter.body, False)
    [attachment] = message.attachments.all()
    assert attachment.content_type == "application/pdf" and attachment.name == f"letter-{letter.pk}.pdf"
