"""Communication through the FHIR API for secure portal messages (id message-N), served beside the contact log
(id N); and Flag for the alerts that self-reports raise (author the patient, flag-detail the Observation)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from careconductor.coordination.actions import ContactInput, do_log_contact
from careconductor.coordination.choices import ContactDirection, ContactMode, ContactParty
from careconductor.coordination.models import Flag
from careconductor.core import clock
from careconductor.engagement.actions import (
    do_mark_read,
    do_report_blood_pressure,
    do_report_wellbeing,
    do_send_message,
)
from careconductor.engagement.models import Message

from ..pictures import png
from .conftest import query_count
from .test_portal_observation import portal_login, proxy_login

pytestmark = pytest.mark.django_db

CATEGORY = "https://careconductor.org/fhir/CodeSystem/communication-category"
MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
PNG = png()


@pytest.fixture
def paula_login(world):
    return portal_login(world.alice, world.paula, "paula.reyes")


@pytest.fixture
def question(world, paula_login) -> Message:
    picture = SimpleUploadedFile("rash.png", PNG, content_type="image/png")
    return do_send_message(
        paula_login,
        world.paula,
        subject="Rash on my arm",
        body="Is this a reaction to the new pills?",
        files=[picture],
    )


@pytest.fixture
def answer(world, question) -> Message:
    return do_send_message(
        world.alice, world.paula, subject="", body="Please stop them and call us.", reply_to=question
    )


@pytest.fixture
def call(world):
    return do_log_contact(
        world.alice,
        world.paula,
        ContactInput(
            mode=ContactMode.PHONE,
            contact_at=clock.now() - dt.timedelta(hours=2),
            party=ContactParty.PATIENT,
            direction=ContactDirection.OUTBOUND,
            reached=True,
            minutes=10,
            patient_words="Feeling fine",
        ),
        case=world.paula_case,
    )


def test_a_patients_message_is_a_completed_portal_communication_to_the_care_team(world, api, question):
    do_mark_read(world.alice, question)
    question.refresh_from_db()
    reply = api(world.alice).get(f"Communication/message-{question.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["id"] == f"message-{question.pk}"
    assert body["status"] == "completed"
    assert body["category"] == [
        {"coding": [{"system": CATEGORY, "code": "portal-message", "display": "Portal message"}]}
    ]
    assert body["medium"][0]["coding"][0] == {
        "system": MODE,
        "code": "ONLINEWRIT",
        "display": "online written",
    }
    assert body["subject"] == {"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}
    assert body["topic"] == {"text": "Rash on my arm"}
    assert body["sender"] == {"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}
    assert body["recipient"] == [{"reference": f"CareTeam/{world.paula.pk}", "display": "Care team"}]
    assert body["sent"] == question.sent_at.isoformat()
    assert body["received"] == question.read_at.isoformat()
    text, picture = body["payload"]
    assert text == {"contentString": "Is this a reaction to the new pills?"}
    attachment = question.attachments.get()
    assert picture["contentAttachment"] == {
        "contentType": "image/png",
        "size": attachment.size,  # as stored: the picture re-encoded without its metadata
        "title": "rash.png",
        "url": f"http://localhost:8000/message-attachments/{attachment.pk}/",
    }
    assert "data" not in picture["contentAttachment"]
    assert "inResponseTo" not in body


def test_a_staff_reply_answers_the_message_and_is_for_the_patient(world, api, question, answer):
    body = api(world.alice).get(f"Communication/message-{answer.pk}").body
    assert body["inResponseTo"] == [{"reference": f"Communication/message-{question.pk}"}]
    assert body["sender"] == {"reference": f"Practitioner/{world.alice.pk}", "display": "Alice Tester"}
    assert body["recipient"] == [{"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}]
    assert body["topic"] == {"text": "Re: Rash on my arm"}
    assert body["payload"] == [{"contentString": "Please stop them and call us."}]
    assert "received" not in body


def test_a_proxys_message_names_the_proxy(world, api, paula_login):
    rosa = proxy_login(paula_login, world.paula, "rosa", "Rosa", "Reyes")
    message = do_send_message(
        rosa, world.paula, subject="Mum's appointment", body="Can we move it to Friday?"
    )
    body = api(world.alice).get(f"Communication/message-{message.pk}").body
    assert body["sender"] == {"type": "RelatedPerson", "display": "Rosa Reyes"}


def test_search_finds_messages_and_contacts(world, api, question, answer, call):
    alice = api(world.alice)
    paula = world.paula.pk
    asked, answered, called = f"message-{question.pk}", f"message-{answer.pk}", str(call.pk)

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Communication?{query}"))

    assert ids(f"patient={paula}") == sorted([asked, answered, called])
    assert ids(f"category={CATEGORY}|portal-message") == sorted([asked, answered])
    assert ids("category=portal-message") == sorted([asked, answered])
    assert ids("category=http://example.org|portal-message") == []
    assert ids("status=completed") == sorted([asked, answered, called])
    assert ids("status:not=completed") == []
    assert ids("status=not-done") == []
    assert ids("medium=ONLINEWRIT") == sorted([asked, answered])
    assert ids("medium=PHONE") == [called]
    assert ids(f"sender=Patient/{paula}") == [asked]
    assert ids(f"sender=Practitioner/{world.alice.pk}") == sorted([answered, called])
    assert ids(f"recipient=Patient/{paula}") == sorted([answered, called])
    today = clock.today().isoformat()
    assert ids(f"sent={today}&category=portal-message") == sorted([asked, answered])
    assert ids("sent=lt2000-01-01") == []
    assert ids(f"_id={answered}") == [answered]
    newest_first = [
        r["id"] for r in alice.search(f"Communication?patient={paula}&_sort=-sent&category=portal-message")
    ]
    assert newest_first == [answered, asked]


def test_a_stranger_sees_no_message(world, api, question):
    for user in (world.bob, world.charlie):
        stranger = api(user)
        assert stranger.get(f"Communication/message-{question.pk}").status == 404
        assert not stranger.search("Communication?category=portal-message")


def _message(patient_id: int, text: str, **more: object) -> dict:
    return {
        "resourceType": "Communication",
        "status": "completed",
        "category": [{"coding": [{"system": CATEGORY, "code": "portal-message"}]}],
        "subject": {"reference": f"Patient/{patient_id}"},
        "topic": {"text": "Your appointment"},
        "payload": [{"contentString": text}],
        **more,
    }


def test_staff_send_a_portal_message_through_the_api_as_on_the_screens(world, api, question):
    alice = api(world.alice)
    reply = _message(world.paula.pk, "Please bring your pills on Tuesday.",
                     inResponseTo=[{"reference": f"Communication/message-{question.pk}"}])  # fmt: skip
    made = alice.post("Communication", reply)
    assert made.status == 201, made.body
    sent = Message.objects.get(pk=made.body["id"].removeprefix("message-"))
    assert (sent.sender, sent.patient, sent.reply_to, sent.body) == (
        world.alice,
        world.paula,
        question,
        "Please bring your pills on Tuesday.",
    )
    assert made.body["recipient"][0]["reference"] == f"Patient/{world.paula.pk}"
    contacts = alice.put(f"Communication/{made.body['id']}", made.body)
    assert contacts.status == 405  # a message sent is not changed


def test_a_patients_own_app_writes_to_the_care_team(world, api, paula_login):
    paula = api(paula_login, scopes=("patient/Communication.cr",))
    made = paula.post("Communication", _message(world.paula.pk, "Can I move my visit?"))
    assert made.status == 201, made.body
    assert made.body["sender"]["reference"] == f"Patient/{world.paula.pk}"


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"category": []}, "Communication.category"),  # a contact: logged on the screens
        ({"status": "in-progress"}, "Communication.status"),
        ({"payload": [{"contentAttachment": {"contentType": "image/png"}}]}, "Communication.payload"),
        ({"payload": [{"contentString": "x" * 5001}]}, "body"),
        ({"inResponseTo": [{"reference": "Communication/message-999999"}]}, "Communication.inResponseTo"),
    ],
)
def test_a_bad_message_is_refused_and_nothing_is_sent(world, api, change, path):
    before = Message.objects.count()
    answer = api(world.alice).post("Communication", {**_message(world.paula.pk, "Hello"), **change})
    assert answer.status == 422, answer.body
    assert path in " ".join(answer.issue_paths()) or path == "body"
    assert Message.objects.count() == before


def test_strangers_send_no_message(world, api):
    for user in (world.bob, world.charlie):
        answer = api(user).post("Communication", _message(world.paula.pk, "Hello"))
        assert answer.status in (403, 404, 422)
    assert not Message.objects.filter(body="Hello").exists()


def test_a_page_costs_the_same_queries_however_many_messages(world, api, paula_login, question, call):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Communication?patient={world.paula.pk}")) == n

    two = query_count(lambda: page_has(2))
    for n in range(3):
        picture = SimpleUploadedFile(f"p{n}.png", PNG, content_type="image/png")
        do_send_message(paula_login, world.paula, subject=f"Question {n}", body="…", files=[picture])
    assert query_count(lambda: page_has(5)) == two


# --- alerts from self-reports --------------------------------------------------------------------------------


def test_a_self_report_alert_is_a_clinical_flag_by_the_patient_about_the_reading(world, api, paula_login):
    outcome = do_report_blood_pressure(
        paula_login, world.paula, systolic=Decimal(190), diastolic=Decimal(100)
    )
    flag = Flag.objects.get(patient=world.paula, rule="self-report:bp-high")
    body = api(world.alice).get(f"Flag/{flag.pk}").body
    assert body["status"] == "active"
    assert body["category"] == [
        {"coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}]}
    ]
    assert body["code"] == {
        "text": "Patient-reported blood pressure 190/100 mmHg at or above the alert limit"
    }
    assert body["author"] == {"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}
    reading = f"Observation/reading-{outcome.readings[0].pk}"
    assert body["extension"] == [{"url": DETAIL, "valueReference": {"reference": reading}}]
    # The Observation it points at is served.
    alice = api(world.alice)
    assert alice.get(reading).body["component"][0]["valueQuantity"]["value"] == 190
    assert [r["id"] for r in alice.search(f"Flag?author=Patient/{world.paula.pk}")] == [str(flag.pk)]
    assert alice.search(f"Flag?author=Practitioner/{paula_login.pk}") == []


def test_a_proxys_alert_names_the_proxy_without_a_reference(world, api, paula_login):
    rosa = proxy_login(paula_login, world.paula, "rosa", "Rosa", "Reyes")
    outcome = do_report_wellbeing(rosa, world.paula, mood=None, symptoms=["chest-pain"])
    flag = Flag.objects.get(patient=world.paula, rule="self-report:chest-pain")
    body = api(world.alice).get(f"Flag/{flag.pk}").body
    assert body["author"] == {"display": "Rosa Reyes"}
    assert outcome.check_in is not None
    assert body["extension"][0]["valueReference"] == {
        "reference": f"Observation/check-in-{outcome.check_in.pk}"
    }
    assert api(world.alice).search(f"Flag?author=Patient/{world.paula.pk}") == []
