from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine

# A Friday afternoon in New York (the default TIME_ZONE): days and windows below are counted from it.
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
TODAY = NOW.date()


# Module scope: the shared world (tests/shared.py) is built on this afternoon too.
@pytest.fixture(autouse=True, scope="module")
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield
