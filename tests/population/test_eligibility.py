"""A plan's eligibility file as CSV (issue 22): what a line may be (a table), and on the database: members and
their coverage periods come in, twice is once, a later file adds a new period to a member already kept, and one
bad line writes nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from careconductor.patients.models import Coverage, Patient
from careconductor.population import eligibility
from careconductor.population.fhir_rows import RowProblem
from careconductor.population.importing import SOURCE_SYSTEM, do_import_files
from tests.personas import World

HEADER = "member_id,family_name,given_name,birth_date,sex,phone,language,plan_type,payer,plan_name,coverage_start,coverage_end,extra"
LINES = [
    "RH001,Okafor,Grace,1948-02-11,F,(541) 555-0101,en,medicare advantage,Riverside Health Plan,Riverside Advantage,2026-01-01,,",
    "RH002,López,Héctor,03/09/1952,M,,es,MA,Riverside Health Plan,Riverside Advantage,2026-01-01,2026-12-31,x",
    "RH003,Chen,Mei,1961-07-30,U,,,medicaid,State Medicaid,,,,",
]


def line(**changes: str) -> dict[str, str | None]:
    names = HEADER.split(",")
    values = dict(zip(names, LINES[0].split(","), strict=True))
    values.update(changes)
    return values  # type: ignore[return-value]


def test_a_line_reads_into_a_member_and_a_coverage_period() -> None:
    read = eligibility.read_line(line())
    assert (read.member.key, read.member.family_name, read.member.sex, read.member.birth_date) == (
        "RH001", "Okafor", "female", dt.date(1948, 2, 11),
    )  # fmt: skip
    assert read.coverage is not None
    assert (read.coverage.kind, read.coverage.start_date, read.coverage.end_date, read.coverage.member_id) == (
        "medicare_advantage", dt.date(2026, 1, 1), None, "RH001",
    )  # fmt: skip
    assert eligibility.read_line(line(coverage_start="")).coverage is None
    assert eligibility.read_line(line(birth_date="03/09/1952")).member.birth_date == dt.date(1952, 3, 9)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"member_id": " "}, "member_id is empty"),
        ({"family_name": ""}, "family_name and a given_name"),
        ({"birth_date": ""}, "needs a birth_date"),
        ({"birth_date": "1948-13-40"}, "birth_date is not a date"),
        ({"birth_date": "31/12/1948"}, "birth_date is not a date"),
        ({"sex": "X"}, "sex 'X'"),
        ({"coverage_end": "2025-01-01"}, "before coverage_start"),
        ({"given_name": "a\x00b"}, "NUL"),
    ],
)
def test_what_a_line_may_not_be(changes: dict[str, str], words: str) -> None:
    with pytest.raises(RowProblem, match=words):
        eligibility.read_line(line(**changes))


def test_a_header_without_the_required_columns_is_named() -> None:
    assert eligibility.missing_columns(["Member_ID", "family_name"]) == ["given_name", "birth_date"]


def write(folder: Path, *lines: str, name: str = "eligibility.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.mark.django_db
def test_members_and_their_coverage_come_in_and_twice_is_once(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, *LINES)
    (report,) = do_import_files(world.adam, [path], source="plan-2027")
    assert report.imported and report.new == 5  # 3 members, 2 coverage periods (RH003 has none)
    members = Patient.objects.filter(identifiers__system=SOURCE_SYSTEM + "plan-2027")
    assert sorted(members.values_list("family_name", flat=True)) == ["Chen", "López", "Okafor"]
    hector = members.get(family_name="López")
    assert (hector.preferred_language, hector.birth_date) == ("es", dt.date(1952, 3, 9))
    assert Coverage.objects.get(patient=hector).end_date == dt.date(2026, 12, 31)
    (again,) = do_import_files(world.adam, [path], source="plan-2027")
    assert (again.new, again.unchanged) == (0, 3) and members.count() == 3
    # Next year's file: Grace's new period is added, she is not registered twice.
    nxt = write(tmp_path, LINES[0].replace("2026-01-01", "2027-01-01"), name="2027.csv")
    (later,) = do_import_files(world.adam, [nxt], source="plan-2027")
    assert later.new == 1 and members.count() == 3
    assert Coverage.objects.filter(patient__family_name="Okafor", patient__in=members).count() == 2


@pytest.mark.django_db
def test_one_bad_line_writes_nothing(world: World, tmp_path: Path) -> None:
    path = write(tmp_path, *LINES, LINES[0], "RH009,Nobody,,1950-01-01,F,,,,,,,")
    (report,) = do_import_files(world.adam, [path], source="plan-2027")
    assert not report.imported and [n for n, _ in report.rejected] == [5, 6]
    assert "also on line 2" in report.rejected[0][1] and "given_name" in report.rejected[1][1]
    assert not Patient.objects.filter(identifiers__system=SOURCE_SYSTEM + "plan-2027").exists()
    (tmp_path / "no-header.csv").write_text("id,name\n1,x\n")
    (missing,) = do_import_files(world.adam, [tmp_path / "no-header.csv"], source="plan-2027")
    assert "family_name" in missing.left_out


@pytest.mark.django_db
def test_a_member_sent_again_with_changed_details_is_updated_but_an_enrolled_patients_phone_is_kept(
    world: World, tmp_path: Path
) -> None:
    from careconductor.cases.actions import do_refer_case
    from careconductor.cases.choices import Program, ReferralSource

    do_import_files(world.adam, [write(tmp_path, *LINES)], source="plan-2027")
    members = Patient.objects.filter(identifiers__system=SOURCE_SYSTEM + "plan-2027")
    grace, hector = members.get(family_name="Okafor"), members.get(family_name="López")
    do_refer_case(world.adam, hector, program=Program.CCM, referral_source=ReferralSource.HEALTH_PLAN,
                  referral_reason="Diabetes")  # fmt: skip
    moved = [
        LINES[0].replace("Okafor,Grace", "Okafor-Bell,Grace").replace("(541) 555-0101", "(541) 555-0199"),
        LINES[1].replace(",,es,", ",(541) 555-0142,es,"),  # Héctor had no phone on file: it is filled in
        LINES[2],
    ]
    (report,) = do_import_files(
        world.adam, [write(tmp_path, *moved, name="2027-02.csv")], source="plan-2027", dry_run=True
    )
    assert (report.changed, report.new) == (2, 0) and members.get(pk=grace.pk).family_name == "Okafor"
    (report,) = do_import_files(world.adam, [write(tmp_path, *moved, name="2027-02.csv")], source="plan-2027")
    assert (report.changed, report.unchanged) == (2, 1)
    grace.refresh_from_db()
    hector.refresh_from_db()
    assert (grace.family_name, grace.phone) == ("Okafor-Bell", "(541) 555-0199") and grace.version == 2
    assert hector.phone == "(541) 555-0142"
    # Héctor, enrolled, told his case manager a new number: the plan's older one does not overwrite it.
    hector.phone = "(541) 555-0777"
    hector.save()
    older = LINES[1].replace(",,es,", ",(541) 555-0142,es,").replace("López", "Lopez")
    (report,) = do_import_files(world.adam, [write(tmp_path, older, name="2027-03.csv")], source="plan-2027")
    hector.refresh_from_db()
    assert report.changed == 1 and (hector.family_name, hector.phone) == ("Lopez", "(541) 555-0777")
