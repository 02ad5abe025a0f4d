"""Log-in as an attacker meets it: guessing is paused, a password alone opens nothing where the organisation
asks for a second factor, recovery codes are single-use, passwords are hashed with Argon2 and API tokens are
kept only as hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from io import StringIO

import pytest
import time_machine
from axes.models import AccessAttempt
from django.core.management import CommandError, call_command, get_commands
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from careconductor.accounts.actions import (
    do_begin_totp_enrolment,
    do_confirm_totp,
    do_create_token,
    do_create_user,
    do_revoke_token,
    do_set_mfa_roles,
)
from careconductor.accounts.choices import STAFF_ROLES, Role
from careconductor.accounts.models import ApiToken, Organization, User
from careconductor.core.errors import ActionRefused
from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, World

pytestmark = pytest.mark.django_db

NOT_RIGHT = "That code is not right"


def log_in(client: Client, username: str, password: str) -> HttpResponse:
    return client.post(reverse("login"), {"username": username, "password": password})


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def without_csrf_tokens(body: str) -> str:
    # Masked CSRF tokens are 64 letters and digits, different on every page rendered.
    return re.sub(r"[A-Za-z0-9]{64}", "<token>", body)


def code(device: TOTPDevice, offset_steps: int = 0) -> str:
    """The authenticator's code now, or that many 30-second steps away."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    """An authenticator confirmed through the set-up action, with its recovery codes."""
    device = do_begin_totp_enrolment(user)
    codes = do_confirm_totp(user, device, code(device))
    device.refresh_from_db()
    return device, codes


def _walk(patterns: list, prefix: str = "") -> list[tuple[str, URLPattern]]:
    found: list[tuple[str, URLPattern]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            found += _walk(p.url_patterns, prefix + (f"{p.namespace}:" if p.namespace else ""))
        else:
            found.append((prefix + (p.name or ""), p))
    return found


STAFF_PATTERNS = [
    (name, p) for name, p in _walk(get_resolver().url_patterns) if p.callback.access_policy == "staff"
]


def staff_url(name: str, pattern: URLPattern, world: World) -> str:
    """The pattern with Paula's ids filled in; other ids (a grant, a consent) get 1, which may not exist."""
    known = {"patient_id": world.paula.pk, "case_id": world.paula_case.pk}
    return reverse(name, kwargs={k: known.get(k, 1) for k in pattern.pattern.converters})


def names_other_records(pattern: URLPattern) -> bool:
    return bool(set(pattern.pattern.converters) - {"patient_id", "case_id"})


# --- log-in (the lock-out: test_lockout.py) -------------------------------------------------------------


def test_an_unknown_user_name_and_a_wrong_password_get_the_same_answer(world: World, client: Client) -> None:
    unknown = log_in(client, "zelda", "not-her-password")
    wrong = log_in(client, "alice", "not-her-password")

    assert unknown.status_code == wrong.status_code == 200
    unknown_body = without_csrf_tokens(unknown.content.decode()).replace('value="zelda"', 'value="…"')
    wrong_body = without_csrf_tokens(wrong.content.decode()).replace('value="alice"', 'value="…"')
    assert unknown_body == wrong_body


def test_a_user_name_too_long_for_any_user_is_refused_before_authentication(
    world: World, client: Client
) -> None:
    # django-axes keeps typed names in a 255-character column: a longer one used to crash on PostgreSQL.
    response = log_in(client, "a" * 300, "not-a-password")

    assert response.status_code == 200
    assert "at most 150 characters" in response.content.decode()
    assert not logged_in(client)
    assert not AccessAttempt.objects.exists()


# --- the second factor --------------------------------------------------------------------------------------


def test_staff_patterns_are_walked() -> None:
    names = {name for name, _ in STAFF_PATTERNS}
    assert {"patients:chart", "cases:detail", "cases:transition", "security_settings"} <= names


def test_home_only_sends_each_person_to_where_their_day_starts(world: World, login, client: Client) -> None:
    # "home" is guarded as signed-in (patients land there too); what it sends a half-logged-in user to still
    # asks for the second factor.
    login(world.alice, second_factor=False)
    first = client.get("/")
    assert first.status_code == 302 and first["Location"] == "/worklist/"
    second = client.get(first["Location"])
    assert second.status_code == 302 and "second-factor" in second["Location"]


def test_a_password_alone_opens_no_staff_page(world: World, login) -> None:
    client = login(world.alice, second_factor=False)
    before = (
        world.paula_case.status_changes.count(),
        world.paula.conditions.count(),
        Organization.objects.get(pk=world.riverside.pk).mfa_required_roles,
    )

    for name, pattern in STAFF_PATTERNS:
        url = staff_url(name, pattern, world)
        for method in ("get", "post"):
            response = getattr(client, method)(
                url, {"target": "screening", "icd10_code": "E11.9", "display": "x"}
            )
            assert response.status_code == 302, f"{method.upper()} {url}: {response.status_code}"
            assert response["Location"].startswith(reverse("second_factor") + "?next="), url

    after = (
        world.paula_case.status_changes.count(),
        world.paula.conditions.count(),
        Organization.objects.get(pk=world.riverside.pk).mfa_required_roles,
    )
    assert after == before


def test_after_the_second_factor_the_same_pages_open(world: World, login) -> None:
    client = login(world.alice, second_factor=False)
    device, _ = enrol(world.alice)
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=device.step), tick=False):
        response = client.post(reverse("second_factor"), {"token": code(device), "next": "/patients/"})
    assert response.status_code == 302
    assert response["Location"] == "/patients/"

    for name, pattern in STAFF_PATTERNS:
        url = staff_url(name, pattern, world)
        response = client.get(url)
        # 403 for pages of other roles and 405 for POST-only endpoints: the guard let the request through;
        # 404 only where the URL names a record other than Paula or her case.
        allowed = (200, 302, 403, 405, 404) if names_other_records(pattern) else (200, 302, 403, 405)
        assert response.status_code in allowed, f"GET {url}: {response.status_code}"
        if response.status_code == 302:
            assert not response["Location"].startswith((reverse("second_factor"), reverse("login"))), url
    for name in ("patients:list", "patients:chart", "cases:list", "cases:detail"):
        pattern = dict(STAFF_PATTERNS)[name]
        assert client.get(staff_url(name, pattern, world)).status_code == 200, name


