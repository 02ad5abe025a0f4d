from __future__ import annotations

import datetime as dt

from careconductor.accounts.models import User
from careconductor.cases.actions import do_register_and_refer
from careconductor.cases.choices import Program, ReferralSource
from careconductor.medications import actions
from careconductor.medications.models import Medication
from careconductor.patients.actions import PatientDetails
from careconductor.patients.choices import Sex
from careconductor.patients.models import Patient

from ..personas import World
from .conftest import TODAY


def metformin(
    user: User, patient: Patient, *, start_date: dt.date | None = None, times: list[str] | None = None
) -> Medication:
    return actions.do_add_medication(
        user,
        patient,
        name="Metformin",
        dose="500 mg tablet",
        instructions="With breakfast and supper",
        times=["08:00", "18:00"] if times is None else times,
        start_date=start_date or TODAY - dt.timedelta(days=60),
    )


def other_patient(world: World) -> Patient:
    """A second patient of Alice's, to own medications that are not Paula's."""
    return do_register_and_refer(
        world.alice,
        PatientDetails(given_name="Omar", family_name="Haddad", birth_date=dt.date(1950, 1, 2), sex=Sex.MALE),
        program=Program.COMPLEX,
        referral_source=ReferralSource.PCP,
        referral_reason="Heart failure",
        acuity_tier=2,
    )
