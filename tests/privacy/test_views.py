"""The privacy officer's pages: audit search and CSV export, the review queue, the accounting of
disclosures (45 CFR 164.528)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from careconductor.core import clock
from careconductor.privacy.actions import do_break_glass, do_record_disclosure
from careconductor.privacy.choices import EmergencyReason
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:  # type: ignore[no-untyped-def]
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_audit_trail_can_be_searched_by_patient_user_action_and_date(world: World, login) -> None:
    login(world.alice).get(reverse("patients:chart", args=[world.paula.pk]))
    client = login(world.pia)
    url = reverse("privacy:audit")
    body = client.get(url, {"patient": world.paula.mrn, "user": "alice", "action": "read"}).content.decode()
    assert "Paula Reyes" in body and "alice" in body
    assert "No events match." in client.get(url, {"user": "alice", "date_to": "2000-01-01"}).content.decode()
    bad = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert bad.status_code == 200 and "The end date is before the start date." in bad.content.decode()


def test_the_audit_export_is_a_csv_and_is_itself_audited(world: World, login) -> None:
    client = login(world.pia)
    response = client.get(reverse("privacy:audit"), {"user": "alice", "format": "csv"})
    rows = _csv(response)
    assert rows[0][:3] == ["seq", "time", "user"] and len(rows) > 1
    assert {r[2] for r in rows[1:]} == {"alice"}
    assert AuditEvent.objects.filter(user=world.pia, action="export", object_type="AuditTrail").exists()


def test_the_audit_trail_never_shows_another_organisations_events(world: World, login) -> None:
    login(world.charlie).get(reverse("cases:list"))
    rows = _csv(login(world.pia).get(reverse("privacy:audit"), {"format": "csv"}))
    assert "charlie" not in {r[2] for r in rows[1:]}


def test_the_review_queue_lists_unreviewed_emergency_access(world: World, login) -> None:
    do_break_glass(
        world.bob, world.paula, reason=EmergencyReason.COVERING, explanation="Covering Alice this week."
    )
    client = login(world.pia)
    body = client.get(reverse("privacy:emergency_queue")).content.decode()
    assert "Bob Tester" in body and "Covering Alice this week." in body


def test_the_accounting_lists_disclosures_for_a_period_up_to_six_years(world: World, login) -> None:
    today = clock.today()
    recent = today - dt.timedelta(days=180)
    for day, recipient in (
        (today - dt.timedelta(days=7 * 366), "Old Court"),
        (recent, "County Public Health"),
    ):
        do_record_disclosure(
            world.alice,
            world.paula,
            disclosed_on=day,
            recipient_name=recipient,
            description="Immunisation record",
            purpose="Required by law",
        )
    client = login(world.pia)
    url = reverse("privacy:accounting")
    body = client.get(url, {"patient": world.paula.mrn}).content.decode()
    assert "County Public Health" in body and "Old Court" not in body  # default: the last six years
    too_long = client.get(
        url, {"patient": world.paula.mrn, "date_from": "2010-01-01", "date_to": "2026-11-01"}
    )
    assert "An accounting covers at most 6 years." in too_long.content.decode()
    rows = _csv(client.get(url, {"patient": world.paula.mrn, "format": "csv"}))
    assert rows == [
        ["date", "recipient", "address", "what", "purpose"],
        [recent.isoformat(), "County Public Health", "", "Immunisation record", "Required by law"],
    ]
    assert AuditEvent.objects.filter(user=world.pia, patient=world.paula, action="export").exists()


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ({"date_to": "2028-02-29"}, ""),  # six years back is 28 February 2022 (was a server error)
        ({"date_from": "2022-02-28", "date_to": "2028-02-29"}, ""),
        ({"date_from": "2022-02-27", "date_to": "2028-02-29"}, "An accounting covers at most 6 years."),
    ],
)
def test_an_accounting_that_ends_on_a_leap_day(
    world: World, login, query: dict[str, str], error: str
) -> None:
    response = login(world.pia).get(reverse("privacy:accounting"), {"patient": world.paula.mrn, **query})
    assert response.status_code == 200
    body = response.content.decode()
    assert (error in body) if error else ("An accounting covers at most" not in body)


def test_a_disclosure_needs_recipient_what_and_why(world: World, login) -> None:
    response = login(world.alice).post(
        reverse("patients:record_disclosure", args=[world.paula.pk]), {"disclosed_on": "2026-11-01"}
    )
    assert response.status_code == 400
    assert world.paula.disclosures.count() == 0


@pytest.mark.parametrize("persona", ["alice", "sam", "adam", "uma"])
def test_only_the_privacy_officer_opens_the_privacy_pages(world: World, persona: str, login) -> None:
    client = login(getattr(world, persona))
    for name in ("privacy:audit", "privacy:emergency_queue", "privacy:accounting"):
        assert client.get(reverse(name)).status_code == 403
