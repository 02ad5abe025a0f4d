"""Settings for the server bench/fhir_api.py starts: CareConductor's own, with the URLs of bench/_bare_urls.py
(CareConductor's, plus one bare view: the framework's floor)."""

from __future__ import annotations

from careconductor import settings as _base

globals().update({name: value for name, value in vars(_base).items() if name.isupper()})
ROOT_URLCONF = "_bare_urls"
