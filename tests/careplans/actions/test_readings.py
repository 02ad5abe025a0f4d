"""Readings typed for a goal's measure."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from careconductor.careplans import actions
from careconductor.careplans.choices import ReadingSource
from careconductor.core import clock
from careconductor.core.errors import NotVisible
from careconductor.privacy.choices import AuditAction
from tests.careplans.actions.kit import Unchanged, audited, refused_fields
from tests.personas import World

pytestmark = pytest.mark.django_db


def test_readings(world: World) -> None:
    before = clock.now() - dt.timedelta(hours=2)
    with Unchanged():
        assert refused_fields(
            actions.do_record_reading,
            world.alice,
            world.paula,
            measure_key="phq9",  # an assessment score: it comes from the PHQ-9 itself
            value=Decimal(12),
            taken_at=before,
            source=ReadingSource.SELF_REPORT,
        ) == {"measure"}
        for key in ("housing", "nonsense"):
            assert refused_fields(
                actions.do_record_reading,
                world.alice,
                world.paula,
                measure_key=key,
                value=Decimal(1),
                taken_at=before,
                source=ReadingSource.STAFF,
            ) == {"measure"}
        assert refused_fields(
            actions.do_record_reading,
            world.alice,
            world.paula,
            measure_key="hba1c",
            value=Decimal("8.1"),
            taken_at=clock.now() + dt.timedelta(hours=1),
            source=ReadingSource.LAB,
        ) == {"taken_at"}
        with pytest.raises(NotVisible):
            actions.do_record_reading(
                world.bob,
                world.paula,
                measure_key="hba1c",
                value=Decimal("8.1"),
                taken_at=before,
                source=ReadingSource.LAB,
            )
    reading = actions.do_record_reading(
        world.alice,
        world.paula,
        measure_key="hba1c",
        value=Decimal("8.1"),
        taken_at=before,
        source=ReadingSource.LAB,
        note=" A1c from the clinic ",
    )
    assert (reading.patient, reading.value, reading.note, reading.recorded_by) == (
        world.paula,
        Decimal("8.1"),
        "A1c from the clinic",
        world.alice,
    )
    assert audited(world.alice, world.paula, "Reading", AuditAction.CREATE) == 1
