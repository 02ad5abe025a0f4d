"""Consent through the FHIR API: read and searched as the patient is visible; recorded (not revoked) here."""

from __future__ import annotations

import datetime as dt

import pytest

from careconductor.core import clock
from careconductor.fhir.mappers.common import EXT
from careconductor.privacy.actions import do_record_consent, do_revoke_consent
from careconductor.privacy.choices import ConsentMethod, ConsentStatus, ConsentType
from careconductor.privacy.models import Consent

from .conftest import query_count

pytestmark = pytest.mark.django_db

TYPES = "urn:careconductor:consent-type"


def record(world, consent_type=ConsentType.CM_ENROLMENT, **fields):
    return do_record_consent(
        world.alice,
        world.paula,
        consent_type=consent_type,
        method=fields.pop("method", ConsentMethod.VERBAL),
        given_on=fields.pop("given_on", clock.today()),
        **fields,
    )


def new_consent(world, **changes):
    body = {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}
            ]
        },
        "category": [{"coding": [{"system": TYPES, "code": "sharing"}]}],
        "patient": {"reference": f"Patient/{world.paula.pk}"},
        "dateTime": clock.today().isoformat(),
        "policyRule": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/consentpolicycodes", "code": "hipaa-auth"}
            ]
        },
        "provision": {
            "period": {"end": (clock.today() + dt.timedelta(days=365)).isoformat()},
            "actor": [
                {
                    "role": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                "code": "IRCP",
                            }
                        ]
                    },
                    "reference": {"reference": f"Practitioner/{world.dana.pk}"},
                }
            ],
        },
        "extension": [{"url": EXT + "consent-method", "valueCode": "written"}],
    }
    return {**body, **changes}


def test_read_shows_type_scope_dates_and_recipient(world, api):
    consent = record(
        world,
        ConsentType.PART2,
        recipient_user=world.dana,
        given_on=clock.today() - dt.timedelta(days=3),
        expires_on=clock.today() + dt.timedelta(days=30),
    )
    reply = api(world.alice).get(f"Consent/{consent.pk}")
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["status"] == "active"
    assert body["scope"]["coding"][0]["code"] == "patient-privacy"
    assert body["category"][0]["coding"][0] == {
        "system": TYPES,
        "code": "part2",
        "display": "42 CFR Part 2 disclosure",
    }
    assert body["category"][1]["coding"][0]["code"] == "59284-0"
    assert body["patient"] == {"reference": f"Patient/{world.paula.pk}"}
    assert body["performer"] == [{"reference": f"Patient/{world.paula.pk}"}]
    assert body["dateTime"] == consent.given_on.isoformat()
    assert body["policy"][0]["uri"].startswith("https://www.ecfr.gov/current/title-42")
    assert body["provision"]["period"] == {
        "start": consent.given_on.isoformat(),
        "end": consent.expires_on.isoformat(),
    }
    actor = body["provision"]["actor"][0]
    assert actor["reference"]["reference"] == f"Practitioner/{world.dana.pk}"
    assert actor["role"]["coding"][0]["code"] == "IRCP"


def test_enrolment_consent_is_treatment_and_a_named_recipient_is_text(world, api):
    enrolment = record(world)
    assert api(world.alice).get(f"Consent/{enrolment.pk}").body["scope"]["coding"][0]["code"] == "treatment"
    sharing = record(world, ConsentType.SHARING, recipient="Maria Reyes (daughter)")
    actor = api(world.alice).get(f"Consent/{sharing.pk}").body["provision"]["actor"][0]
    assert actor["reference"] == {"display": "Maria Reyes (daughter)"}


def test_strangers_see_nothing(world, api):
    consent = record(world)
    for stranger in (world.bob, world.charlie, world.uma):
        assert api(stranger).get(f"Consent/{consent.pk}").status == 404
        assert api(stranger).search("Consent") == []


