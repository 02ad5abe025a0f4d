from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.cases.models import Case
from careconductor.core import clock
from careconductor.patients.actions import PatientDetails, do_add_encounter
from careconductor.patients.choices import EncounterClass, Sex
from careconductor.patients.models import Patient
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "given_name": "Tomas",
    "family_name": "Okafor",
    "birth_date": "1961-07-02",
    "sex": "male",
    "preferred_language": "en",
    "preferred_contact_method": "phone",
    "program": "ccm",
    "referral_source": "pcp",
    "referral_reason": "Heart failure with two ED visits",
}


def _add_patients(world: World, n: int) -> None:
    for i in range(n):
        do_register_and_refer(
            world.alice,
            PatientDetails(
                given_name=f"Extra{i}", family_name="Zed", birth_date=dt.date(1950, 1, 1 + i), sex=Sex.MALE
            ),
            program=Program.CCM,
            referral_source=ReferralSource.PCP,
            referral_reason="test",
        )


def test_log_in_page_shows_a_labelled_form(client) -> None:
    body = client.get(reverse("login")).content.decode()
    assert '<label for="id_username">' in body and '<label for="id_password">' in body


def test_a_wrong_password_says_so_without_revealing_the_user_name(world: World, client) -> None:
    for username in ("alice", "nobody-here"):
        response = client.post(reverse("login"), {"username": username, "password": "wrong-password"})
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    assert AuditEvent.objects.filter(action="login_failed").count() == 2


def test_search_finds_patients_by_name_mrn_and_birth_date(world: World, login) -> None:
    client = login(world.alice)
    for params in ({"q": "reyes"}, {"q": "Paula R"}, {"q": world.paula.mrn}, {"birth_date": "1956-03-14"}):
        assert "Reyes, Paula" in client.get(reverse("patients:list"), params).content.decode(), params
    assert "Reyes, Paula" not in client.get(reverse("patients:list"), {"q": "Smith"}).content.decode()


def test_the_patient_list_query_count_does_not_grow_with_rows(
    world: World, login, django_assert_max_num_queries
) -> None:
    client = login(world.alice)
    _add_patients(world, 3)
    with django_assert_max_num_queries(17):  # 12 + 4 chaining the read audit + 1 emergency-access check
        small = client.get(reverse("patients:list"))
    _add_patients(world, 20)
    with django_assert_max_num_queries(17):  # 12 + 4 chaining the read audit + 1 emergency-access check
        large = client.get(reverse("patients:list"))
    assert small.content.decode().count("Extra") == 3 and large.content.decode().count("Extra") == 23


def test_the_patient_list_audits_a_read_per_patient_shown(world: World, login) -> None:
    login(world.alice).get(reverse("patients:list"))
    assert AuditEvent.objects.filter(user=world.alice, patient=world.paula, action="read").exists()


def test_registering_a_patient_refers_them_and_opens_the_chart(world: World, login) -> None:
    client = login(world.alice)
    response = client.post(reverse("patients:new"), NEW_PATIENT)
    patient = Patient.objects.get(family_name="Okafor")
    assert response.status_code == 302 and response["Location"] == reverse(
        "patients:chart", args=[patient.pk]
    )
    case = Case.objects.get(patient=patient)
    assert (case.status, case.primary_case_manager, case.program) == ("referred", world.alice, "ccm")
    chart = client.get(response["Location"]).content.decode()
    assert "Tomas Okafor" in chart and patient.mrn in chart


LONG_REASON = (
    "Referred by Dr Osei after a second admission for decompensated heart failure in six weeks. Lives alone on "
    "the third floor without a lift; daughter visits at weekends. Missed two cardiology appointments for lack of "
    "transport. Takes furosemide irregularly because of night-time urination. Weight up 3 kg since discharge. "
    "Please call before visiting: hard of hearing, prefers the afternoon."
)


def test_a_long_referral_reason_is_kept_whole(world: World, login) -> None:
    # Issue 17 §5: the reason was cut at 300 characters (the text box stopped there without a word).
    assert len(LONG_REASON) > 300
    client = login(world.alice)
    form = client.get(reverse("patients:new")).content.decode()
    assert not re.search(r'<textarea[^>]*name="referral_reason"[^>]*maxlength', form)
    client.post(reverse("patients:new"), {**NEW_PATIENT, "referral_reason": LONG_REASON})
    assert Case.objects.get(patient__family_name="Okafor").referral_reason == LONG_REASON


def test_a_referral_reason_past_the_limit_is_refused_beside_its_field(world: World, login) -> None:
    before = Patient.objects.count()
    response = login(world.alice).post(
        reverse("patients:new"), {**NEW_PATIENT, "referral_reason": "x" * 4001}
    )
    body = response.content.decode()
    assert 'id="id_referral_reason_error"' in body and "4,000 characters" in body
    assert Patient.objects.count() == before


