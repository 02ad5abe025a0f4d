"""Where a postal code is, without calling a geocoder: the `zipcodes` package carries the US ZIP code centroids
in its own data file, read offline. Outside the US, or for an unknown code, there is no place (and so no
distance): the search then says so instead of guessing."""

from __future__ import annotations

import functools
import re

import zipcodes

_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


@functools.lru_cache(maxsize=4096)
def postal_coordinates(postal_code: str, country: str = "US") -> tuple[float, float] | None:
    """(latitude, longitude) of a US ZIP code's centre, or None."""
    code = postal_code.strip()
    if country.upper() not in ("", "US") or not _ZIP.match(code):
        return None
    try:
        found = zipcodes.matching(code[:5])
    except (ValueError, TypeError):
        return None
    if not found:
        return None
    try:
        return float(found[0]["lat"]), float(found[0]["long"])
    except (KeyError, ValueError, TypeError):
        return None
