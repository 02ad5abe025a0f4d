"""The portal's Observations, Communications and Flags through real FHIR clients on a live server, with a
patient's own SMART token (patient/*.read): fhirclient (strict R4 models) and fhirpy."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from fhirclient.models.flag import Flag as SmartFlag
from fhirclient.models.observation import Observation as SmartObservation
from fhirclient.server import FHIRNotFoundException
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ResourceNotFound

from careconductor.engagement.actions import do_report_blood_pressure, do_report_wellbeing, do_send_message
from tests.personas import World
from tests.pictures import png

from .conftest import register_patient
from .test_portal_observation import portal_login
from .test_real_clients import _close_clients, _raw, _secret, _smart  # noqa: F401 (_close_clients: fixture)

pytestmark = pytest.mark.django_db(transaction=True)

PNG = png()
READ = ("patient/*.read",)


@pytest.fixture
def base(live_server) -> str:  # type: ignore[no-untyped-def]
    return live_server.url + "/fhir/r4/"


def test_fhirclient_searches_a_patients_own_vital_signs_and_alerts(world: World, base: str) -> None:
    paula = world.paula
    login = portal_login(world.alice, paula, "paula.reyes")
    pressure = do_report_blood_pressure(login, paula, systolic=Decimal(186), diastolic=Decimal(97)).readings[
        0
    ]
    mood = do_report_wellbeing(login, paula, mood=4, symptoms=["poor-sleep"]).check_in
    assert mood is not None
    omar = register_patient(world.alice, "Haddad", "Omar")
    omars = do_report_blood_pressure(
        portal_login(world.alice, omar, "omar.haddad"), omar, systolic=Decimal(120), diastolic=Decimal(80)
    ).readings[0]
    secret = _secret(login, READ)
    smart = _smart(base, secret)
    smart.prepare()

    vitals = list(
        SmartObservation.where(struct={"category": "vital-signs"}).perform_resources_iter(smart.server)
    )
    assert [o.id for o in vitals] == [f"reading-{pressure.pk}"]
    panel = vitals[0]
    assert panel.code.coding[0].code == "85354-9"
    assert [
        (c.code.coding[0].code, c.valueQuantity.value, c.valueQuantity.code) for c in panel.component
    ] == [
        ("8480-6", 186, "mm[Hg]"),
        ("8462-4", 97, "mm[Hg]"),
    ]
    assert panel.performer[0].reference == f"Patient/{paula.pk}"
    surveys = SmartObservation.where(
        struct={"category": "survey", "code": "mood-and-symptoms"}
    ).perform_resources_iter(smart.server)
    assert [(o.id, o.valueInteger, o.component[0].code.coding[0].code) for o in surveys] == [
        (f"check-in-{mood.pk}", 4, "poor-sleep")
    ]
    flags = list(SmartFlag.where(struct={"status": "active"}).perform_resources_iter(smart.server))
    assert [(f.code.text, f.author.reference) for f in flags] == [
        # The check-in's symptom earlier that day goes with the alert (issue 17 §5).
        (
            "Patient-reported blood pressure 186/97 mmHg at or above the alert limit; also reports poor sleep",
            f"Patient/{paula.pk}",
        )
    ]
    read = SmartObservation.read(f"reading-{pressure.pk}", smart.server)
    assert read.effectiveDateTime.isostring.startswith(pressure.taken_at.date().isoformat())
    with pytest.raises(FHIRNotFoundException):
        SmartObservation.read(f"reading-{omars.pk}", smart.server)
    _raw(base, secret, f"Observation?patient={paula.pk}")
    _raw(base, secret, "Flag")


def test_fhirpy_fetches_a_patients_messages_with_their_attachments(world: World, base: str) -> None:
    paula = world.paula
    login = portal_login(world.alice, paula, "paula.reyes")
    question = do_send_message(
        login,
        paula,
        subject="Swollen ankle",
        body="Photo attached",
        files=[SimpleUploadedFile("ankle.png", PNG, content_type="image/png")],
    )
    answer = do_send_message(
        world.alice, paula, subject="", body="Raise your feet; we will call.", reply_to=question
    )
    client = SyncFHIRClient(base.rstrip("/"), authorization=f"Bearer {_secret(login, READ)}")

    messages = client.resources("Communication").search(category="portal-message").sort("sent").fetch_all()
    assert [m.id for m in messages] == [f"message-{question.pk}", f"message-{answer.pk}"]
    first, second = messages
    assert first["topic"]["text"] == "Swollen ankle"
    assert first["payload"][1]["contentAttachment"]["contentType"] == "image/png"
    assert first["payload"][1]["contentAttachment"]["title"] == "ankle.png"
    assert first["sender"]["reference"] == f"Patient/{paula.pk}"
    assert second["inResponseTo"][0]["reference"] == f"Communication/message-{question.pk}"
    assert second["sender"]["reference"] == f"Practitioner/{world.alice.pk}"
    fetched = client.reference("Communication", f"message-{answer.pk}").to_resource()
    assert fetched["payload"] == [{"contentString": "Raise your feet; we will call."}]

    omar = register_patient(world.alice, "Haddad", "Omar")
    theirs = do_send_message(world.alice, omar, subject="Hello", body="Welcome to the portal.")
    with pytest.raises(ResourceNotFound):
        client.reference("Communication", f"message-{theirs.pk}").to_resource()
    assert client.resources("Communication").search(patient=omar.pk).fetch_all() == []
