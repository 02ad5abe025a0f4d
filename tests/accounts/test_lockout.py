"""Log-in lock-out through the real log-in page (django-axes with accounts/lockout.py): a user name is paused from
the address its failures came from, an address after more failures across any user names, each lock-out is
audited as one with the name tried and the address, and the page says why and until when."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from careconductor.privacy.models import AuditEvent

from ..personas import PASSWORD, World

pytestmark = pytest.mark.django_db

LOGIN_PAUSED = "Log-in paused"
WRONG = "Please enter a correct username and password"
HERE = "10.0.0.9"
ELSEWHERE = "10.0.0.10"


def log_in(client: Client, username: str, password: str, address: str = HERE, **headers: str) -> HttpResponse:
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address, **headers
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail(client: Client, username: str, times: int, address: str = HERE) -> HttpResponse:
    response = HttpResponse()
    for _ in range(times):
        response = log_in(client, username, "not-the-password", address)
    return response


def lock_outs() -> list[tuple[str, str | None, str]]:
    return list(
        AuditEvent.objects.filter(action="locked_out")
        .order_by("pk")
        .values_list("username", "client_address", "detail")
    )


# --- a user name, from one address ------------------------------------------------------------------------


def test_five_failures_pause_log_in_even_with_the_right_password(world: World, client: Client) -> None:
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = log_in(client, "alice", "not-her-password")
        assert response.status_code == 200
        assert WRONG in response.content.decode()
    # The fifth failure reaches the limit: that answer is already the pause page.
    assert LOGIN_PAUSED in log_in(client, "alice", "not-her-password").content.decode()

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert LOGIN_PAUSED in response.content.decode()
    assert not logged_in(client)
    assert client.get(reverse("cases:list"))["Location"].startswith("/login/")


def test_failures_are_audited_and_the_lock_out_as_a_lock_out_with_the_name_and_the_address(
    world: World, client: Client
) -> None:
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)
    log_in(client, "alice", PASSWORD)  # refused while paused: audited too

    failures = AuditEvent.objects.filter(action="login_failed")
    assert failures.count() == settings.AXES_FAILURE_LIMIT + 1  # the refused attempt is a failed log-in too
    assert set(failures.values_list("username", "client_address")) == {("alice", HERE)}
    assert lock_outs() == [
        ("alice", HERE, "locked out: repeated failed log-ins with this user name from this address"),
        (
            "alice",
            HERE,
            "refused while locked out: repeated failed log-ins with this user name from this address",
        ),
    ]
    assert not AuditEvent.objects.filter(action="locked_out", user__isnull=False).exists()
    assert not AuditEvent.objects.filter(detail__contains="not-the-password").exists()
    assert not AuditEvent.objects.filter(
        action="refused", object_type="Login"
    ).exists()  # not a plain refusal


def test_the_same_user_name_from_another_address_still_logs_in(world: World, client: Client) -> None:
    """Nobody can keep a colleague out from everywhere by typing their name: the pause is for that address."""
    fail(client, "alice", settings.AXES_FAILURE_LIMIT, address=HERE)
    assert log_in(client, "alice", PASSWORD, HERE).status_code == 429

    response = log_in(client, "alice", PASSWORD, ELSEWHERE)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.alice.pk)


def test_locking_one_user_name_does_not_lock_another_at_the_same_address(
    world: World, client: Client
) -> None:
    fail(client, "alice", settings.AXES_FAILURE_LIMIT)

    response = log_in(client, "bob", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.bob.pk)


# --- an address, whatever names it tries ------------------------------------------------------------------------


def test_failures_spread_over_many_user_names_pause_the_address(world: World, client: Client) -> None:
    limit = settings.CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES
    assert limit == 20 and limit > settings.AXES_FAILURE_LIMIT
    names = [f"guess{n}" for n in range(limit // 2)]  # two tries each: far below a name's own limit
    for name in names[:-1]:
        assert LOGIN_PAUSED not in fail(client, name, 2).content.decode()
    assert LOGIN_PAUSED not in fail(client, names[-1], 1).content.decode()  # one short of the address's limit

    paused = fail(client, names[-1], 1)

    assert LOGIN_PAUSED in paused.content.decode()
    assert "from this network address" in paused.content.decode()
    refused = log_in(client, "bob", PASSWORD)  # a right password of someone never tried, from there
    assert refused.status_code == 429 and not logged_in(client)
    assert log_in(client, "bob", PASSWORD, ELSEWHERE).status_code == 302  # the address only
    address_words = "repeated failed log-ins from this address with any user name"
    assert lock_outs() == [
        (names[-1], HERE, f"locked out: {address_words}"),
        ("bob", HERE, f"refused while locked out: {address_words}"),
    ]


def test_a_successful_log_in_does_not_clear_the_address_count(world: World, client: Client) -> None:
    """Someone with an account of their own cannot log in between guesses to start the address's count again."""
    limit = settings.CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES
    for n in range(limit - 1):
        fail(client, f"guess{n}", 1)
    assert log_in(client, "bob", PASSWORD).status_code == 302
    client.logout()

    assert LOGIN_PAUSED in fail(client, "guess-last", 1).content.decode()
    assert log_in(client, "bob", PASSWORD).status_code == 429


