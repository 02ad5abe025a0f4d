"""The portal from the patient's side, through the real log-in: every page, English and Spanish, errors beside
fields, the instruction after a high reading, messages with attachments, proxies, self-assessments."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from careconductor.accounts.models import User
from careconductor.assessments import catalogue
from careconductor.careplans.actions import do_add_goal, do_create_plan, do_decide_version, do_publish
from careconductor.coordination.choices import TaskKind
from careconductor.coordination.models import Flag, Task
from careconductor.engagement import actions
from careconductor.engagement.choices import ProxyRelationship
from careconductor.engagement.guards import PATIENT_KEY
from careconductor.engagement.models import CheckIn, Message, PortalUse, ProxyGrant

from ..pictures import png
from .conftest import Portal, patient_client

pytestmark = pytest.mark.django_db

PAGES = [
    "portal:home",
    "portal:plan",
    "portal:check_in",
    "portal:blood_pressure",
    "portal:feeling",
    "portal:trends",
    "portal:assessments",
    "portal:messages",
    "portal:message_new",
    "portal:people",
    "portal:switch",
    "portal:learn",
]


@pytest.mark.parametrize("name", PAGES)
def test_every_portal_page_opens_for_the_patient(client: Client, portal: Portal, name: str) -> None:
    patient_client(client, portal.paula_login)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b'<html lang="es">' in response.content  # Paula prefers Spanish


def test_the_home_page_speaks_spanish_and_switches_to_english(client: Client, portal: Portal) -> None:
    patient_client(client, portal.paula_login)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Registrar" in page or "Mi plan" in page, page[:2000]
    client.post(reverse("portal:language"), {"language": "en"})
    page = client.get(reverse("portal:home")).content.decode()
    assert '<html lang="en">' in page and "My plan" in page


def test_portal_use_is_noted_once_a_day(client: Client, portal: Portal) -> None:
    patient_client(client, portal.paula_login)
    client.get(reverse("portal:home"))
    client.get(reverse("portal:plan"))
    assert PortalUse.objects.filter(patient=portal.world.paula).count() == 1


def test_staff_cannot_open_the_portal_and_patients_cannot_open_staff_pages(
    client: Client, login, portal: Portal
) -> None:
    login(portal.world.alice)
    assert client.get(reverse("portal:home")).status_code == 403
    patient_client(client, portal.paula_login)
    assert client.get(reverse("coordination:worklist")).status_code == 403
    assert client.get(reverse("patients:chart", args=[portal.world.paula.pk])).status_code == 403
    assert client.get(reverse("engagement:portal", args=[portal.world.paula.pk])).status_code == 403


def test_log_in_takes_the_patient_to_the_portal(client: Client, portal: Portal) -> None:
    patient_client(client, portal.paula_login)
    assert client.get("/", follow=False)["Location"] == reverse("portal:home")


def test_a_high_blood_pressure_tells_the_patient_what_to_do_at_once(client: Client, portal: Portal) -> None:
    patient_client(client, portal.paula_login)
    client.post(reverse("portal:language"), {"language": "en"})
    response = client.post(
        reverse("portal:blood_pressure"), {"systolic": "184", "diastolic": "96"}, follow=True
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "What to do now" in page and "call 911" in page and 'role="alert"' in page
    assert Flag.objects.filter(patient=portal.world.paula, rule="self-report:bp-high").exists()
    assert Task.objects.filter(kind=TaskKind.SELF_REPORT, owner=portal.world.alice).exists()


def test_the_instruction_is_in_spanish_for_a_spanish_speaker(client: Client, portal: Portal) -> None:
    patient_client(client, portal.paula_login)
    page = client.post(
        reverse("portal:reading", args=["glucose"]), {"value": "55"}, follow=True
    ).content.decode()
    assert "15 gramos" in page, page[page.find("<main") :][:1500]


def test_a_bad_reading_shows_the_error_beside_the_field(client: Client, portal: Portal) -> None:
    patient_client(client, portal.paula_login)
    client.post(reverse("portal:language"), {"language": "en"})
    response = client.post(reverse("portal:blood_pressure"), {"systolic": "12", "diastolic": "8"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_systolic_error"' in page and "does not look right" in page


def test_weight_in_pounds_is_stored_in_kilograms(client: Client, portal: Portal) -> None:
    patient_client(client, portal.paula_login)
    client.post(reverse("portal:reading", args=["weight"]), {"value": "176", "unit": "lb"})
    reading = portal.world.paula.readings.get(measure="weight")
    assert reading.value == Decimal("79.8")


def test_a_goal_check_in_is_tied_to_the_goal(client: Client, portal: Portal) -> None:
    world = portal.world
    plan = do_create_plan(world.alice, world.paula_case)
    goal = do_add_goal(
        world.alice,
        plan,
        patient_words="Walk to church on Sundays",
        measure="other",
        measure_text="Sundays walked",
        target_text="Every Sunday in May",
        lifecycle="active",
    )
    version = do_publish(world.alice, plan, reason="First plan")
    do_decide_version(world.sam, version, approve=True)  # complex case management plans need the supervisor
    patient_client(client, portal.paula_login)
    assert client.get(reverse("portal:goal_check_in", args=[goal.pk])).status_code == 200
    client.post(reverse("portal:goal_check_in", args=[goal.pk]), {"rating": "partly", "note": "Rained once"})
    check = CheckIn.objects.get()
    assert check.goal == goal and check.rating == "partly" and check.reported_by == portal.paula_login


NOTE_ES = "Es posible que su equipo de atención haya escrito parte de esto en inglés."


def test_words_staff_typed_in_english_carry_a_note_in_the_spanish_portal(
    client: Client, portal: Portal
) -> None:
    # Issue 17 §5: Alice types goals and steps in English; Paula reads the portal in Spanish and was not told.
    world = portal.world
    plan = do_create_plan(world.alice, world.paula_case)
    goal = do_add_goal(
        world.alice,
        plan,
        patient_words="Walk to church on Sundays",
        measure="other",
        measure_text="Sundays walked",
        target_text="Every Sunday in May",
        lifecycle="active",
    )
    do_decide_version(world.sam, do_publish(world.alice, plan, reason="First plan"), approve=True)
    patient_client(client, portal.paula_login)
    pages = [reverse(n) for n in ("portal:home", "portal:plan", "portal:check_in")]
    pages.append(reverse("portal:goal_check_in", args=[goal.pk]))
    for url in pages:
        page = client.get(url).content.decode()
        assert "Walk to church on Sundays" in page and NOTE_ES in page, url
    client.post(reverse("portal:language"), {"language": "en"})
    for url in pages:
        page = client.get(url).content.decode()
        assert "Walk to church on Sundays" in page and "in English" not in page, url


SVG_NUMBER = re.compile(r'\s(x|y|x1|x2|y1|y2|cx|cy|r|points|viewBox)="([^"]*)"')
NUMBER = r"-?\d+(?:\.\d+)?"


def test_the_spanish_chart_draws_its_points_with_decimal_points(client: Client, portal: Portal) -> None:
    # Issue 17 §5: the Spanish page wrote cy="14,0" and cx="366,4", which the browser rejects.
    world = portal.world
    for value in ("81.3", "80.6", "82.9"):
        actions.do_report_reading(portal.paula_login, world.paula, measure="weight", value=Decimal(value))
    patient_client(client, portal.paula_login)
    page = client.get(reverse("portal:trends")).content.decode()
    assert '<html lang="es">' in page and "<svg" in page
    found = SVG_NUMBER.findall(page.split("<svg", 1)[1].split("</svg>", 1)[0])
    assert len(found) > 10 and any(name == "cy" for name, _ in found)
    for name, value in found:
        if name == "points":  # x,y pairs
            assert re.fullmatch(rf"{NUMBER},{NUMBER}(?: {NUMBER},{NUMBER})*", value), value
        elif name == "viewBox":
            assert re.fullmatch(rf"{NUMBER}(?: {NUMBER}){{3}}", value), value
        else:
            assert re.fullmatch(NUMBER, value), f'{name}="{value}"'


def test_a_message_with_a_bad_attachment_shows_the_error_and_sends_nothing(
    client: Client, portal: Portal
) -> None:
    patient_client(client, portal.paula_login)
    client.post(reverse("portal:language"), {"language": "en"})
    bad = SimpleUploadedFile("x.html", b"<html>", content_type="image/png")
    response = client.post(
        reverse("portal:message_new"), {"subject": "Hi", "body": "Look", "attachments": [bad]}
    )
    assert response.status_code == 422
    assert "is not a picture" in response.content.decode()
    assert not Message.objects.exists()


def test_a_message_and_its_attachment_reach_the_team_and_no_one_else(
    client: Client, login, portal: Portal
) -> None:
    patient_client(client, portal.paula_login)
    photo = SimpleUploadedFile("rash.png", png(), content_type="image/png")
    response = client.post(
        reverse("portal:message_new"), {"subject": "Rash", "body": "Since Monday", "attachments": [photo]}
    )
    assert response.status_code == 302
    attachment = Message.objects.get().attachments.get()
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 200
    patient_client(client, portal.other_login)
    assert client.get(reverse("portal:attachment", args=[attachment.pk])).status_code == 404
    login(portal.world.alice)
    download = client.get(reverse("engagement:attachment", args=[attachment.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    login(portal.world.bob)
    assert client.get(reverse("engagement:attachment", args=[attachment.pk])).status_code == 404


def test_the_patient_revokes_a_proxy_from_the_portal(client: Client, portal: Portal) -> None:
    grant = ProxyGrant.objects.get()
    patient_client(client, portal.daughter)
    assert client.get(reverse("portal:home")).status_code == 200
    patient_client(client, portal.paula_login)
    client.post(reverse("portal:revoke", args=[grant.pk]))
    patient_client(client, portal.daughter)
    assert client.get(reverse("portal:home")).status_code == 404  # no record left to show


def test_a_proxy_sees_whose_record_and_cannot_answer_questionnaires(client: Client, portal: Portal) -> None:
    patient_client(client, portal.daughter)
    client.post(reverse("portal:language"), {"language": "en"})
    page = client.get(reverse("portal:home")).content.decode()
    assert "You are helping Paula Reyes" in page
    assert client.post(reverse("portal:start_assessment", args=["phq-9"])).status_code == 404


def test_the_patient_answers_a_phq9_and_item_9_reaches_the_case_manager_and_supervisor(
    client: Client, portal: Portal
) -> None:
    catalogue.sync()
    world = portal.world
    patient_client(client, portal.paula_login)
    client.post(reverse("portal:language"), {"language": "en"})
    start = client.post(reverse("portal:start_assessment", args=["phq-9"]))
    assert start.status_code == 302
    page = client.get(start["Location"])
    assert page.status_code == 200
    form = page.context["form"]
    names = list(form.fields)
    assert len(names) == 9  # one screen, nine questions (clinical.md §1)
    # Each answer's code as the form offers it: 0 not at all, 1 several days, 2 more than half the days, 3 nearly
    # every day (LOINC LL358-3, clinical.md §1).
    answers = {name: form.fields[name].choices[1][0] for name in names}
    # item 9 (thoughts of being better off dead or of self-harm), "more than half the days"
    answers[names[8]] = form.fields[names[8]].choices[2][0]
    response = client.post(start["Location"], {**answers, "go": "next"})
    while (
        "/done/" not in response["Location"]
    ):  # later screens (the optional difficulty question): leave empty
        response = client.post(response["Location"], {"go": "next"})
    done = client.get(response["Location"]).content.decode()
    assert "Thank you for telling us" in done and "call or text 988" in done
    owners = set(
        Task.objects.filter(patient=world.paula, kind=TaskKind.SAFETY_CHECK).values_list(
            "owner__username", flat=True
        )
    )
    assert {"alice", "sam"} <= owners
    assessment = world.paula.assessments.get()
    assert assessment.source == "patient" and assessment.status == "completed"


def test_the_join_page_makes_the_login_and_opens_the_portal(client: Client, world) -> None:  # type: ignore[no-untyped-def]
    made = actions.do_invite_patient(world.alice, world.paula)
    page = client.get(made.path)
    assert page.status_code == 200 and 'lang="es"' in page.content.decode()
    bad = client.post(
        made.path, {"username": "paula", "password": "x", "password_again": "y", "birth_date": "1956-03-14"}
    )
    assert bad.status_code == 422
    good = client.post(
        made.path,
        {
            "username": "paula",
            "password": "una frase larga",
            "password_again": "una frase larga",
            "birth_date": "1956-03-14",
        },
    )
    assert good.status_code == 302 and good["Location"] == reverse("portal:home")
    assert client.get(reverse("portal:home")).status_code == 200
    client.logout()
    assert client.get(made.path).status_code == 404  # used once


def test_a_signed_in_patient_takes_on_a_proxy_invitation_with_their_own_log_in(
    client: Client, portal: Portal
) -> None:
    """Omar, with his own portal log-in, accepts Paula's invitation to be her proxy while signed in: no new
    log-in is made, the grant is his, and his portal now acts for Paula."""
    grant, made = actions.do_grant_proxy(
        portal.paula_login, portal.world.paula, name="Omar Haddad", relationship=ProxyRelationship.OTHER
    )
    patient_client(client, portal.other_login)
    answer = client.post(made.path, {})
    assert answer.status_code == 302 and answer["Location"] == reverse("portal:home")
    grant.refresh_from_db()
    assert grant.proxy == portal.other_login
    assert User.objects.filter(role="patient").count() == 3  # Paula, her daughter, Omar: nobody new
    assert client.session[PATIENT_KEY] == portal.world.paula.pk


def test_the_alert_limits_page_is_for_administrators(client: Client, login, portal: Portal) -> None:
    login(portal.world.adam)
    url = reverse("engagement:alert_limits")
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"form": "limit", "program": "ccm", "measure": "glucose", "low": "300", "high": "100"}
    )
    assert bad.status_code == 422 and 'id="id_high_error"' in bad.content.decode()
    good = client.post(
        url, {"form": "limit", "program": "ccm", "measure": "glucose", "low": "80", "high": "250"}
    )
    assert good.status_code == 302
    login(portal.world.alice)
    assert client.get(url).status_code == 403


def test_a_patient_who_turned_on_a_second_factor_must_give_it(client: Client, portal: Portal) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.conftest import current_code

    patient_client(client, portal.paula_login)
    setup = client.get(reverse("second_factor_setup"))
    assert setup.status_code == 200 and "Back to my portal" in setup.content.decode()
    device = TOTPDevice.objects.create(user=portal.paula_login, name="Phone", confirmed=True)
    patient_client(client, portal.paula_login)
    asked = client.get(reverse("portal:home"))
    assert asked.status_code == 302 and "second-factor" in asked["Location"]
    assert client.post(reverse("second_factor"), {"token": current_code(device)}).status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200


def test_opening_the_teams_message_marks_it_read_and_a_reply_joins_the_thread(
    client: Client, portal: Portal
) -> None:
    world = portal.world
    sent = actions.do_send_message(world.alice, world.paula, subject="Your labs", body="All fine.")
    patient_client(client, portal.paula_login)
    assert client.get(reverse("portal:home")).context["portal_unread"] == 1
    client.get(reverse("portal:message", args=[sent.pk]))
    sent.refresh_from_db()
    assert sent.read_at is not None and sent.read_by == portal.paula_login
    client.post(reverse("portal:message", args=[sent.pk]), {"body": "Thank you"})
    reply = Message.objects.get(reply_to=sent)
    assert reply.subject == "Re: Your labs" and reply.from_patient
    assert client.get(reverse("portal:home")).context["portal_unread"] == 0
