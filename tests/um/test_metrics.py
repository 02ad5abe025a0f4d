"""The yearly figures from the database (issue 21, CMS-0057-F, clinical.md §8): the page, the CSV and the JSON
file agree with metrics_rules on requests decided through the actions; a sensitive request is counted but not
listed to someone who may not read it; the numbers link to the requests behind them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.urls import reverse

from careconductor.core import clock
from careconductor.um import actions, metrics, rules
from careconductor.um.choices import NoticeRecipient, Source
from careconductor.um.models import AuthRequest
from tests.personas import World
from tests.um.conftest import UmPeople

pytestmark = pytest.mark.django_db


def take_in(world: World, code: str, diagnoses: tuple[str, ...] = ("M25.561",), days: int = 5) -> AuthRequest:
    return actions.do_receive_request(
        world.uma,
        world.paula,
        actions.NewRequest(
            source=Source.PHONE,
            urgency=rules.Urgency.STANDARD,
            requesting_provider="Dr Lee",
            servicing_provider="Riverside Imaging",
            place_of_service="22",
            lines=(
                actions.Line(code, 2, clock.today() + dt.timedelta(days=days), description=f"service {code}"),
            ),
            diagnoses=diagnoses,
            clinical_notes="Notes.",
        ),
    )


def decide(world: World, people: UmPeople, request: AuthRequest, move: rules.Move, **kw: object) -> None:
    actions.do_take_review(people.ravi, request.pk)
    reason = "" if move == rules.Move.APPROVE else "criteria-not-met"
    actions.do_decide(people.ravi, request.pk, actions.Decision(move, reason=reason, **kw))  # type: ignore[arg-type]


@pytest.fixture
def decided(world: World, um_people: UmPeople) -> dict[str, AuthRequest]:
    approved = take_in(world, "73721")
    decide(world, um_people, approved, rules.Move.APPROVE)
    partial = take_in(world, "97110")
    decide(world, um_people, partial, rules.Move.PARTIAL, approved_units={partial.lines.get().pk: 1})
    denied = take_in(world, "74177")
    decide(world, um_people, denied, rules.Move.DENY)
    actions.do_file_appeal(
        world.uma,
        denied.pk,
        filed_by=NoticeRecipient.PROVIDER,
        urgency=rules.Urgency.STANDARD,
        grounds="New scan.",
    )
    actions.do_decide_appeal(world.mo, denied.pk, overturn=True, note="The new scan shows the need.")
    # Part 2, decided by a reviewer its consent named (no one here is named: its decision is written as it stood).
    secret = take_in(world, "H0020", diagnoses=("F11.20",))
    AuthRequest.objects.filter(pk=secret.pk).update(
        status="denied", decision="denied", decided_at=clock.now(), reason="criteria-not-met"
    )
    return {"approved": approved, "partial": partial, "denied": denied, "secret": secret}


def test_figures_count_first_decisions_and_appeals(
    world: World, um_people: UmPeople, decided: dict[str, AuthRequest]
) -> None:
    (f,) = metrics.figures(world.uma)
    assert (
        f.year == clock.localdate(decided["approved"].decided_at).year
        and f.plan_type == rules.PlanType.MEDICARE_ADVANTAGE
    )
    assert f.decided == 4  # the Part 2 one is counted: a count names no one
    assert (f.approved_share, f.denied_share, f.approved_after_appeal_share) == (0.5, 0.5, 0.25)
    assert f.standard.requests == 4 and f.expedited.requests == 0 and f.standard.median_hours is not None


def test_csv_and_json_carry_the_same_figures_and_no_member(
    world: World, um_people: UmPeople, decided: dict[str, AuthRequest], login
) -> None:
    client = login(world.uma)
    rows = list(csv.DictReader(io.StringIO(client.get(reverse("um:metrics_csv")).content.decode())))
    assert rows[0]["requests_decided"] == "4" and rows[0]["approved_percent"] == "50.0"
    report = json.loads(client.get(reverse("um:metrics_json")).content)
    assert report["figures"][0]["approvedAfterAppealPercent"] == 25.0
    assert (
        "Reyes" not in json.dumps(report) and "partial approval counts as approved" in report["conventions"]
    )
    page = client.get(reverse("um:metrics")).content.decode()
    assert "50 %" in page and "25 %" in page


def test_a_figure_lists_the_requests_behind_it_that_the_viewer_may_read(
    world: World, um_people: UmPeople, decided: dict[str, AuthRequest], login
) -> None:
    year = clock.localdate(decided["denied"].decided_at).year
    url = reverse("um:metrics_requests") + f"?year={year}&plan=medicare-advantage&figure=denied"
    page = login(world.uma).get(url).content.decode()
    assert decided["denied"].reference in page and decided["secret"].reference not in page
    assert decided["approved"].reference not in page
    assert login(world.uma).get(reverse("um:metrics_requests") + "?year=abcd&plan=x").status_code == 400


def test_only_um_staff_see_the_figures(world: World, um_people: UmPeople, login) -> None:
    assert login(world.alice).get(reverse("um:metrics")).status_code == 403
    with pytest.raises(PermissionError):
        metrics.figures(world.alice)


@pytest.mark.parametrize(
    ("zone", "utc", "year"),
    [
        ("America/Chicago", dt.datetime(2026, 1, 1, 5, 59), 2025),  # 23:59 on New Year's Eve in Chicago
        ("America/Chicago", dt.datetime(2026, 1, 1, 6, 0), 2026),
        ("Europe/Berlin", dt.datetime(2025, 12, 31, 22, 59), 2025),
        ("Europe/Berlin", dt.datetime(2025, 12, 31, 23, 0), 2026),  # midnight in Berlin
        ("UTC", dt.datetime(2026, 6, 1), 2026),
    ],
)
def test_the_year_of_a_decision_is_the_plans_year(zone: str, utc: dt.datetime, year: int) -> None:
    from zoneinfo import ZoneInfo

    assert metrics._local_year(ZoneInfo(zone))(utc.replace(tzinfo=dt.UTC).timestamp()) == year
    assert utc.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).year == year  # the slow way agrees
