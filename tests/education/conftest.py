from __future__ import annotations

import dataclasses

import pytest

from careconductor.accounts.models import User
from careconductor.education import actions
from careconductor.education.models import Assignment
from careconductor.patients.actions import PatientDetails, do_update_patient
from careconductor.patients.models import Patient

from ..personas import World


def set_learning(
    user: User, patient: Patient, preferences: list[str], literacy_concern: bool = False
) -> Patient:
    """Change how the patient likes to learn through the patients action, as the assessment would."""
    names = [f.name for f in dataclasses.fields(PatientDetails)]
    details = PatientDetails(**{n: getattr(patient, n) for n in names})
    details = dataclasses.replace(
        details, learning_preferences=preferences, health_literacy_concern=literacy_concern
    )
    do_update_patient(user, patient, details)
    patient.refresh_from_db()
    return patient


@pytest.fixture
def video_learner(world: World) -> Patient:
    """Paula learns by video and by being shown, and reading is hard for her (SILS 4)."""
    return set_learning(world.alice, world.paula, ["video", "demonstration"], literacy_concern=True)


@pytest.fixture
def assignment(world: World, video_learner: Patient) -> Assignment:
    return actions.do_assign_material(
        world.alice, video_learner, slug="heart-failure-daily-weights", reason="Two admissions for fluid"
    )
