"""Communication through the FHIR API: the contact log, each contact with the patient or about them and each
attempt that reached nobody, as the case manager logged it. Read-only: contacts are logged on the screens."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.coordination.actions import ContactInput, do_log_contact
from careconductor.coordination.choices import (
    ContactDirection,
    ContactMode,
    ContactParty,
    MedsTaken,
    TeachBack,
)
from careconductor.coordination.models import Contact
from careconductor.core import clock
from careconductor.privacy.models import AuditEvent

from .conftest import query_count

pytestmark = pytest.mark.django_db

MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
NOT_DONE = "http://terminology.hl7.org/CodeSystem/communication-not-done-reason"
MINUTES = "https://careconductor.org/fhir/StructureDefinition/contact-minutes"


def log(world, *, hours_ago: float = 2, case=True, **fields) -> Contact:
    data = {
        "contact_at": clock.now() - dt.timedelta(hours=hours_ago),
        "mode": ContactMode.PHONE,
        "direction": ContactDirection.OUTBOUND,
        "reached": True,
        "minutes": 20,
        **fields,
    }
    return do_log_contact(
        world.alice, world.paula, ContactInput(**data), case=world.paula_case if case else None
    )


@pytest.fixture
def call(world):
    """A weekly call: Paula was reached, talked about her sugars and learnt about insulin timing."""
    return log(
        world,
        patient_words="My sugar was 180 this morning, I forgot the evening pill twice.",
        meds_taken=MedsTaken.SOME,
        symptoms="Thirsty, tired in the afternoons",
        goal_progress="Walking 15 minutes most days",
        barriers="No ride to the pharmacy",
        education="Take the evening metformin with dinner",
        teach_back=TeachBack.CONFIRMED,
        next_steps="Arrange pharmacy delivery; call again Friday",
    )


@pytest.fixture
def attempt(world):
    """A call that reached nobody: a message left."""
    return log(world, hours_ago=30, reached=False, minutes=2, next_steps="Try again tomorrow morning")


@pytest.fixture
def from_marco(world):
    """Paula's son texted the team, not on a case."""
    return log(
        world,
        hours_ago=5,
        case=False,
        mode=ContactMode.TEXT,
        direction=ContactDirection.INBOUND,
        party=ContactParty.CAREGIVER,
        party_name="Marco Reyes",
        minutes=5,
        next_steps="Marco will bring the glucose log to the visit",
    )


