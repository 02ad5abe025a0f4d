"""A plan's claims file as CSV (issue 22): what a line may be (a table), and on the database: each claim a visit of
a member the eligibility file brought, each diagnosis one active condition of the member (a substance use disorder
kept as Part 2), twice is once, one bad line writes nothing, and the stratification reads the claims."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from careconductor.patients.models import Condition, Encounter, Patient
from careconductor.population import claims
from careconductor.population.fhir_rows import RowProblem
from careconductor.population.importing import SOURCE_SYSTEM, do_import_files
from careconductor.population.models import MemberRisk
from careconductor.population.stratify import do_stratify
from tests.personas import World

from .test_eligibility import LINES as MEMBERS
from .test_eligibility import write as write_members

HEADER = "member_id,claim_id,service_date,discharge_date,setting,facility,discharge_disposition,diagnosis_1,diagnosis_2,diagnosis_3"


def claim_lines(today: dt.date) -> list[str]:
    """Grace: two admissions this year with heart failure (the second within 30 days) and an ED visit; Héctor:
    an office visit with diabetes and alcohol dependence (Part 2)."""
    day = lambda n: (today - dt.timedelta(days=n)).isoformat()  # noqa: E731
    return [
        f"RH001,C-1,{day(90)},{day(85)},inpatient,Riverside General,home,I50.9,I10,",
        f"RH001,C-2,{day(70)},{day(66)},21,Riverside General,snf,I509,,",
        f"RH001,C-3,{day(20)},,emergency,Riverside General,,I50.9,R06.02,",
        f"RH002,C-4,{day(40)},,office,Valley Family Clinic,,E11.9,F10.20,",
    ]


def line(**changes: str) -> dict[str, str | None]:
    names = HEADER.split(",")
    values = dict(
        zip(
            names,
            [
                "RH001",
                "C-1",
                "2026-03-02",
                "2026-03-05",
                "inpatient",
                "Riverside General",
                "home",
                "I50.9",
                "I10",
                "",
            ],
            strict=True,
        )
    )
    values.update(changes)
    return values  # type: ignore[return-value]


def test_a_claim_reads_into_a_visit_and_a_condition_for_each_diagnosis() -> None:
    read = claims.read_line(line())
    visit = read.encounter
    assert (visit.key, visit.member, visit.encounter_class, visit.discharge_disposition, visit.reason) == (
        "C-1", "RH001", "IMP", "home", "I50.9",
    )  # fmt: skip
    assert visit.start == dt.datetime(2026, 3, 2, tzinfo=dt.UTC) and visit.end == dt.datetime(
        2026, 3, 5, tzinfo=dt.UTC
    )
    assert [(c.key, c.icd10_code, c.sensitivity) for c in read.conditions] == [
        ("dx:RH001:I50.9", "I50.9", ""), ("dx:RH001:I10", "I10", ""),
    ]  # fmt: skip
    assert claims.read_line(line(diagnosis_1="F1020", diagnosis_2="")).conditions[0].sensitivity == "part2"
    assert claims.read_line(line(diagnosis_2="I50.9")).conditions[1:] == ()  # one condition a code


@pytest.mark.parametrize(
    ("setting", "kind"),
    [("inpatient", "IMP"), ("21", "IMP"), ("ER", "EMER"), ("23", "EMER"), ("telehealth", "VR"), ("02", "VR"),
     ("home", "HH"), ("office", "AMB"), ("11", "AMB"), ("", "AMB")],
)  # fmt: skip
def test_the_setting_gives_the_visits_class(setting: str, kind: str) -> None:
    assert claims.read_line(line(setting=setting)).encounter.encounter_class == kind


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"claim_id": ""}, "needs a member_id and a claim_id"),
        ({"service_date": ""}, "needs a service_date"),
        ({"service_date": "2026-02-30"}, "service_date is not a date"),
        ({"discharge_date": "2026-03-01"}, "before service_date"),
        ({"setting": "spaceship"}, "setting 'spaceship'"),
        ({"setting": "٢١"}, "setting"),
        ({"discharge_disposition": "moon"}, "discharge_disposition 'moon'"),
        ({"diagnosis_2": "heart failure"}, "diagnosis_2 'heart failur' is not an ICD-10-CM code"),
        ({"facility": "a\x00b"}, "NUL"),
    ],
)
def test_what_a_claim_may_not_be(changes: dict[str, str], words: str) -> None:
    with pytest.raises(RowProblem, match=words):
        claims.read_line(line(**changes))


def test_a_csv_is_a_claims_file_when_it_names_claim_id() -> None:
    assert claims.is_claims(HEADER.upper().split(",")) and not claims.is_claims(["member_id", "family_name"])
    assert claims.missing_columns(["member_id", "Claim_ID"]) == ["service_date"]


def write(folder: Path, *lines: str, name: str = "claims.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_claims_come_in_as_visits_and_conditions_and_feed_the_tiers(world: World, tmp_path: Path) -> None:
    from careconductor.core import clock

    do_import_files(world.adam, [write_members(tmp_path, *MEMBERS)], source="plan-2027")
    path = write(tmp_path, *claim_lines(clock.today()))
    (report,) = do_import_files(world.adam, [path], source="plan-2027")
    assert report.imported and report.resource_type == "Claims"
    members = Patient.objects.filter(identifiers__system=SOURCE_SYSTEM + "plan-2027")
    grace, hector = members.get(family_name="Okafor"), members.get(family_name="López")
    assert Encounter.objects.filter(patient=grace).count() == 3
    assert sorted(Condition.objects.filter(patient=grace).values_list("icd10_code", flat=True)) == [
        "I10",
        "I50.9",
        "R06.02",
    ]
    assert Condition.objects.get(patient=hector, icd10_code="F10.20").sensitivity == "part2"
    (again,) = do_import_files(world.adam, [path], source="plan-2027")
    assert (again.new, again.unchanged) == (0, 4) and Encounter.objects.filter(patient=grace).count() == 3
    do_stratify(world.adam)
    risk = MemberRisk.objects.get(patient=grace)
    assert (
        risk.tier == 4
        and risk.readmitted_30d
        and risk.admissions_12m == 2
        and "heart_failure" in risk.conditions
    )


@pytest.mark.django_db
def test_a_claim_of_someone_the_source_never_sent_or_a_bad_line_writes_nothing(
    world: World, tmp_path: Path
) -> None:
    from careconductor.core import clock

    do_import_files(world.adam, [write_members(tmp_path, *MEMBERS)], source="plan-2027")
    lines = claim_lines(clock.today())
    path = write(tmp_path, *lines, lines[0], "RH999,C-9,2026-01-05,,office,,,E11.9,,")
    (report,) = do_import_files(world.adam, [path], source="plan-2027")
    assert not report.imported and [n for n, _ in report.rejected] == [6, 7]
    assert "claim C-1 is also on line 2" in report.rejected[0][1]
    assert "RH999 is not a member from plan-2027: import its eligibility first" in report.rejected[1][1]
    assert not Encounter.objects.filter(patient__identifiers__system=SOURCE_SYSTEM + "plan-2027").exists()