def test_no_second_factor_is_asked_when_the_organisation_does_not_require_it_for_the_role(
    world: World, login
) -> None:
    do_set_mfa_roles(world.adam, world.riverside, sorted(str(r) for r in STAFF_ROLES - {Role.CASE_MANAGER}))
    client = login(world.alice, second_factor=False)

    assert client.get(reverse("home"))["Location"] == reverse("coordination:worklist")
    assert client.get(reverse("cases:detail", args=[world.paula_case.pk])).status_code == 200
    assert not TOTPDevice.objects.filter(user=world.alice).exists()

    # A supervisor still needs it.
    client = login(world.sam, second_factor=False)
    assert client.get(reverse("cases:list"))["Location"].startswith(reverse("second_factor"))


def test_a_wrong_code_is_refused_beside_the_field_and_audited(world: World, login) -> None:
    device, _ = enrol(world.alice)
    client = login(world.alice, second_factor=False)
    accepted = {code(device, step) for step in (-1, 0, 1)}  # django-otp allows one step of drift
    wrong = next(c for c in ("123456", "654321", "111111") if c not in accepted)

    response = client.post(reverse("second_factor"), {"token": wrong})

    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'<p class="error" id="id_token_error">That code is not right\.', body)
    assert client.get(reverse("cases:list")).status_code == 302
    event = AuditEvent.objects.filter(action="login_failed").latest("seq")
    assert (event.user, event.detail) == (world.alice, "second factor")


def test_a_recovery_code_works_once_only(world: World, login) -> None:
    _, codes = enrol(world.alice)
    start = timezone.now() + dt.timedelta(minutes=1)
    with time_machine.travel(start, tick=False) as traveller:
        client = login(world.alice, second_factor=False)
        response = client.post(reverse("second_factor"), {"token": codes[0]})
        assert response.status_code == 302
        assert client.get(reverse("cases:list")).status_code == 200
        client.post(reverse("logout"))

        # Past django-otp's back-off after the failed authenticator check the recovery code caused.
        traveller.shift(dt.timedelta(minutes=1))
        client = login(world.alice, second_factor=False)
        response = client.post(reverse("second_factor"), {"token": codes[0]})
        assert response.status_code == 200
        assert NOT_RIGHT in response.content.decode()
        assert client.get(reverse("cases:list"))["Location"].startswith(reverse("second_factor"))

        traveller.shift(dt.timedelta(minutes=1))
        assert client.post(reverse("second_factor"), {"token": codes[1]}).status_code == 302
    details = list(
        AuditEvent.objects.filter(user=world.alice, action="login").values_list("detail", flat=True)
    )
    assert details.count("second factor: recovery code") == 2


def test_set_up_refuses_a_new_authenticator_before_the_current_one_is_used(world: World, login) -> None:
    device, _ = enrol(world.alice)
    client = login(world.alice, second_factor=False)

    for method in ("get", "post"):
        response = getattr(client, method)(reverse("second_factor_setup"), {"token": "123456"})
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("second_factor") + "?next=")

    assert list(TOTPDevice.objects.filter(user=world.alice)) == [device]
    refusals = AuditEvent.objects.filter(user=world.alice, action="refused", object_type="MfaDevice")
    assert refusals.count() == 2


# --- the organisation's second-factor policy ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "sam", "pia", "mo"])
def test_only_administrators_open_the_security_settings(world: World, persona: str, login) -> None:
    client = login(getattr(world, persona))
    before = list(Organization.objects.get(pk=world.riverside.pk).mfa_required_roles)

    assert client.get(reverse("security_settings")).status_code == 403
    assert client.post(reverse("security_settings"), {"mfa_required_roles": ["admin"]}).status_code == 403

    assert Organization.objects.get(pk=world.riverside.pk).mfa_required_roles == before


