"""The letters pages: the list on the chart, writing a letter with its preview, the letter as it went out on the
letterhead and as a PDF (its text read back with pypdf); strangers find nothing; bad input comes back beside its
field; every read and print is audited; the pages keep to their query budgets."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from careconductor.administration.actions import OrganizationDetails, do_update_organization
from careconductor.letters.actions import LetterRequest, do_send_letter
from careconductor.letters.choices import LetterKind
from careconductor.letters.models import Letter
from careconductor.privacy.choices import AuditAction
from careconductor.privacy.models import AuditEvent, Disclosure

from .conftest import PANTRY, PROGRAMME, Letters

pytestmark = pytest.mark.django_db

# Query budgets (the same however many letters the patient has): the log-in's, the patient and the header's, and
# the page's own.
LIST_QUERIES = 22
NEW_QUERIES = 26
LETTER_QUERIES = 13


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"\s+", " ", response.content.decode())


def _welcome(letters: Letters) -> Letter:
    w = letters.world
    return do_send_letter(
        w.alice, w.paula, LetterRequest(kind=LetterKind.WELCOME, language="es", case=w.paula_case)
    )


def test_writing_a_letter_starts_in_the_patients_language_with_a_preview(letters: Letters, login) -> None:
    w = letters.world
    page = _text(login(w.alice).get(reverse("letters:new", args=[w.paula.pk]), {"kind": "welcome"}))
    assert 'value="es" selected' in page
    assert "Bienvenido a nuestro programa de apoyo para su cuidado" in page  # the preview
    assert "12 Elm Street<br>Riverside, OR 97901" in page
    assert not Letter.objects.exists()  # a preview records nothing


def test_sending_records_the_letter_and_shows_it_on_the_letterhead(letters: Letters, login) -> None:
    w = letters.world
    client = login(w.alice)
    form = {"kind": "welcome", "case": w.paula_case.pk, "language": "es", "recipient_kind": "patient",
            "delivery": "mail", "do": "send"}  # fmt: skip
    response = client.post(reverse("letters:new", args=[w.paula.pk]), form)
    letter = Letter.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("letters:letter", args=[letter.pk])
    page = _text(client.get(response["Location"]))
    assert "Riverside Health" in page and "Teléfono: 555-0100" in page and "1 de marzo de 2027" in page
    assert '<article class="sheet" lang="es">' in page and "@media print" not in page
    listing = _text(client.get(reverse("letters:list", args=[w.paula.pk])))
    assert "Welcome to the programme: Bienvenido" in listing and "Printed and mailed" in listing
    assert AuditEvent.objects.filter(
        action=AuditAction.PRINT, object_type="Letter", object_id=str(letter.pk)
    ).exists()


def test_what_was_sent_is_what_is_shown_later(letters: Letters, login) -> None:
    letter = _welcome(letters)
    Letter.objects.filter(pk=letter.pk).update()  # nothing changes it; the template may, later
    w = letters.world
    w.riverside.name = "Riverside Health System"
    w.riverside.save()
    page = _text(login(w.alice).get(reverse("letters:letter", args=[letter.pk])))
    assert '<p class="org">Riverside Health</p>' in page


def test_the_letterhead_carries_the_organisations_address_from_set_up(letters: Letters, login) -> None:
    w = letters.world
    do_update_organization(
        w.adam,
        OrganizationDetails(
            name="Riverside Health", phone="555-0100", address="120 Main Street\nRiverside, OR 97901"
        ),
    )
    letter = _welcome(letters)
    client = login(w.alice)
    page = _text(client.get(reverse("letters:letter", args=[letter.pk])))
    assert '<span class="org-address">120 Main Street, Riverside, OR 97901</span>' in page
    response = client.get(reverse("letters:pdf", args=[letter.pk]))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "120 Main Street, Riverside, OR 97901" in re.sub(r"\s+", " ", text)


def test_the_pdf_has_the_letterhead_and_the_spanish_text(letters: Letters, login) -> None:
    letter = _welcome(letters)
    response = login(letters.world.alice).get(reverse("letters:pdf", args=[letter.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"\s+", " ", text)
    assert "Riverside Health" in text and "Teléfono: 555-0100" in text
    assert "Asunto: Bienvenido a nuestro programa de apoyo para su cuidado" in text
    assert "¡Bienvenido! Ahora usted es parte de" in text and "Llame a Alice Tester al 555-0142." in text
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_type="Letter", object_id=str(letter.pk)
    ).exists()


def test_a_referral_letter_from_the_referral_goes_to_the_organisation_as_a_disclosure(
    letters: Letters, login
) -> None:
    w = letters.world
    client = login(w.alice)
    url = reverse("letters:new", args=[w.paula.pk])
    page = _text(client.get(url, {"kind": "referral", "referral": letters.referral.pk}))
    assert 'value="en" selected' in page and f'value="{PANTRY}"' in page and "40 Main Street" in page
    form = {"kind": "referral", "case": w.paula_case.pk, "referral": letters.referral.pk, "language": "en",
            "recipient_kind": "third-party", "recipient_name": PANTRY,
            "recipient_address": "40 Main Street\nRiverside, OR 97901", "delivery": "mail", "do": "send"}  # fmt: skip
    assert client.post(url, form).status_code == 302
    letter = Letter.objects.get()
    assert Disclosure.objects.get(pk=letter.disclosure_id).recipient_name == PANTRY
    assert "Disclosure" in _text(client.get(reverse("letters:list", args=[w.paula.pk])))


def test_bad_input_comes_back_beside_its_field(letters: Letters, login) -> None:
    w = letters.world
    form = {"kind": "welcome", "case": w.paula_case.pk, "language": "es", "recipient_kind": "third-party",
            "recipient_name": "", "recipient_address": "", "delivery": "mail", "do": "send"}  # fmt: skip
    response = login(w.alice).post(reverse("letters:new", args=[w.paula.pk]), form)
    assert response.status_code == 400
    page = _text(response)
    assert 'id="id_recipient_name_error">Name the person or organisation the letter goes to.' in page
    assert 'id="id_recipient_address_error">Give their postal address.' in page
    nonsense = {**form, "kind": "sonnet", "case": "abc", "delivery": "pigeon"}
    response = login(w.alice).post(reverse("letters:new", args=[w.paula.pk]), nonsense)
    assert response.status_code == 400 and "Select a valid choice" in _text(response)
    assert not Letter.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "charlie"])
def test_strangers_find_no_letter(letters: Letters, login, persona: str) -> None:
    letter = _welcome(letters)
    client = login(getattr(letters.world, persona))
    for url in (
        reverse("letters:list", args=[letter.patient_id]),
        reverse("letters:new", args=[letter.patient_id]) + "?kind=welcome",
        reverse("letters:letter", args=[letter.pk]),
        reverse("letters:pdf", args=[letter.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_query_budgets(letters: Letters, login, django_assert_max_num_queries) -> None:
    for _ in range(3):
        letter = _welcome(letters)
    w = letters.world
    client = login(w.alice)
    with django_assert_max_num_queries(LIST_QUERIES):
        assert client.get(reverse("letters:list", args=[w.paula.pk])).status_code == 200
    with django_assert_max_num_queries(NEW_QUERIES):
        assert client.get(reverse("letters:new", args=[w.paula.pk]), {"kind": "welcome"}).status_code == 200
    with django_assert_max_num_queries(LETTER_QUERIES):
        assert client.get(reverse("letters:letter", args=[letter.pk])).status_code == 200
    with django_assert_max_num_queries(LETTER_QUERIES):
        assert client.get(reverse("letters:pdf", args=[letter.pk])).status_code == 200


def test_a_letter_about_a_part2_referral_is_hidden_from_those_who_may_not_read_part2(
    letters: Letters, login
) -> None:
    w = letters.world
    letter = do_send_letter(
        w.alice,
        w.paula,
        LetterRequest(kind=LetterKind.REFERRAL, language="en", referral=letters.part2,
                      recipient_kind="third-party", recipient_name=PROGRAMME, recipient_address="9 Hill Road"),
    )  # fmt: skip
    assert PROGRAMME in _text(login(w.alice).get(reverse("letters:list", args=[w.paula.pk])))
    dana = login(w.dana)  # her physician, on the care team: sees the chart, not the Part 2 records
    assert dana.get(reverse("letters:list", args=[w.paula.pk])).status_code == 200
    assert PROGRAMME not in _text(dana.get(reverse("letters:list", args=[w.paula.pk])))
    assert dana.get(reverse("letters:letter", args=[letter.pk])).status_code == 404
    assert dana.get(reverse("letters:pdf", args=[letter.pk])).status_code == 404


def test_the_appointment_letter_starts_from_the_appointment(letters: Letters, login) -> None:
    w = letters.world
    url = reverse("letters:new", args=[w.paula.pk])
    page = _text(login(w.alice).get(url, {"kind": "appointment", "appointment": letters.appointment.pk}))
    assert "Cuándo: martes 9 de marzo de 2027 a las 14:30" in page


def test_someone_who_may_only_read_the_chart_is_refused_the_letter_page(letters: Letters, login) -> None:
    w = letters.world
    client = login(w.dana)  # on her care team: reads the chart and its letters, sends none
    assert client.get(reverse("letters:list", args=[w.paula.pk])).status_code == 200
    assert client.get(reverse("letters:new", args=[w.paula.pk]), {"kind": "welcome"}).status_code == 403


def test_the_closing_page_offers_the_unable_to_reach_letter_while_the_protocol_waits_for_it(
    letters: Letters, login
) -> None:
    w = letters.world
    client = login(w.alice)
    page = _text(client.get(reverse("coordination:close_case", args=[w.paula_case.pk])))
    start = reverse("letters:new", args=[w.paula.pk]) + f"?kind=unable-to-reach&amp;case={w.paula_case.pk}"
    assert f'href="{start}">Write the unable-to-reach letter' in page
    form = {"kind": "unable-to-reach", "case": w.paula_case.pk, "language": "es", "recipient_kind": "patient",
            "delivery": "mail", "do": "send"}  # fmt: skip
    response = client.post(reverse("letters:new", args=[w.paula.pk]), form, follow=True)
    # Said on the letter's own page.
    assert "It is the unable-to-reach protocol&#x27;s letter step." in _text(response)
    page = _text(client.get(reverse("coordination:close_case", args=[w.paula_case.pk])))
    assert "Write the unable-to-reach letter" not in page and "try the caregiver" in page


def test_the_referral_and_the_appointment_pages_start_their_letters(letters: Letters, login) -> None:
    w = letters.world
    client = login(w.alice)
    referral_page = _text(client.get(reverse("referrals:detail", args=[letters.referral.pk])))
    start = reverse("letters:new", args=[w.paula.pk]) + f"?kind=referral&amp;referral={letters.referral.pk}"
    assert f'href="{start}">Write the referral letter' in referral_page
    appointment_page = _text(client.get(reverse("appointments:detail", args=[letters.appointment.pk])))
    start = (
        reverse("letters:new", args=[w.paula.pk])
        + f"?kind=appointment&amp;appointment={letters.appointment.pk}"
    )
    assert f'href="{start}">Write the appointment letter' in appointment_page