def test_a_likely_duplicate_is_shown_before_a_second_record_is_made(world: World, login) -> None:
    client = login(world.alice)
    data = {**NEW_PATIENT, "given_name": "PAULA", "family_name": "reyes", "birth_date": "1956-03-14"}
    first = client.post(reverse("patients:new"), data)
    assert first.status_code == 200
    assert "This may be someone already registered" in first.content.decode()
    assert Patient.objects.filter(family_name__iexact="reyes").count() == 1
    confirmed = client.post(reverse("patients:new"), {**data, "confirm_not_duplicate": "on"})
    assert confirmed.status_code == 302
    assert Patient.objects.filter(family_name__iexact="reyes").count() == 2


def test_a_duplicate_the_user_cannot_see_is_mentioned_without_details(world: World, login) -> None:
    body = (
        login(world.bob)
        .post(
            reverse("patients:new"),
            {**NEW_PATIENT, "given_name": "Paula", "family_name": "Reyes", "birth_date": "1956-03-14"},
        )
        .content.decode()
    )
    assert "not part of your work" in body and world.paula.mrn not in body


def test_registration_errors_sit_beside_their_fields_and_change_nothing(world: World, login) -> None:
    before = Patient.objects.count()
    body = (
        login(world.alice)
        .post(reverse("patients:new"), {**NEW_PATIENT, "given_name": "", "birth_date": "2999-01-01"})
        .content.decode()
    )
    assert 'id="id_given_name_error"' in body and "This field is required." in body
    assert 'id="id_birth_date_error"' in body and "The birth date is in the future." in body
    assert Patient.objects.count() == before


def test_care_team_members_cannot_register_patients(world: World, login) -> None:
    assert login(world.dana).post(reverse("patients:new"), NEW_PATIENT).status_code == 403
    assert not Patient.objects.filter(family_name="Okafor").exists()


def test_the_chart_header_shows_what_a_case_manager_needs(
    world: World, login, django_assert_max_num_queries
) -> None:
    do_add_encounter(
        world.alice,
        world.paula,
        encounter_class=EncounterClass.INPATIENT,
        facility="Riverside General",
        # Discharged four days ago: the header names recent discharges only.
        start=clock.now() - dt.timedelta(days=12),
        end=clock.now() - dt.timedelta(days=4),
    )
    client = login(world.alice)
    # Constant: one query per chart section (tasks, findings, the care plan card's one, conditions, notes,
    # encounters, contacts, coverage, disclosures, consents, the contact log), the header's case list, flags,
    # recent discharge and allergies, the care team (also the consent form's staff), the self-management card's
    # five (portal use, proxies, unread messages and heart failure in one; adherence; last check-in; limits;
    # readings; its alerts come from the header's flags), the session, log-in and second-factor device, the
    # policy (whether she sees Paula, is her case staff, who sees sensitive records), the emergency accesses in
    # force (once: the page and the audit share it), one audit batch, the note form's colleagues to mention and
    # the identifiers of a record's merges (issue 17). 49 before issue 18 (the header read the open cases, flags
    # and care team again, and the card's counts took a query each), then 41 (the care plan card took two
    # queries, the page and the audit each looked up emergency access). Issue 20: the referral and appointment
    # cards, one query each. Issue 21: the prior authorisations card, one.
    with django_assert_max_num_queries(41):
        body = client.get(reverse("patients:chart", args=[world.paula.pk])).content.decode()
    for expected in (
        "Paula Reyes",
        world.paula.mrn,
        "Spanish",
        "Interpreter",
        "Complex case management",
        "Alice Tester",
        "Tier 3",
        "Discharged",
    ):
        assert expected in body, expected


def test_an_invalid_condition_code_is_refused_beside_the_field(world: World, login) -> None:
    response = login(world.alice).post(
        reverse("patients:add_condition", args=[world.paula.pk]),
        {"icd10_code": "diabetes", "display": "Diabetes"},
    )
    assert response.status_code == 400
    assert 'id="id_icd10_code_error"' in response.content.decode()
    assert world.paula.conditions.count() == 0


def test_unknown_and_invisible_patients_look_the_same(world: World, login) -> None:
    client = login(world.bob)
    missing = client.get(reverse("patients:chart", args=[999999]))
    hidden = client.get(reverse("patients:chart", args=[world.paula.pk]))
    assert missing.status_code == hidden.status_code == 404
    # Identical but for the per-response CSRF token.
    strip = re.compile(rb'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+"')
    assert strip.sub(b"", missing.content) == strip.sub(b"", hidden.content)


@pytest.mark.parametrize(
    ("persona", "offered"),
    [
        ("alice", True),
        ("sam", True),
        ("dana", True),
        ("adam", True),
        ("mo", True),
        ("uma", False),
        ("pia", False),
    ],
)
def test_emergency_access_is_offered_only_to_those_who_may_use_it(
    world: World, login, persona: str, offered: bool
) -> None:
    # Issue 17 §5: the UM reviewer and the privacy officer were offered a link that answered 403.
    user = getattr(world, persona)
    client = login(user)
    link = reverse("patients:emergency_access")
    assert (link in client.get(reverse("patients:list")).content.decode()) is offered
    assert client.get(link).status_code == (200 if offered else 403)
