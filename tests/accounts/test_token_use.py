"""Bearer tokens at the moment of use: hashed lookup, expiry, revocation; the use written down at most once a
minute (accounts.actions.TOKEN_USE_RECORDED_EVERY), every refusal audited."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from careconductor.accounts.actions import (
    TOKEN_USE_RECORDED_EVERY,
    do_create_token,
    do_revoke_token,
    do_use_found_token,
    do_use_token,
    find_token,
)
from careconductor.core.errors import ActionRefused
from careconductor.privacy.models import AuditEvent

from ..personas import World

pytestmark = pytest.mark.django_db


def test_a_tokens_use_is_written_down_once_a_minute(world: World) -> None:
    token, secret = do_create_token(world.alice, scopes=["user/Patient.read"])
    uses = AuditEvent.objects.filter(user=world.alice, object_type="ApiToken", action="login")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            assert do_use_token(secret).pk == token.pk
        assert uses.count() == 1 and uses.get().object_id == token.prefix
    token.refresh_from_db()
    assert token.last_used_at == start
    with time_machine.travel(start + TOKEN_USE_RECORDED_EVERY - dt.timedelta(seconds=1), tick=False):
        do_use_token(secret)
    assert uses.count() == 1
    later = start + TOKEN_USE_RECORDED_EVERY
    with time_machine.travel(later, tick=False):
        do_use_token(secret)
    assert uses.count() == 2
    token.refresh_from_db()
    assert token.last_used_at == later


def test_a_use_found_due_by_two_requests_is_written_once(world: World) -> None:
    """Two requests that looked the token up before either used it: only the one that moves last_used_at
    writes the event."""
    _token, secret = do_create_token(world.alice)
    first, second = find_token(secret), find_token(secret)
    do_use_found_token(first)
    do_use_found_token(second)
    assert AuditEvent.objects.filter(object_type="ApiToken", action="login").count() == 1


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


def test_every_refusal_is_audited(world: World) -> None:
    token, secret = do_create_token(world.alice)
    do_revoke_token(world.alice, token)
    for _ in range(3):
        with pytest.raises(ActionRefused):
            do_use_token(secret)
    assert AuditEvent.objects.filter(action="login_failed", object_id=token.prefix).count() == 3
