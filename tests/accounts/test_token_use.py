"""Bearer tokens at the moment of use: hashed lookup, expiry, revocation, and an audit event every time."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from careconductor.accounts.actions import do_create_token, do_revoke_token, do_use_token
from careconductor.core.errors import ActionRefused
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db


def test_each_use_of_a_token_is_audited_and_remembered(world: World) -> None:
    token, secret = do_create_token(world.alice, scopes=["user/Patient.read"])
    for _ in range(2):
        assert do_use_token(secret).pk == token.pk
    uses = AuditEvent.objects.filter(user=world.alice, object_type="ApiToken", action="login")
    assert uses.count() == 2 and {e.object_id for e in uses} == {token.prefix}
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_an_unknown_token_is_refused_and_the_refusal_audited(world: World) -> None:
    with pytest.raises(ActionRefused, match="not valid"):
        do_use_token("cc_not-a-real-token")
    assert AuditEvent.objects.filter(action="login_failed", object_type="ApiToken").count() == 1


def test_an_expired_token_is_refused(world: World) -> None:
    _, secret = do_create_token(world.alice, days=1)
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1), tick=False),
        pytest.raises(ActionRefused, match="not valid"),
    ):
        do_use_token(secret)
    refused = AuditEvent.objects.get(action="login_failed", object_type="ApiToken")
    assert refused.user == world.alice


def test_a_revoked_token_is_refused_at_once(world: World) -> None:
    token, secret = do_create_token(world.alice)
    do_use_token(secret)
    do_revoke_token(world.alice, token)
    with pytest.raises(ActionRefused):
        do_use_token(secret)


def test_a_deactivated_users_token_is_refused(world: World) -> None:
    _, secret = do_create_token(world.alice)
    world.alice.is_active = False
    world.alice.save(update_fields=["is_active"])
    with pytest.raises(ActionRefused):
        do_use_token(secret)
