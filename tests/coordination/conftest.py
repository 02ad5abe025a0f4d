"""Shared by the notification and worker tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huey.contrib.djhuey import HUEY  # type: ignore[import-untyped]

from careconductor.accounts.models import StaffProfile, User
from careconductor.core import sms

from ..personas import World


@pytest.fixture
def queue_in_memory_and_sms_kept(settings) -> Iterator[None]:
    """Tasks run as soon as they are queued (huey's immediate mode, an in-memory queue); texts go to
    sms.outbox. E-mail goes to django.core.mail.outbox (the test runner's locmem backend)."""
    settings.SMS_BACKEND = "careconductor.core.sms.LocmemBackend"
    settings.SITE_URL = "https://care.example.org"
    sms.outbox.clear()
    HUEY.immediate = True
    yield
    HUEY.immediate = False
    sms.outbox.clear()


@pytest.fixture
def reachable(world: World) -> World:
    """Alice and Sam have e-mail addresses; Alice has a work phone for texts."""
    for user in (world.alice, world.sam, world.bob):
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@riverside.example")
        user.refresh_from_db()
    StaffProfile.objects.filter(user=world.alice).update(work_phone="+1 555 0199")
    world.alice.refresh_from_db()
    return world
