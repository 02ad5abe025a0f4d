"""Pure decisions of the community resource directory (issue 20): how far a place is, whether a service is open
at a moment, which need an assessment's finding points to, and whether a service fits a patient, with the
reasons said in words. No database here; queries.py gathers the facts and applies these.

Distances are great-circle (haversine) on a sphere of the Earth's mean radius, from stored coordinates: no
geocoder is called at run time. Opening hours follow HSDS 3.0 schedules as kept here: weekly, on some weekdays,
from `opens` to `closes` in the service's local time, between optional first and last days."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from careconductor.core.languages import language_name

from .choices import Need

T = TypeVar("T")
EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)
KM_PER_MILE = 1.609344
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # iCalendar BYDAY, Monday first as date.weekday()

# The need a finding of an assessment points to (assessments.choices.FindingDomain values).
NEED_OF_FINDING: dict[str, Need] = {
    "food-insecurity": Need.FOOD,
    "housing-instability": Need.HOUSING,
    "housing-quality": Need.HOUSING,
    "transportation": Need.TRANSPORT,
    "utilities": Need.UTILITIES,
    "interpersonal-safety": Need.SAFETY,
    "depression": Need.BEHAVIOURAL,
    "anxiety": Need.BEHAVIOURAL,
    "self-harm-risk": Need.BEHAVIOURAL,
    "alcohol-misuse": Need.SUBSTANCE_USE,
    "adl-dependence": Need.HOME_HEALTH,
    "iadl-dependence": Need.HOME_HEALTH,
}


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The great-circle distance between two (latitude, longitude) points in degrees (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def box_around(centre: tuple[float, float], km: float) -> tuple[float, float, float, float]:
    """(south, west, north, east) of a box holding every point within `km` of the centre, for a database to
    narrow a search before the exact distance is worked out (wider than the circle; whole longitudes near a pole)."""
    lat, lon = centre
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(min(89.9, abs(lat) + dlat)))
    dlon = 180.0 if cos_lat <= 0 else min(180.0, math.degrees(km / (EARTH_RADIUS_KM * cos_lat)))
    return max(-90.0, lat - dlat), lon - dlon, min(90.0, lat + dlat), lon + dlon


def coordinates_problem(latitude: float | None, longitude: float | None) -> str | None:
    """Both or neither, and on the globe."""
    if (latitude is None) != (longitude is None):
        return "Give both the latitude and the longitude, or neither."
    if latitude is not None and not -90 <= latitude <= 90:
        return "A latitude is between -90 and 90."
    if longitude is not None and not -180 <= longitude <= 180:
        return "A longitude is between -180 and 180."
    return None


@dataclass(frozen=True)
class Opening:
    """One weekly schedule: the weekdays (BYDAY codes), the local opening and closing times (closing at or
    before opening runs past midnight), and the first and last days it holds (None: open-ended)."""

    days: frozenset[str]
    opens: dt.time
    closes: dt.time
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None

    def holds_on(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


def open_at(openings: Iterable[Opening], moment: dt.datetime) -> bool:
    """Whether any schedule has the service open at this local moment (naive or in the service's zone). A
    schedule past midnight (22:00-06:00 on Friday) is open early on Saturday too."""
    day, time = moment.date(), moment.time().replace(tzinfo=None)
    yesterday = day - dt.timedelta(days=1)
    for o in openings:
        overnight = o.closes <= o.opens
        within = time >= o.opens if overnight else o.opens <= time < o.closes
        if within and WEEKDAYS[day.weekday()] in o.days and o.holds_on(day):
            return True
        if (
            overnight
            and WEEKDAYS[yesterday.weekday()] in o.days
            and o.holds_on(yesterday)
            and time < o.closes
        ):
            return True
    return False


DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def days_words(days: Sequence[str]) -> str:
    """ "Mon–Fri", "Tue, Thu, Sat", "every day": a run of three or more days in a row is a range."""
    picked = sorted({WEEKDAYS.index(d) for d in days if d in WEEKDAYS})
    if len(picked) == 7:
        return "every day"
    runs: list[list[int]] = []
    for d in picked:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{DAY_NAMES[run[0]]}–{DAY_NAMES[run[-1]]}")
        else:
            parts += [DAY_NAMES[d] for d in run]
    return ", ".join(parts)


def schedule_problem(days: Sequence[str], opens: dt.time | None, closes: dt.time | None) -> str | None:
    if not days:
        return "Choose the days it is open."
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown:
        return f"Days are MO, TU, WE, TH, FR, SA, SU; not {', '.join(unknown)}."
    if opens is None or closes is None:
        return "Give the opening and closing times."
    if opens == closes:
        return "Opening and closing times are the same: give the hours it is open."
    return None


@dataclass(frozen=True)
class ServiceFacts:
    """What the search needs of a service (queries.py reads it from the database)."""

    needs: frozenset[str]
    languages: frozenset[str] = frozenset()  # ISO 639-1 codes; empty: not said
    places: tuple[tuple[float, float], ...] = ()  # where it is delivered in person
    virtual: bool = False  # by phone or online: distance does not count
    openings: tuple[Opening, ...] = ()
    free: bool | None = None  # None: not said
    minimum_age: int | None = None
    maximum_age: int | None = None
    verified_on: dt.date | None = None


@dataclass(frozen=True)
class Query:
    """What a case manager asks for a patient. Each filter is optional."""

    needs: frozenset[str] = frozenset()
    near: tuple[float, float] | None = None
    within_km: float | None = None
    language: str = ""
    open_now: dt.datetime | None = None  # the local moment to be open at
    free_only: bool = False
    age: int | None = None


@dataclass(frozen=True)
class Match:
    """A service that fits, how far its nearest place is (None when unknown or virtual), and why, in words."""

    fits: bool
    distance_km: float | None = None
    reasons: tuple[str, ...] = field(default=())


_NEED_LABELS = {value: label.lower() for value, label in Need.choices}


def need_labels(needs: Iterable[str]) -> list[str]:
    return [_NEED_LABELS.get(n, n.lower()) for n in sorted(needs)]


def match(service: ServiceFacts, query: Query) -> Match:
    """Whether the service fits every filter asked, and the reasons: each filter it meets says so, the first
    it fails says why not (so a near miss can be told)."""
    reasons: list[str] = []
    if query.needs:
        met = service.needs & query.needs
        if not met:
            return Match(False, reasons=(f"does not help with {', '.join(need_labels(query.needs))}",))
        reasons.append(f"helps with {', '.join(need_labels(met))}")
    distance = nearest(query.near, service.places)
    if query.within_km is not None and query.near is not None:
        if distance is not None and distance <= query.within_km:
            reasons.append(f"{_miles(distance)} away")
        elif service.virtual:
            reasons.append("by phone or online, wherever the patient is")
        elif distance is None:
            return Match(False, reasons=("where it is delivered is not known",))
        else:
            return Match(
                False, distance, (f"{_miles(distance)} away, further than {_miles(query.within_km)}",)
            )
    elif distance is not None:
        reasons.append(f"{_miles(distance)} away")
    if query.language and query.language != "en":
        if query.language not in service.languages:
            return Match(False, distance, (f"no one is said to speak {language_name(query.language)}",))
        reasons.append(f"speaks {language_name(query.language)}")
    if query.open_now is not None:
        if not open_at(service.openings, query.open_now):
            return Match(False, distance, ("closed now",))
        reasons.append("open now")
    if query.free_only:
        if service.free is not True:
            return Match(False, distance, ("not said to be free",))
        reasons.append("free")
    if query.age is not None:
        if service.minimum_age is not None and query.age < service.minimum_age:
            return Match(False, distance, (f"for people {service.minimum_age} and older",))
        if service.maximum_age is not None and query.age > service.maximum_age:
            return Match(False, distance, (f"for people up to {service.maximum_age}",))
    return Match(True, distance, tuple(reasons))


def nearest(centre: tuple[float, float] | None, places: Sequence[tuple[float, float]]) -> float | None:
    """How far the nearest of the places is from the centre (None: no centre or no place): Match.distance_km."""
    if centre is None or not places:
        return None
    return min(distance_km(centre, place) for place in places)


def rank(found: Iterable[tuple[object, Match]]) -> list[tuple[object, Match]]:
    """Fitting services first, nearest first (unknown distances after known ones), then as given."""
    fitting = [(s, m) for s, m in found if m.fits]
    return sorted(fitting, key=lambda sm: _order(sm[1].distance_km))


def rank_order(distances: Iterable[tuple[T, float | None]]) -> list[T]:
    """The order rank() puts services in, from each one's nearest distance (rules.nearest) before matching: the
    fitting ones among them, taken in this order, are rank()'s answer (the same key, and both sorts are stable),
    so a search matches only until it has enough."""
    return [key for key, _ in sorted(distances, key=lambda kd: _order(kd[1]))]


def _order(distance: float | None) -> tuple[bool, float]:
    return (distance is None, distance or 0.0)


def _miles(km: float) -> str:
    miles = km / KM_PER_MILE
    return f"{miles:.1f} miles" if miles < 10 else f"{miles:.0f} miles"
