"""The administrator's set-up screens with something to show: teams that receive their programmes'
referrals, programme rules that differ from the installation's defaults, and a community health worker
invited this week who has not chosen a password yet."""

from __future__ import annotations

from careconductor.accounts.choices import Discipline, ExperienceLevel, Role
from careconductor.accounts.models import Organization, StaffProfile, Team, User
from careconductor.cases.choices import Program
from careconductor.cases.models import ProgramSetting
from careconductor.core import clock
from careconductor.patients.choices import NO_KNOWN_ALLERGIES, RXNORM, SNOMED
from careconductor.patients.models import Allergy, Patient

from .data import TEAM_NAMES
from .staff import EMAIL_DOMAIN

TEAM_PROGRAMS = {
    TEAM_NAMES[0]: [Program.COMPLEX, Program.CCM],
    TEAM_NAMES[1]: [Program.CCM, Program.TCM],
    TEAM_NAMES[2]: [Program.BEHAVIOURAL],
}
INVITED = ("grace.kim", "Grace", "Kim")


def add_setup_scenarios(org: Organization) -> int:
    for name, programs in TEAM_PROGRAMS.items():
        Team.objects.filter(organization=org, name=name).update(programs=sorted(p.value for p in programs))
    # Transitional care lasts 30 days: no plan or closure approval, and the social needs screen repeats at 30.
    ProgramSetting.objects.create(
        organization=org,
        program=Program.TCM,
        plan_approval=False,
        closure_approval=False,
        reassessment_days={"ahc-hrsn": 30},
    )
    username, first, last = INVITED
    if User.objects.filter(username=username).exists():  # a generated case manager of the same name
        username = f"{username}.chw"
    invited = User.objects.create_user(
        username=username,
        password=None,  # invited: chooses a password through the e-mailed link
        email=f"{username}@{EMAIL_DOMAIN}",
        first_name=first,
        last_name=last,
        role=Role.CARE_TEAM,
        organization=org,
    )
    StaffProfile.objects.create(
        user=invited,
        team=Team.objects.filter(organization=org, name=TEAM_NAMES[1]).first(),
        discipline=Discipline.CHW,
        credentials="CHW",
        experience_level=ExperienceLevel.NOVICE,
        languages=["en", "ko"],
    )
    return len(TEAM_PROGRAMS) + 2


# (substance, system, code, category, reaction, severity, criticality): the common ones in a case manager's day.
ALLERGIES = (
    ("Penicillin", RXNORM, "7980", "medication", "Hives", "moderate", "high"),
    ("Sulfamethoxazole", RXNORM, "10180", "medication", "Rash", "mild", "low"),
    ("Codeine", RXNORM, "2670", "medication", "Nausea and vomiting", "moderate", "low"),
    ("Lisinopril", RXNORM, "29046", "medication", "Swelling of the lips and tongue", "severe", "high"),
    ("Peanuts", SNOMED, "762952008", "food", "Throat tightness", "severe", "high"),
    ("Shellfish", SNOMED, "227037002", "food", "Hives", "moderate", "high"),
    ("Latex", SNOMED, "111088007", "environment", "Itching where gloves touched", "mild", "low"),
)


def add_allergy_scenarios(org: Organization) -> int:
    """Most patients were asked: about two in five have no known allergies, one in three an allergy or two,
    the rest not recorded yet (a gap the chart header shows). Deterministic by patient id."""
    now = clock.now()
    rows = []
    for patient_id in Patient.objects.filter(organization=org).order_by("pk").values_list("pk", flat=True):
        slot = patient_id % 10
        if slot < 4:
            system, code, words = NO_KNOWN_ALLERGIES
            rows.append(Allergy(patient_id=patient_id, substance=words, code_system=system, code=code,
                                verification="confirmed", recorded_at=now))  # fmt: skip
        elif slot < 7:
            for k in range(1 + (patient_id % 7 == 0)):
                substance, system, code, category, reaction, severity, criticality = ALLERGIES[
                    (patient_id + k) % 7
                ]
                rows.append(Allergy(patient_id=patient_id, substance=substance, code_system=system, code=code,
                                    category=category, reaction=reaction, severity=severity,
                                    criticality=criticality, verification="confirmed", recorded_at=now))  # fmt: skip
    Allergy.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