def test_a_reached_call_is_a_completed_communication(world, api, call):
    reply = api(world.alice).get(f"Communication/{call.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["status"] == "completed"
    assert "statusReason" not in body
    assert body["medium"] == [
        {"coding": [{"system": MODE, "code": "PHONE", "display": "telephone"}], "text": "Phone"}
    ]
    assert body["subject"] == {"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}
    assert body["about"] == [{"reference": f"EpisodeOfCare/{world.paula_case.pk}"}]
    assert body["sender"] == {
        "reference": f"Practitioner/{world.alice.pk}",
        "display": world.alice.display_name(),
    }
    assert body["recipient"] == [{"reference": f"Patient/{world.paula.pk}", "display": "Paula Reyes"}]
    assert body["sent"] == body["received"] == call.contact_at.isoformat()
    assert "encounter" not in body
    assert [p["contentString"] for p in body["payload"]] == [
        "Patient's words: My sugar was 180 this morning, I forgot the evening pill twice.",
        "Symptoms: Thirsty, tired in the afternoons",
        "Medicines: Missing some doses",
        "Goal progress: Walking 15 minutes most days",
        "Barriers: No ride to the pharmacy",
        "Education: Take the evening metformin with dinner",
        "Next steps: Arrange pharmacy delivery; call again Friday",
    ]
    assert body["note"] == [{"text": "Teach-back: understanding confirmed"}]
    assert body["extension"] == [
        {
            "url": MINUTES,
            "valueDuration": {
                "value": 20,
                "unit": "min",
                "system": "http://unitsofmeasure.org",
                "code": "min",
            },
        }
    ]
    assert AuditEvent.objects.filter(
        user=world.alice, action="read", object_type="Communication", object_id=str(call.pk)
    ).exists()


def test_an_attempt_that_reached_nobody_is_not_done(world, api, attempt):
    body = api(world.alice).get(f"Communication/{attempt.pk}").body
    assert body["status"] == "not-done"
    assert body["statusReason"] == {
        "coding": [{"system": NOT_DONE, "code": "recipient-unavailable", "display": "Recipient Unavailable"}],
        "text": "Not reached (phone)",
    }
    assert body["sent"] == attempt.contact_at.isoformat()
    assert "received" not in body
    assert body["payload"] == [{"contentString": "Next steps: Try again tomorrow morning"}]
    assert "note" not in body
    assert body["extension"][0]["valueDuration"]["value"] == 2


def test_an_inbound_text_from_a_caregiver_names_him_as_sender(world, api, from_marco):
    body = api(world.alice).get(f"Communication/{from_marco.pk}").body
    assert body["sender"] == {"type": "RelatedPerson", "display": "Marco Reyes"}
    assert body["recipient"] == [
        {"reference": f"Practitioner/{world.alice.pk}", "display": world.alice.display_name()}
    ]
    assert body["subject"]["reference"] == f"Patient/{world.paula.pk}"
    assert body["medium"][0]["coding"][0]["code"] == "MSGWRIT"
    assert "about" not in body


def test_a_call_to_a_provider_is_typed_practitioner_by_name_only(world, api):
    row = log(world, party=ContactParty.PROVIDER, party_name="Dr Lee's office")
    body = api(world.alice).get(f"Communication/{row.pk}").body
    assert body["recipient"] == [{"type": "Practitioner", "display": "Dr Lee's office"}]
    other = log(world, reached=False, party=ContactParty.OTHER)
    body = api(world.alice).get(f"Communication/{other.pk}").body
    assert body["recipient"] == [{"display": "Someone else"}]


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        (ContactMode.PHONE, "PHONE"),
        (ContactMode.VIDEO, "VIDEOCONF"),
        (ContactMode.IN_PERSON, "FACE"),
        (ContactMode.PORTAL, "ONLINEWRIT"),
        (ContactMode.TEXT, "MSGWRIT"),
        (ContactMode.EMAIL, "EMAILWRIT"),
        (ContactMode.LETTER, "MAILWRIT"),
    ],
)
def test_each_mode_is_a_participation_mode(world, api, mode, code):
    row = log(world, mode=mode)
    alice = api(world.alice)
    medium = alice.get(f"Communication/{row.pk}").body["medium"][0]
    assert medium["coding"][0]["system"] == MODE
    assert medium["coding"][0]["code"] == code
    assert medium["text"] == mode.label
    assert [r["id"] for r in alice.search(f"Communication?medium={MODE}|{code}")] == [str(row.pk)]


