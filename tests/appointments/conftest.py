from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine

# A Wednesday afternoon in New York (the default TIME_ZONE), four days before the spring change (14 March 2027):
# days and reminders below are counted from it. Fixed, so the PostgreSQL pass's shifted clock changes nothing.
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
NOW = dt.datetime(2027, 3, 10, 15, 0, tzinfo=NEW_YORK)
TODAY = NOW.date()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


# Module scope: the shared world (tests/shared.py) is built on this afternoon too.
@pytest.fixture(autouse=True, scope="module")
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def traveller() -> Iterator[time_machine.Traveller]:
    """The clock stands at NOW until the test moves it (inside the module's frozen clock)."""
    with time_machine.travel(NOW, tick=False) as t:
        yield t
