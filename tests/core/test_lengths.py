"""Text longer than its column (core.lengths): refused on every save of the project's models, naming the field,
on SQLite (which would store it whole) as on PostgreSQL (which would fail with a server error)."""

from __future__ import annotations

import pytest

from careconductor.core.errors import ActionRefused
from careconductor.patients.models import Patient
from tests.personas import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("field", "length", "refused"), [("family_name", 100, False), ("family_name", 101, True),
                                                         ("city", 101, True), ("phone", 41, True)])  # fmt: skip
def test_a_save_refuses_text_longer_than_its_column(
    world: World, field: str, length: int, refused: bool
) -> None:
    paula = Patient.objects.get(pk=world.paula.pk)
    setattr(paula, field, "x" * length)
    if refused:
        with pytest.raises(ActionRefused) as caught:
            paula.save()
        assert list(caught.value.errors) == [field] and "characters" in caught.value.errors[field]
        assert getattr(Patient.objects.get(pk=paula.pk), field) != "x" * length
    else:
        paula.save()
        assert len(getattr(Patient.objects.get(pk=paula.pk), field)) == length
