"""The demo's own patients, without the plan members its population feed brought in (demo/population.py)."""

from __future__ import annotations

from django.db.models import QuerySet

from careconductor.patients.models import Patient
from careconductor.population.importing import SOURCE_SYSTEM


def demo_patients() -> QuerySet[Patient]:
    return Patient.objects.exclude(identifiers__system__startswith=SOURCE_SYSTEM)


def plan_members() -> QuerySet[Patient]:
    return Patient.objects.filter(identifiers__system__startswith=SOURCE_SYSTEM)
