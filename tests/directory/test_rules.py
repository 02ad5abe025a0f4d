"""The directory's pure rules as tables (issue 20): great-circle distances against known figures, opening hours
(overnight, bounded, weekdays), the need a finding points to, and a service's fit with its reasons."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careconductor.directory import rules
from careconductor.directory.choices import Need
from careconductor.directory.rules import Opening, Query, ServiceFacts

T = dt.time
SPRINGFIELD = (39.7817, -89.6501)  # Springfield, Illinois
CHICAGO = (41.8781, -87.6298)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        (SPRINGFIELD, SPRINGFIELD, 0.0),
        (SPRINGFIELD, CHICAGO, 288.5),  # ~179 miles by air
        ((0.0, 0.0), (0.0, 1.0), 111.2),  # a degree of the equator
        ((0.0, 0.0), (0.0, 180.0), 20015.1),  # half the way round
        ((89.9, 0.0), (89.9, 180.0), 22.2),  # across the pole
    ],
)
def test_great_circle_distances(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    assert rules.distance_km(a, b) == pytest.approx(km, abs=0.2)


COORDS = st.tuples(st.floats(-90, 90), st.floats(-180, 180))


@given(COORDS, COORDS)
def test_distance_is_symmetric_and_never_more_than_half_the_globe(a, b) -> None:  # type: ignore[no-untyped-def]
    d = rules.distance_km(a, b)
    assert d == pytest.approx(rules.distance_km(b, a), abs=1e-6)
    assert 0 <= d <= math.pi * rules.EARTH_RADIUS_KM + 1e-6


@pytest.mark.parametrize(
    ("lat", "lon", "problem"),
    [
        (None, None, None),
        (39.8, -89.6, None),
        (39.8, None, "both"),
        (91.0, 0.0, "latitude"),
        (0.0, 181.0, "longitude"),
    ],
)
def test_coordinates_are_both_or_neither_and_on_the_globe(lat, lon, problem) -> None:  # type: ignore[no-untyped-def]
    found = rules.coordinates_problem(lat, lon)
    assert (found is None) if problem is None else (problem in found)  # type: ignore[operator]


WEEKDAYS_9_TO_5 = Opening(frozenset({"MO", "TU", "WE", "TH", "FR"}), T(9), T(17))
FRIDAY_NIGHT = Opening(frozenset({"FR"}), T(22), T(6))  # a night shelter's intake, past midnight
SUMMER_ONLY = Opening(frozenset({"SA"}), T(8), T(12), dt.date(2026, 6, 1), dt.date(2026, 8, 31))


@pytest.mark.parametrize(
    ("openings", "moment", "is_open"),
    [
        ((WEEKDAYS_9_TO_5,), dt.datetime(2026, 12, 7, 9, 0), True),  # Monday at opening
        ((WEEKDAYS_9_TO_5,), dt.datetime(2026, 12, 7, 17, 0), False),  # Monday at closing
        ((WEEKDAYS_9_TO_5,), dt.datetime(2026, 12, 5, 12, 0), False),  # Saturday
        ((FRIDAY_NIGHT,), dt.datetime(2026, 12, 4, 23, 30), True),  # Friday night
        ((FRIDAY_NIGHT,), dt.datetime(2026, 12, 5, 5, 59), True),  # Saturday before 6: Friday's night
        ((FRIDAY_NIGHT,), dt.datetime(2026, 12, 5, 22, 30), False),  # Saturday night
        ((FRIDAY_NIGHT,), dt.datetime(2026, 12, 4, 5, 0), False),  # Friday early: Thursday had no night
        ((SUMMER_ONLY,), dt.datetime(2026, 7, 4, 9, 0), True),
        ((SUMMER_ONLY,), dt.datetime(2026, 12, 5, 9, 0), False),  # a Saturday out of season
        ((WEEKDAYS_9_TO_5, FRIDAY_NIGHT), dt.datetime(2026, 12, 4, 20, 0), False),
        ((), dt.datetime(2026, 12, 7, 12, 0), False),  # no schedule: never "open now"
    ],
)
def test_open_at(openings: tuple[Opening, ...], moment: dt.datetime, is_open: bool) -> None:
    assert rules.open_at(openings, moment) is is_open


@pytest.mark.parametrize(
    ("days", "opens", "closes", "problem"),
    [
        (["MO"], T(9), T(17), None),
        (["FR"], T(22), T(6), None),
        ([], T(9), T(17), "days"),
        (["MON"], T(9), T(17), "MON"),
        (["MO"], None, T(17), "times"),
        (["MO"], T(9), T(9), "same"),
    ],
)
def test_schedule_problems(days, opens, closes, problem) -> None:  # type: ignore[no-untyped-def]
    found = rules.schedule_problem(days, opens, closes)
    assert (found is None) if problem is None else (problem in found)  # type: ignore[operator]


def test_each_sdoh_finding_points_to_a_need() -> None:
    assert rules.NEED_OF_FINDING["food-insecurity"] == Need.FOOD
    assert rules.NEED_OF_FINDING["transportation"] == Need.TRANSPORT
    assert set(rules.NEED_OF_FINDING.values()) <= set(Need.values)


FOOD_BANK = ServiceFacts(
    needs=frozenset({Need.FOOD}),
    languages=frozenset({"en", "es"}),
    places=((39.80, -89.64),),
    openings=(WEEKDAYS_9_TO_5,),
    free=True,
)
HOTLINE = ServiceFacts(
    needs=frozenset({Need.SAFETY}),
    virtual=True,
    openings=(Opening(frozenset(rules.WEEKDAYS), T(0), T(0, 0, 0, 1)),),
)
HOME = SPRINGFIELD
MONDAY_NOON = dt.datetime(2026, 12, 7, 12, 0)


@pytest.mark.parametrize(
    ("service", "query", "fits", "reasons"),
    [
        (FOOD_BANK, Query(needs=frozenset({Need.FOOD})), True, ("helps with food",)),
        (FOOD_BANK, Query(needs=frozenset({Need.HOUSING})), False, ("does not help with housing",)),
        (
            FOOD_BANK,
            Query(
                needs=frozenset({Need.FOOD}),
                near=HOME,
                within_km=10,
                language="es",
                open_now=MONDAY_NOON,
                free_only=True,
            ),
            True,
            ("helps with food", "1.4 miles away", "speaks Spanish", "open now", "free"),
        ),
        (FOOD_BANK, Query(near=CHICAGO, within_km=50), False, ("178 miles away, further than 31 miles",)),
        (FOOD_BANK, Query(language="vi"), False, ("no one is said to speak Vietnamese",)),
        (FOOD_BANK, Query(language="en"), True, ()),  # English is not filtered on
        (FOOD_BANK, Query(open_now=dt.datetime(2026, 12, 6, 12, 0)), False, ("closed now",)),
        (HOTLINE, Query(near=HOME, within_km=5), True, ("by phone or online, wherever the patient is",)),
        (
            ServiceFacts(needs=frozenset()),
            Query(near=HOME, within_km=5),
            False,
            ("where it is delivered is not known",),
        ),
        (ServiceFacts(needs=frozenset(), minimum_age=60), Query(age=45), False, ("for people 60 and older",)),
        (ServiceFacts(needs=frozenset(), maximum_age=17), Query(age=45), False, ("for people up to 17",)),
        (ServiceFacts(needs=frozenset(), free=None), Query(free_only=True), False, ("not said to be free",)),
    ],
)
def test_a_service_fits_with_its_reasons(
    service: ServiceFacts, query: Query, fits: bool, reasons: tuple[str, ...]
) -> None:
    found = rules.match(service, query)
    assert (found.fits, found.reasons) == (fits, reasons)


def test_ranking_puts_the_fitting_nearest_first() -> None:
    near, far, virtual, miss = (
        rules.Match(True, 1.0),
        rules.Match(True, 9.0),
        rules.Match(True, None),
        rules.Match(False, 0.5),
    )
    ranked = rules.rank([("far", far), ("virtual", virtual), ("miss", miss), ("near", near)])
    assert [name for name, _ in ranked] == ["near", "far", "virtual"]


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (["MO", "TU", "WE", "TH", "FR"], "Mon–Fri"),
        (["TU", "TH", "SA"], "Tue, Thu, Sat"),
        (["MO", "TU"], "Mon, Tue"),
        (["SU", "MO", "TU", "WE", "TH", "FR", "SA"], "every day"),
        (["MO", "WE", "TH", "FR", "SU"], "Mon, Wed–Fri, Sun"),
        ([], ""),
    ],
)
def test_days_in_words(days: list[str], words: str) -> None:
    assert rules.days_words(days) == words


@given(
    st.tuples(st.floats(-80, 80), st.floats(-170, 170)),
    st.floats(0.5, 200),
    st.floats(0, 360),
    st.floats(0, 1),
)
def test_the_box_around_a_place_holds_every_point_within_the_distance(centre, km, bearing, fraction) -> None:  # type: ignore[no-untyped-def]
    """The database narrows by the box before the exact distance: no point within reach may fall outside it."""
    lat, lon = map(math.radians, centre)
    d = km * fraction / rules.EARTH_RADIUS_KM
    b = math.radians(bearing)
    lat2 = math.asin(math.sin(lat) * math.cos(d) + math.cos(lat) * math.sin(d) * math.cos(b))
    lon2 = lon + math.atan2(
        math.sin(b) * math.sin(d) * math.cos(lat), math.cos(d) - math.sin(lat) * math.sin(lat2)
    )
    point = (math.degrees(lat2), math.degrees(lon2))
    south, west, north, east = rules.box_around(centre, km)
    assert south - 1e-9 <= point[0] <= north + 1e-9
    assert west - 1e-9 <= point[1] <= east + 1e-9