def test_an_administrator_changes_which_roles_need_a_second_factor(world: World, login) -> None:
    client = login(world.adam)
    assert client.get(reverse("security_settings")).status_code == 200

    response = client.post(reverse("security_settings"), {"mfa_required_roles": ["admin", "privacy_officer"]})

    assert response.status_code == 302
    world.riverside.refresh_from_db()
    assert world.riverside.mfa_required_roles == ["admin", "privacy_officer"]
    event = AuditEvent.objects.filter(user=world.adam, action="update").latest("seq")
    assert (event.object_type, event.object_id) == ("Organization", str(world.riverside.pk))
    assert event.detail == "second-factor roles: admin,privacy_officer"
    # Lakeside's policy is its own.
    world.lakeside.refresh_from_db()
    assert world.lakeside.mfa_required_roles == sorted(str(r) for r in STAFF_ROLES)


def test_unknown_roles_are_refused_and_nothing_changes(world: World, login) -> None:
    client = login(world.adam)
    before = list(Organization.objects.get(pk=world.riverside.pk).mfa_required_roles)
    events = AuditEvent.objects.filter(action="update").count()

    response = client.post(reverse("security_settings"), {"mfa_required_roles": ["admin", "wizard"]})

    assert response.status_code == 400
    assert re.search(
        r'<p class="error" id="id_mfa_required_roles_error">Select a valid choice\. wizard is not one',
        response.content.decode(),
    )
    assert Organization.objects.get(pk=world.riverside.pk).mfa_required_roles == before
    assert AuditEvent.objects.filter(action="update").count() == events
    with pytest.raises(ActionRefused):
        do_set_mfa_roles(world.adam, world.riverside, ["admin", "wizard"])
    with pytest.raises(ActionRefused):
        do_set_mfa_roles(world.charlie, world.riverside, ["admin"])


# --- passwords --------------------------------------------------------------------------------------------


@pytest.mark.real_hasher
def test_passwords_are_stored_as_argon2_hashes(world: World) -> None:
    zoe = do_create_user("zoe", Role.CASE_MANAGER, world.riverside, PASSWORD)
    stored = User.objects.get(pk=zoe.pk).password
    # OWASP's minimum configuration (accounts/hashers.py): 19 MiB, 2 passes, 1 lane.
    assert stored.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert PASSWORD not in stored
    assert zoe.check_password(PASSWORD)


@pytest.mark.real_hasher
def test_a_hash_made_with_djangos_default_parameters_still_logs_in_and_is_rehashed(world: World) -> None:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    zoe = do_create_user("zoe", Role.CASE_MANAGER, world.riverside, PASSWORD)
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert "m=102400,t=2,p=8" in old
    User.objects.filter(pk=zoe.pk).update(password=old)
    client = Client()
    assert client.post(reverse("login"), {"username": "zoe", "password": PASSWORD}).status_code == 302
    assert "m=19456,t=2,p=1" in User.objects.get(pk=zoe.pk).password


@pytest.mark.parametrize("weak", ["password123", "Tr0ub4dor", "31415926535", "zoeharrington!"])
def test_createuser_refuses_weak_passwords(world: World, weak: str) -> None:
    # `careconductor createuser` is this management command (careconductor.cli hands its arguments to
    # Django). Called in-process: the console script's run_from_argv closes the database connections,
    # which would end the test's transaction on PostgreSQL.
    assert get_commands()["createuser"] == "careconductor.accounts"
    with pytest.raises(CommandError) as refused:
        call_command(
            "createuser",
            "zoeharrington",
            role="case_manager",
            password=weak,
            organization="Riverside Health",
            stdout=StringIO(),
        )
    assert "password" in str(refused.value).lower()
    assert not User.objects.filter(username="zoeharrington").exists()


# --- API tokens ----------------------------------------------------------------------------------------------


def _row_values(token: ApiToken) -> list[str]:
    return [str(field.value_from_object(token)) for field in ApiToken._meta.concrete_fields]


def test_a_token_is_stored_as_its_sha256_with_scopes_and_an_expiry(world: World) -> None:
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        token, secret = do_create_token(world.alice, name="laptop", scopes=["user/Patient.read"], days=30)

    token = ApiToken.objects.get(pk=token.pk)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in value for value in _row_values(token))
    assert token.scopes == ["user/Patient.read"]
    assert token.expires_at == now + dt.timedelta(days=30)
    event = AuditEvent.objects.get(action="create", object_type="ApiToken")
    assert (event.user, event.object_id) == (world.alice, str(token.pk))
    assert secret not in event.detail


def test_revoking_a_token_records_when_and_is_audited(world: World) -> None:
    token, _ = do_create_token(world.alice)
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        do_revoke_token(world.alice, token)

    assert ApiToken.objects.get(pk=token.pk).revoked_at == now
    event = AuditEvent.objects.get(action="update", object_type="ApiToken")
    assert (event.user, event.object_id, event.detail) == (world.alice, str(token.pk), "revoked")
