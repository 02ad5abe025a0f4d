"""The loaded instruments: the Questionnaires shipped in `instruments/` and those a deployer adds (PRAPARE, a
licensed complexity grid with its anchor text) from files, kept in the database so that the API can search
them and each assessment points at the exact version it used."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from fhir.resources.R4B.questionnaire import Questionnaire as FhirQuestionnaire
from pydantic import ValidationError

from careconductor.core.errors import ActionRefused

from . import engine
from .models import Questionnaire

SHIPPED_DIR = Path(__file__).parent / "instruments"
MAX_FILE_BYTES = 5_000_000


def deployer_dir() -> Path:
    """Where a deployer puts licensed Questionnaires; each is loaded with the shipped ones after migrate."""
    return Path(settings.DATA_HOME) / "instruments"


def read_questionnaire(path: Path) -> dict[str, Any]:
    """A Questionnaire file, valid FHIR R4 and usable by the engine. ActionRefused says what is wrong."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ActionRefused(f"{path.name} is larger than {MAX_FILE_BYTES // 1_000_000} MB.")
        resource = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ActionRefused(f"{path.name} is not a readable JSON file: {exc}") from exc
    check_questionnaire(resource, path.name)
    return resource


def check_questionnaire(resource: Any, name: str = "the Questionnaire") -> engine.Instrument:
    if not isinstance(resource, dict) or resource.get("resourceType") != "Questionnaire":
        raise ActionRefused(f"{name} is not a FHIR Questionnaire.")
    try:
        FhirQuestionnaire.model_validate({k: v for k, v in resource.items() if k != "resourceType"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ActionRefused(f"{name} is not valid FHIR R4: {where}: {first['msg']}") from exc
    try:
        instrument = engine.parse_questionnaire(resource)
    except (ValueError, KeyError) as exc:
        raise ActionRefused(f"{name} cannot be used as an instrument: {exc}") from exc
    _check_against_shipped(instrument, name)
    return instrument


def _check_against_shipped(instrument: engine.Instrument, name: str) -> None:
    """A deployer's version of a shipped instrument (e.g. the grid with licensed anchor text) must keep every
    question and answer code the scoring function reads, so it scores the same."""
    shipped = _shipped_by_url().get(instrument.url)
    if shipped is None or shipped.version == instrument.version:
        return
    for link_id, item in shipped.questions.items():
        theirs = instrument.questions.get(link_id)
        if theirs is None:
            raise ActionRefused(f"{name} lacks question {link_id}, which {shipped.title} is scored by.")
        lacking = {o.code for o in item.options} - {o.code for o in theirs.options}
        if lacking:
            raise ActionRefused(
                f"{name}: question {link_id} lacks the answer codes {', '.join(sorted(lacking))}."
            )


@lru_cache(maxsize=1)
def _shipped_by_url() -> dict[str, engine.Instrument]:
    found = {}
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        instrument = engine.parse_questionnaire(json.loads(path.read_text(encoding="utf-8")))
        found[instrument.url] = instrument
    return found


def shipped_files() -> list[Path]:
    return sorted(SHIPPED_DIR.glob("*.json"))


@transaction.atomic
def store(resource: dict[str, Any], *, shipped: bool) -> Questionnaire:
    """Keep one Questionnaire version; a deployer's version becomes the current one for its url."""
    instrument = engine.parse_questionnaire(resource)
    row = Questionnaire.objects.filter(url=instrument.url, business_version=instrument.version).first()
    clash = Questionnaire.objects.filter(slug=instrument.slug).exclude(pk=row.pk if row else 0).first()
    if clash is not None:
        raise ActionRefused(f"The id {instrument.slug!r} already names {clash}; give the file its own id.")
    fields = {
        "slug": instrument.slug,
        "title": instrument.title,
        "panel_system": instrument.panel[0],
        "panel_code": instrument.panel[1],
        "resource": resource,
        "shipped": shipped,
    }
    if row is None:
        row = Questionnaire.objects.create(url=instrument.url, business_version=instrument.version, **fields)
    elif any(getattr(row, k) != v for k, v in fields.items()):
        for key, value in fields.items():
            setattr(row, key, value)
        row.save()
    _choose_current(instrument.url)
    return row


def _choose_current(url: str) -> None:
    rows = list(Questionnaire.objects.filter(url=url).order_by("shipped", "-updated_at", "-pk"))
    for index, row in enumerate(rows):
        if row.current != (index == 0):
            row.current = index == 0
            row.save(update_fields=["current"])


def load_file(path: Path) -> Questionnaire:
    """Load a deployer's Questionnaire file (all or nothing)."""
    resource = read_questionnaire(path)
    return store(resource, shipped=False)


def sync() -> None:
    """Keep the shipped instruments and the deployer's folder loaded."""
    for path in shipped_files():
        store(json.loads(path.read_text(encoding="utf-8")), shipped=True)
    folder = deployer_dir()
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            store(read_questionnaire(path), shipped=False)


def sync_after_migrate(using: str = "default", **kwargs: Any) -> None:
    if using == "default":
        sync()


_PARSED: dict[tuple[int, str], engine.Instrument] = {}


def instrument_for(row: Questionnaire) -> engine.Instrument:
    """The parsed instrument of a stored version (parsed once per version and change)."""
    key = (row.pk, f"{row.updated_at.isoformat()}/{row.version}")
    if key not in _PARSED:
        _PARSED[key] = engine.parse_questionnaire(row.resource)
    return _PARSED[key]


def current_questionnaires() -> list[Questionnaire]:
    return list(Questionnaire.objects.filter(current=True).order_by("title"))