def test_search_by_each_parameter(world, api):
    enrolment = record(world, given_on=clock.today() - dt.timedelta(days=10))
    sharing = record(world, ConsentType.SHARING, recipient="Maria Reyes")
    do_revoke_consent(world.alice, sharing)
    alice = api(world.alice)

    def ids(query):
        return {r["id"] for r in alice.search(f"Consent?{query}")}

    both = {str(enrolment.pk), str(sharing.pk)}
    assert ids(f"patient={world.paula.pk}") == both
    assert ids("status=active") == {str(enrolment.pk)}
    assert ids("status=http://hl7.org/fhir/consent-state-codes|inactive") == {str(sharing.pk)}
    assert ids("status=rejected") == set()
    assert ids(f"category={TYPES}|cm_enrolment") == {str(enrolment.pk)}
    assert ids("category=sharing") == {str(sharing.pk)}
    assert ids("category=http://loinc.org|59284-0") == both
    assert ids("category=urn:other|sharing") == set()
    ten_days_ago = enrolment.given_on.isoformat()
    assert ids(f"date={ten_days_ago}") == {str(enrolment.pk)}
    assert ids(f"date=gt{ten_days_ago}") == {str(sharing.pk)}
    assert ids(f"date=le{ten_days_ago}") == {str(enrolment.pk)}
    assert ids(f"_id={sharing.pk}") == {str(sharing.pk)}
    assert ids("_lastUpdated=ge2000-01-01") == both


def test_include_the_patient(world, api):
    record(world)
    reply = api(world.alice).get("Consent?_include=Consent:patient")
    assert {(e["resource"]["resourceType"], e["search"]["mode"]) for e in reply.body["entry"]} == {
        ("Consent", "match"),
        ("Patient", "include"),
    }


def test_create_records_a_consent_through_the_action(world, api):
    reply = api(world.alice).post("Consent", new_consent(world))
    assert reply.status == 201, reply.body
    consent = Consent.objects.get(pk=reply.body["id"])
    assert consent.consent_type == ConsentType.SHARING
    assert consent.method == ConsentMethod.WRITTEN
    assert consent.recipient_user == world.dana
    assert consent.expires_on == clock.today() + dt.timedelta(days=365)
    assert consent.recorded_by == world.alice
    refused = api(world.alice).post("Consent", new_consent(world, status="rejected"))
    assert refused.status == 201, refused.body
    assert Consent.objects.get(pk=refused.body["id"]).status == ConsentStatus.REJECTED


def test_create_refuses_bad_input_naming_the_element(world, api):
    alice = api(world.alice)
    before = Consent.objects.count()
    future = (clock.today() + dt.timedelta(days=2)).isoformat()
    for body, element in [
        (new_consent(world, dateTime=future), "Consent.dateTime"),
        (new_consent(world, status="inactive"), "Consent.status"),
        (new_consent(world, category=[{"text": "Something"}]), "Consent.category"),
        (new_consent(world, provision={"period": {"end": "2001-01-01"}}), "Consent.provision.period.end"),
        (new_consent(world, provision={}), "Consent.provision.actor"),
        (
            new_consent(
                world,
                provision={
                    "actor": [
                        {
                            "role": {"text": "r"},
                            "reference": {"reference": f"Practitioner/{world.charlie.pk}"},
                        }
                    ]
                },
            ),
            "Consent.provision.actor[0].reference",
        ),
    ]:
        reply = alice.post("Consent", body)
        assert reply.status == 422, (element, reply.body)
        assert element in reply.issue_paths(), (element, reply.issue_paths())
    assert Consent.objects.count() == before


def test_create_for_a_patient_not_visible_is_forbidden(world, api):
    # A patient one may not see and an id no patient has answer alike: a create does not tell which ids exist.
    missing = new_consent(world, status="inactive")  # and a mistake, which must not be checked first
    missing["patient"] = {"reference": "Patient/987654321"}
    answers = {
        (reply.status, reply.body["issue"][0].get("diagnostics"))
        for reply in (
            api(world.bob).post("Consent", new_consent(world, status="inactive")),
            api(world.charlie).post("Consent", new_consent(world, status="inactive")),
            api(world.bob).post("Consent", missing),
        )
    }
    assert len(answers) == 1 and next(iter(answers))[0] in (403, 404), answers
    assert (
        api(world.dana).post("Consent", new_consent(world)).status == 422
    )  # care team reads, does not change
    assert not Consent.objects.exists()


def test_no_update_here(world, api):
    consent = record(world)
    body = api(world.alice).get(f"Consent/{consent.pk}").body
    assert api(world.alice).put(f"Consent/{consent.pk}", {**body, "status": "inactive"}).status == 405


def test_a_page_of_consents_costs_a_fixed_number_of_queries(world, api):
    record(world, ConsentType.PART2, recipient_user=world.dana)
    alice = api(world.alice)
    alice.search("Consent")

    def page_has(n: int) -> None:
        assert len(alice.search("Consent")) == n

    one = query_count(lambda: page_has(1))
    for _ in range(4):
        record(world, ConsentType.SHARING, recipient_user=world.mo)
    assert query_count(lambda: page_has(5)) == one