def test_a_successful_log_in_clears_that_users_own_failures(world: World, client: Client) -> None:
    fail(client, "alice", settings.AXES_FAILURE_LIMIT - 1)
    assert log_in(client, "alice", PASSWORD).status_code == 302
    client.logout()

    assert LOGIN_PAUSED not in fail(client, "alice", settings.AXES_FAILURE_LIMIT - 1).content.decode()
    assert not AccessAttempt.objects.filter(username="alice", failures_since_start__gte=5).exists()


# --- behind a reverse proxy --------------------------------------------------------------------------------------


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(
    world: World, client: Client, settings
) -> None:
    settings.CARECONDUCTOR_TRUSTED_PROXIES = 1
    proxy = "10.0.0.1"
    for n in range(settings.CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES):
        log_in(client, f"guess{n}", "nope", proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.5")

    # Another patient behind the same proxy logs in; the guesser's address is paused, whatever it claims.
    assert log_in(client, "bob", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 302
    client.logout()
    assert (
        log_in(client, "bob", PASSWORD, proxy, HTTP_X_FORWARDED_FOR="9.9.9.9, 203.0.113.5").status_code == 429
    )
    addresses = set(AuditEvent.objects.filter(action="login_failed").values_list("client_address", flat=True))
    assert addresses == {
        "203.0.113.5"
    }  # the audit trail records the same address: not the proxy, not the claim
    assert AuditEvent.objects.get(action="login").client_address == "198.51.100.7"


def test_without_a_trusted_proxy_a_forwarded_for_header_is_not_believed(world: World, client: Client) -> None:
    for n in range(settings.CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES):
        log_in(client, f"guess{n}", "nope", HERE, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")

    assert log_in(client, "bob", PASSWORD, HERE, HTTP_X_FORWARDED_FOR="192.0.2.200").status_code == 429
    assert set(AuditEvent.objects.filter(action="login_failed").values_list("client_address", flat=True)) == {
        HERE
    }


# --- how long, and what the page says --------------------------------------------------------------------------


def local_time(moment: dt.datetime) -> str:
    return dateformat.time_format(timezone.localtime(moment), "g:i a")


def test_the_page_says_when_log_in_opens_again_and_who_can_help(world: World, client: Client) -> None:
    # django-axes reads the clock through django.utils.timezone, as core.clock does: time-machine moves both.
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        locked_at = timezone.now()
        page = fail(client, "alice", settings.AXES_FAILURE_LIMIT).content.decode()
        traveller.shift(dt.timedelta(minutes=10))
        later = log_in(client, "alice", PASSWORD).content.decode()

    opens = local_time(locked_at + settings.AXES_COOLOFF_TIME)
    assert "with this user name from here" in page
    assert "try again at <strong><time datetime=" in page and f">{opens}</time>" in page
    assert "(in 15 minutes)" in page
    assert f">{opens}</time>" in later and "(in 5 minutes)" in later  # the same end, nearer
    assert "ask your administrator" in page


def test_the_pause_ends_when_the_cool_off_time_has_passed(world: World, client: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail(client, "alice", settings.AXES_FAILURE_LIMIT)

        traveller.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)
    assert not AccessAttempt.objects.filter(username="alice").exists()  # AXES_RESET_ON_SUCCESS


def test_attempts_during_the_pause_do_not_prolong_it(world: World, client: Client) -> None:
    """AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT is off: the pause ends 15 minutes after the lock-out,
    whatever is tried meanwhile, so nobody can keep a colleague locked out by guessing on."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        fail(client, "alice", settings.AXES_FAILURE_LIMIT)

        traveller.shift(dt.timedelta(minutes=10))
        assert LOGIN_PAUSED in log_in(client, "alice", "still-guessing").content.decode()
        assert LOGIN_PAUSED in log_in(client, "alice", PASSWORD).content.decode()
        assert not logged_in(client)

        traveller.shift(dt.timedelta(minutes=5, seconds=1))  # 15 minutes after the lock-out
        assert log_in(client, "alice", PASSWORD).status_code == 302
    assert logged_in(client)


def test_an_address_pause_ends_after_the_cool_off_time_too(world: World, client: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for n in range(settings.CARECONDUCTOR_LOCKOUT_ADDRESS_FAILURES):
            fail(client, f"guess{n}", 1)
        assert log_in(client, "bob", PASSWORD).status_code == 429

        traveller.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1))
        assert log_in(client, "bob", PASSWORD).status_code == 302