def test_search_by_each_parameter(world, api, call, attempt, from_marco):
    alice = api(world.alice)
    paula = world.paula.pk
    every = sorted(str(r.pk) for r in (call, attempt, from_marco))

    def ids(query: str) -> list[str]:
        return sorted(r["id"] for r in alice.search(f"Communication?{query}"))

    assert ids(f"patient={paula}") == every
    assert ids(f"subject=Patient/{paula}") == every
    assert ids(f"patient={paula + 1000}") == []
    assert ids("status=completed") == sorted([str(call.pk), str(from_marco.pk)])
    assert ids("status=http://hl7.org/fhir/event-status|not-done") == [str(attempt.pk)]
    assert ids("status:not=not-done") == sorted([str(call.pk), str(from_marco.pk)])
    assert ids("status=in-progress") == []
    assert ids("medium=PHONE") == sorted([str(call.pk), str(attempt.pk)])
    assert ids("medium=MSGWRIT,FACE") == [str(from_marco.pk)]
    assert ids("medium=http://example.org|PHONE") == []
    assert ids("medium=phone") == []  # codes are case-sensitive
    assert ids(f"sender=Practitioner/{world.alice.pk}") == sorted([str(call.pk), str(attempt.pk)])
    assert ids(f"recipient=Practitioner/{world.alice.pk}") == [str(from_marco.pk)]
    assert ids(f"recipient=Patient/{paula}") == sorted([str(call.pk), str(attempt.pk)])
    assert ids(f"recipient:Patient={paula}") == sorted([str(call.pk), str(attempt.pk)])
    assert ids(f"sender=Patient/{paula}") == []
    assert ids(f"sender={world.alice.pk}") == sorted([str(call.pk), str(attempt.pk)])
    assert ids(f"sender=RelatedPerson/{world.alice.pk}") == []

    # sent: the attempt 30 hours ago, the text 5 hours ago, the call 2 hours ago.
    def at(row: Contact) -> str:
        return row.contact_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert ids(f"sent={at(call)}") == [str(call.pk)]
    assert ids(f"sent=ge{at(from_marco)}") == sorted([str(call.pk), str(from_marco.pk)])
    assert ids(f"sent=gt{at(from_marco)}") == [str(call.pk)]
    assert ids(f"sent=lt{at(from_marco)}") == [str(attempt.pk)]
    assert ids(f"sent=le{at(from_marco)}") == sorted([str(attempt.pk), str(from_marco.pk)])
    assert ids(f"sent=ge{at(attempt)}&sent=lt{at(call)}") == sorted([str(attempt.pk), str(from_marco.pk)])
    assert ids(f"sent=ne{at(call)}") == sorted([str(attempt.pk), str(from_marco.pk)])
    assert ids("sent=lt2000-01-01") == []
    assert ids(f"_id={call.pk}") == [str(call.pk)]

    newest_first = [r["id"] for r in alice.search("Communication?_sort=-sent")]
    assert newest_first == [str(call.pk), str(from_marco.pk), str(attempt.pk)]


def test_a_bad_date_or_unknown_parameter_is_refused(world, api):
    alice = api(world.alice)
    assert alice.get("Communication?sent=yesterday").status == 400
    reply = alice.get("Communication?encounter=Encounter/1")
    assert reply.status == 400
    assert reply.issue_paths() == ["encounter"]


def test_include_and_revinclude_through_the_patient(world, api, call):
    alice = api(world.alice)
    reply = alice.get(f"Communication?patient={world.paula.pk}&_include=Communication:patient")
    assert {(e["resource"]["resourceType"], e["search"]["mode"]) for e in reply.body["entry"]} == {
        ("Communication", "match"),
        ("Patient", "include"),
    }
    reply = alice.get(f"Patient?_id={world.paula.pk}&_revinclude=Communication:patient")
    assert [e["resource"]["resourceType"] for e in reply.body["entry"]] == ["Patient", "Communication"]


def test_a_stranger_sees_nothing(world, api, call, attempt):
    for user in (world.bob, world.charlie, world.uma):
        stranger = api(user)
        assert stranger.get(f"Communication/{call.pk}").status == 404
        assert not stranger.search(f"Communication?patient={world.paula.pk}")
        assert not stranger.search("Communication?status=completed")
        assert not stranger.search(f"Communication?sender=Practitioner/{world.alice.pk}")


def test_contacts_are_logged_on_the_screens_only(world, api, call):
    alice = api(world.alice)
    body = alice.get(f"Communication/{call.pk}").body
    posted = alice.post("Communication", body)  # only portal messages are sent through the API
    assert posted.status == 422 and posted.issue_paths() == ["Communication.category"]
    assert alice.put(f"Communication/{call.pk}", body).status == 405
    assert Contact.objects.count() == 1


def test_a_page_costs_the_same_queries_however_many_contacts(world, api, call):
    alice = api(world.alice)

    def page_has(n: int) -> None:
        assert len(alice.search(f"Communication?patient={world.paula.pk}")) == n

    one = query_count(lambda: page_has(1))
    log(world, reached=False)
    log(world, mode=ContactMode.VIDEO, party=ContactParty.CAREGIVER, party_name="Marco Reyes")
    log(world, case=False, direction=ContactDirection.INBOUND)
    assert query_count(lambda: page_has(4)) == one
