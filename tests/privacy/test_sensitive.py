"""Sensitive records (42 CFR Part 2 substance-use records, psychotherapy notes): the case manager and
supervisor see them; care team members only with the patient's consent naming them; administrators never;
revocation and expiry take effect at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careconductor.patients.actions import do_add_condition, do_add_note
from careconductor.privacy import policy
from careconductor.privacy.actions import do_break_glass, do_record_consent, do_revoke_consent
from careconductor.privacy.choices import ConsentMethod, ConsentType, EmergencyReason, Sensitivity

from ..personas import World

pytestmark = pytest.mark.django_db

NOTES = {
    Sensitivity.NORMAL: "Paula walked to the pharmacy herself.",
    Sensitivity.PART2: "Attends the opioid treatment programme; methadone 60 mg.",
    Sensitivity.PSYCHOTHERAPY: "Session: grief over her husband; explored guilt.",
}


@pytest.fixture
def records(world: World) -> World:
    for sensitivity, text in NOTES.items():
        do_add_note(world.alice, world.paula, text=text, sensitivity=sensitivity)
    do_add_condition(
        world.alice,
        world.paula,
        icd10_code="F11.20",
        display="Opioid dependence",
        sensitivity=Sensitivity.PART2,
    )
    return world


def _consent(world: World, kind: ConsentType, recipient, **extra):  # type: ignore[no-untyped-def]
    return do_record_consent(
        world.alice,
        world.paula,
        consent_type=kind,
        method=ConsentMethod.WRITTEN,
        given_on=dt.date(2026, 11, 1),
        recipient_user=recipient,
        **extra,
    )


def _chart(login, user, world: World) -> str:  # type: ignore[no-untyped-def]
    return login(user).get(reverse("patients:chart", args=[world.paula.pk])).content.decode()


def _seen(body: str) -> set[str]:
    found = {s.value for s, text in NOTES.items() if text in body}
    assert ("Opioid dependence" in body) == (Sensitivity.PART2.value in found), "condition and note disagree"
    return found


ALL = {"", "part2", "psychotherapy"}


@pytest.mark.parametrize(
    ("persona", "expected"), [("alice", ALL), ("sam", ALL), ("dana", {""}), ("adam", {""})]
)
def test_who_sees_sensitive_records_without_a_consent(
    records: World, login, persona: str, expected: set[str]
) -> None:
    assert _seen(_chart(login, getattr(records, persona), records)) == expected


def test_a_part2_consent_naming_the_care_team_member_shows_part2_records_only(records: World, login) -> None:
    _consent(records, ConsentType.PART2, records.dana)
    assert _seen(_chart(login, records.dana, records)) == {"", "part2"}


def test_a_sharing_consent_naming_the_care_team_member_shows_psychotherapy_notes(
    records: World, login
) -> None:
    _consent(records, ConsentType.SHARING, records.dana)
    assert _seen(_chart(login, records.dana, records)) == {"", "psychotherapy"}


def test_a_consent_naming_someone_else_does_not_count(records: World, login) -> None:
    _consent(records, ConsentType.PART2, records.sam)
    assert _seen(_chart(login, records.dana, records)) == {""}


def test_revocation_takes_effect_at_once(records: World, login) -> None:
    consent = _consent(records, ConsentType.PART2, records.dana)
    assert "part2" in _seen(_chart(login, records.dana, records))
    do_revoke_consent(records.alice, consent)
    assert _seen(_chart(login, records.dana, records)) == {""}


def test_an_expired_consent_no_longer_counts(records: World) -> None:
    _consent(records, ConsentType.PART2, records.dana, expires_on=dt.date(2026, 11, 2))
    import time_machine

    with time_machine.travel(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC), tick=False):
        assert "part2" in policy.allowed_sensitivities(records.dana, records.paula, on_emergency=False)
    with time_machine.travel(dt.datetime(2026, 11, 3, 12, tzinfo=dt.UTC), tick=False):
        assert "part2" not in policy.allowed_sensitivities(records.dana, records.paula, on_emergency=False)


def test_emergency_access_does_not_open_sensitive_records(records: World, login) -> None:
    do_break_glass(
        records.bob,
        records.paula,
        reason=EmergencyReason.EMERGENCY_CARE,
        explanation="ED called about chest pain.",
    )
    assert _seen(_chart(login, records.bob, records)) == {""}


def test_the_chart_does_not_hint_that_hidden_records_exist(records: World, login) -> None:
    body = _chart(login, records.dana, records)
    for hint in ("Part 2", "Psychotherapy note", "records hidden", "restricted"):
        assert hint not in body, hint


def test_recording_a_consent_from_the_chart_names_the_care_team_member(records: World, login) -> None:
    client = login(records.alice)
    response = client.post(
        reverse("patients:record_consent", args=[records.paula.pk]),
        {
            "consent_type": "part2",
            "recipient_user": records.dana.pk,
            "method": "written",
            "given_on": "2026-11-20",
        },
    )
    assert response.status_code == 302
    consent = records.paula.consents.get(consent_type="part2")
    assert consent.recipient_user == records.dana and consent.recipient == "Dana Tester"
    refused = client.post(
        reverse("patients:record_consent", args=[records.paula.pk]),
        {"consent_type": "part2", "method": "written", "given_on": "2026-11-20"},
    )
    assert refused.status_code == 400 and 'id="id_recipient_error"' in refused.content.decode()
