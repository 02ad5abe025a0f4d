"""Every "now" comes from core.clock, so a test can move time for the whole product (rule 3 of the house)."""

from __future__ import annotations

import re
from pathlib import Path

import careconductor

PACKAGE = Path(careconductor.__file__).parent
# Asking the machine for the time: Django's now or today-in-the-zone with no moment given, or Python's.
READS_THE_TIME = re.compile(
    r"timezone\.now\(\)|timezone\.localdate\(\)|timezone\.localtime\(\)|datetime\.now\(|date\.today\(|time\.time\("
)


def test_no_module_but_the_clock_reads_the_time() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != PACKAGE / "core" / "clock.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if READS_THE_TIME.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []


def test_the_check_sees_a_reading_of_the_time() -> None:
    assert READS_THE_TIME.search("due = timezone.now() + delta")
    assert READS_THE_TIME.search("day = timezone.localdate()")
    assert not READS_THE_TIME.search("day = timezone.localdate(moment)")
