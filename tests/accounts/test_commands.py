"""The `createuser` and `token` commands an operator runs to set up people and API access."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from careconductor.accounts.models import ApiToken, Organization, User
from careconductor.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

STRONG = "quiet-harbour-lantern-42"
NOW = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)


def run(*args: str, **options: Any) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


def everything() -> tuple[int, int, int, int]:
    return (
        User.objects.count(),
        Organization.objects.count(),
        ApiToken.objects.count(),
        AuditEvent.objects.count(),
    )


# --- createuser -------------------------------------------------------------------------------------------


@pytest.mark.real_hasher
def test_createuser_makes_a_user_with_an_argon2_hash() -> None:
    out = run("createuser", "zoe", role="case_manager", password=STRONG, first_name="Zoe", last_name="Ng")
    zoe = User.objects.get(username="zoe")
    assert zoe.role == "case_manager"
    assert (zoe.first_name, zoe.last_name) == ("Zoe", "Ng")
    assert zoe.password.startswith("argon2")
    assert STRONG not in zoe.password
    assert zoe.check_password(STRONG)
    assert out.strip() == "Created zoe (Case manager) in My organisation."
    # Staff get a profile for the administrator to complete (a patient's log-in gets none).
    assert (zoe.profile.team, zoe.profile.discipline) == (None, "")


def test_the_first_user_gets_a_new_organisation_and_later_ones_join_it() -> None:
    run("createuser", "zoe", role="admin", password=STRONG)
    run("createuser", "yan", role="case_manager", password=STRONG)
    [org] = Organization.objects.all()
    assert set(org.users.values_list("username", flat=True)) == {"zoe", "yan"}


def test_it_names_the_organisation_when_asked() -> None:
    run("createuser", "zoe", role="supervisor", password=STRONG, organization="Riverside Health")
    assert User.objects.get(username="zoe").organization.name == "Riverside Health"  # type: ignore[union-attr]


def test_creating_a_user_is_audited() -> None:
    run("createuser", "zoe", role="case_manager", password=STRONG)
    zoe = User.objects.get(username="zoe")
    event = AuditEvent.objects.get(action="create", object_type="User")
    assert event.object_id == str(zoe.pk)
    assert event.user is None  # the operator at the console has no account


@pytest.mark.parametrize(
    ("username", "weak"),
    [
        ("zoe", "password123"),  # a common password
        ("zoe", "Tr0ub4dor"),  # shorter than 10 characters
        ("zoe", "73910284756"),  # only digits
        ("zoeharrington", "zoeharrington1"),  # the user name again
    ],
)
def test_it_refuses_a_weak_password_and_creates_nothing(username: str, weak: str) -> None:
    before = everything()
    with pytest.raises(CommandError) as refused:
        run("createuser", username, role="case_manager", password=weak)
    assert "password" in str(refused.value).lower()
    assert everything() == before


def test_a_refused_user_does_not_leave_a_new_organisation_behind() -> None:
    run("createuser", "adam", role="admin", password=STRONG, organization="Riverside Health")
    before = everything()
    with pytest.raises(CommandError):
        run("createuser", "zoe", role="admin", password="password", organization="Lakeside Clinic")
    assert everything() == before
    assert not Organization.objects.filter(name="Lakeside Clinic").exists()


def test_it_refuses_a_taken_name_and_creates_nothing() -> None:
    run("createuser", "zoe", role="case_manager", password=STRONG)
    before = everything()
    with pytest.raises(CommandError) as refused:
        run("createuser", "zoe", role="admin", password="another-" + STRONG)
    assert "taken" in str(refused.value)
    assert everything() == before
    assert User.objects.get(username="zoe").role == "case_manager"


def test_it_refuses_an_unknown_role() -> None:
    with pytest.raises(CommandError):
        run("createuser", "zoe", role="wizard", password=STRONG)
    assert not User.objects.exists()


def test_with_several_organisations_it_asks_which_one() -> None:
    Organization.objects.create(name="Riverside Health")
    Organization.objects.create(name="Lakeside Clinic")
    with pytest.raises(CommandError) as refused:
        run("createuser", "zoe", role="case_manager", password=STRONG)
    assert "--organization" in str(refused.value)
    assert not User.objects.exists()


def test_without_a_password_and_no_terminal_it_makes_one_and_prints_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", StringIO())  # not a terminal
    out = run("createuser", "zoe", role="case_manager")
    password = out.strip().splitlines()[-1].removeprefix("Password: ")
    assert len(password) >= 12
    assert User.objects.get(username="zoe").check_password(password)


# --- tokens -----------------------------------------------------------------------------------------------


@pytest.fixture
def zoe() -> User:
    run("createuser", "zoe", role="case_manager", password=STRONG)
    return User.objects.get(username="zoe")


def test_a_new_token_is_printed_once_and_only_its_hash_is_kept(zoe: User) -> None:
    with time_machine.travel(NOW, tick=False):
        secret = run("token", "create", "zoe", "--name", "laptop").strip()
    assert secret.startswith("cc_")
    assert len(secret) > 40

    token = ApiToken.objects.get(user=zoe)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:10]
    assert token.name == "laptop"
    assert token.scopes == ["user/*.read"]
    assert token.expires_at == NOW + dt.timedelta(days=90)
    assert token.revoked_at is None
    for field in ApiToken._meta.concrete_fields:
        assert secret not in str(field.value_from_object(token)), f"the secret is stored in {field.name}"
    assert AuditEvent.objects.filter(user=zoe, action="create", object_type="ApiToken").exists()


def test_every_token_is_different(zoe: User) -> None:
    secrets = {run("token", "create", "zoe").strip() for _ in range(3)}
    assert len(secrets) == 3
    assert ApiToken.objects.filter(user=zoe).count() == 3


def test_a_token_can_be_limited_in_scope_and_made_permanent(zoe: User) -> None:
    run("token", "create", "zoe", "--scope", "user/Patient.read", "--scope", "user/Case.read", "--days", "0")
    token = ApiToken.objects.get(user=zoe)
    assert token.scopes == ["user/Patient.read", "user/Case.read"]
    assert token.expires_at is None


def test_a_deactivated_user_gets_no_token(zoe: User) -> None:
    User.objects.filter(pk=zoe.pk).update(is_active=False)
    with pytest.raises(CommandError):
        run("token", "create", "zoe")
    assert not ApiToken.objects.exists()


def test_a_token_for_nobody_is_refused() -> None:
    with pytest.raises(CommandError):
        run("token", "create", "nobody")


def test_token_list_shows_the_prefix_never_the_secret(zoe: User) -> None:
    with time_machine.travel(NOW, tick=False):
        secret = run("token", "create", "zoe", "--name", "laptop").strip()
    listing = run("token", "list", "zoe")
    assert secret[:10] in listing
    assert secret not in listing
    assert "laptop" in listing
    assert "expires 2026-04-05" in listing


def test_token_revoke_sets_revoked_at(zoe: User) -> None:
    secret = run("token", "create", "zoe").strip()
    prefix = secret[:10]
    with time_machine.travel(NOW, tick=False):
        out = run("token", "revoke", prefix)
    assert prefix in out
    token = ApiToken.objects.get(prefix=prefix)
    assert token.revoked_at == NOW
    assert "revoked" in run("token", "list", "zoe")
    assert AuditEvent.objects.filter(object_type="ApiToken", detail="revoked").exists()


def test_a_revoked_token_cannot_be_revoked_again(zoe: User) -> None:
    prefix = run("token", "create", "zoe").strip()[:10]
    run("token", "revoke", prefix)
    with pytest.raises(CommandError):
        run("token", "revoke", prefix)


def test_revoking_an_unknown_prefix_is_refused(zoe: User) -> None:
    run("token", "create", "zoe")
    with pytest.raises(CommandError):
        run("token", "revoke", "cc_nothere")
    assert ApiToken.objects.get().revoked_at is None
