"""A feed's account is a system account (issue 19): its changes are audited under it, but it is no one to pick,
assign, hand work to or list as staff."""

from __future__ import annotations

import pytest

from careconductor.administration.queries import staff_of
from careconductor.coordination.views.base import assignees, staff_choices
from careconductor.transitions.actions import do_create_feed
from careconductor.transitions.models import Feed

from ..personas import World

pytestmark = pytest.mark.django_db


def test_a_feeds_account_is_no_one_to_pick(world: World) -> None:
    feed = do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")
    account = Feed.objects.select_related("account").get(pk=feed.pk).account
    assert account.is_system and not account.has_usable_password()
    org = world.riverside.pk
    assert account.pk not in dict(staff_choices(org))
    assert f"user:{account.pk}" not in dict(assignees(org))
    assert account not in staff_of(org)
    assert world.alice.pk in dict(staff_choices(org))  # people still are
