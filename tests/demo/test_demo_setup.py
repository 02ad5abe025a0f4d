"""The demo's set-up screens (issue 17 §2): teams that receive their programmes, transitional care's own rules,
an invited person who has not joined; what the administrator sees on a fresh demo."""

from __future__ import annotations

import pytest
from django.urls import reverse

from careconductor.accounts.models import Team, User
from careconductor.administration.queries import setup_incomplete
from careconductor.cases.choices import Program
from careconductor.cases.programs import program_rules
from careconductor.demo.generator import PASSWORD

pytestmark = pytest.mark.django_db


def test_the_demo_administrator_sees_teams_programmes_and_an_invitation(demo: str, client) -> None:  # type: ignore[no-untyped-def]
    admin = User.objects.get(username="admin")
    assert not setup_incomplete(admin), "the demo's day starts on the worklist"
    assert all(t.programs for t in Team.objects.filter(organization=admin.organization))
    tcm = program_rules(admin.org_id, Program.TCM)
    assert (tcm.customised, tcm.plan_approval, tcm.reassessment_days) == (True, False, {"ahc-hrsn": 30})
    invited = User.objects.get(first_name="Grace", last_name="Kim", role="care_team")
    assert not invited.has_usable_password()
    assert invited.username not in demo, "someone without a password is not offered as a demo log-in"

    assert client.post(reverse("login"), {"username": "admin", "password": PASSWORD}).status_code == 302
    teams = client.get(reverse("administration:teams")).content.decode()
    assert "Transitional care" in teams and "Behavioral Health" in teams
    staff = client.get(reverse("administration:staff")).content.decode()
    assert "Grace Kim" in staff and "invited" in staff
    programmes = client.get(reverse("administration:programs")).content.decode()
    assert programmes.count("(defaults)") == len(Program) - 1


def test_most_demo_patients_were_asked_about_allergies(demo: str) -> None:
    from careconductor.patients.models import Allergy

    from .people import demo_patients

    patients = demo_patients().count()
    asked = Allergy.objects.values("patient_id").distinct().count()
    none_known = Allergy.objects.filter(code="716186003").count()
    assert 0.6 * patients <= asked < patients, "most were asked; some are still to ask"
    assert 0.3 * patients <= none_known <= 0.5 * patients
    assert Allergy.objects.filter(criticality="high", severity="severe").exists()


def test_the_demo_feed_gets_a_token_with_the_key_in_the_data_folder(demo: str, client, settings) -> None:  # type: ignore[no-untyped-def]
    """The demo's two SMART apps are registered, and the nightly feed's private key (kept 0600 in the data
    folder) signs an assertion the token endpoint accepts (SMART Backend Services)."""
    import time
    import uuid
    from pathlib import Path

    import jwt as pyjwt

    from careconductor.demo.smart import KEY_FILE
    from careconductor.smart.models import SmartApp

    apps = {a.client.name: a for a in SmartApp.objects.select_related("client")}
    assert set(apps) == {"Blood pressure coach", "Nightly data warehouse"}
    path = Path(settings.DATA_HOME) / KEY_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    feed = apps["Nightly data warehouse"].client.client_id
    claims = {"iss": feed, "sub": feed, "aud": "http://testserver/oauth/token/", "exp": int(time.time()) + 120,
              "jti": str(uuid.uuid4())}  # fmt: skip
    assertion = pyjwt.encode(claims, path.read_bytes(), algorithm="ES384", headers={"kid": "warehouse-1"})
    answer = client.post("/oauth/token/", {
        "grant_type": "client_credentials", "scope": "system/*.rs",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion,
    })  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert answer.json()["scope"] == "system/*.rs" and answer.json()["expires_in"] <= 300
