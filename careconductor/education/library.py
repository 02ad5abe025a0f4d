"""The education library: short materials on diabetes, heart failure, blood pressure, depression and medicine
schedules, each in English and Spanish, written for this project in plain language.

Materials are TOML files. The shipped ones live in `library/` next to this module; a deployer adds their own,
or replaces a shipped one (same slug), in `<CARECONDUCTOR_HOME>/education/` (`deployer_dir()`). Files are read
again whenever one changes (the cache is keyed on modification times and sizes), so no restart is needed.

A file looks like this (English is required; any other language is a table named by its two-letter code):

    slug = "diabetes-low-sugar"       # the file's name without .toml
    topic = "diabetes"                # choices.Topic
    format = "print"                  # choices.MaterialFormat
    reading_level = 5                 # US school grade, 1 to 16
    media_url = ""                    # video/audio only: where the deployer hosts it (https), may be blank

    [en]
    title = "…"
    summary = "…"                     # for staff choosing it
    body = \"\"\"…\"\"\"                  # for the patient: paragraphs, "- " list items, "## " headings

    [es]
    title = "…"  summary = "…"  body = "…"

A broken deployer file never breaks the product: it is left out and `library_errors()` says why. A broken
shipped file is a bug, and raises. Assignments copy the slug, title, format and language they were made with,
so a material removed later still shows on the record."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from careconductor.core.errors import ActionRefused
from careconductor.core.file_library import FileLibrary, Source

from .choices import MaterialFormat, Topic

SHIPPED_DIR = Path(__file__).parent / "library"
MAX_FILE_BYTES = 100_000
MAX_SLUG = 60
MAX_TITLE = 200
MAX_SUMMARY = 600
MAX_BODY = 20_000
MAX_URL = 500
GRADES = range(1, 17)
ENGLISH = "en"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE = re.compile(r"[a-z]{2}")
_URL = re.compile(r"https://[^\s<>\"']+")
_TOP_KEYS = ("slug", "topic", "format", "reading_level", "media_url")
_TEXT_KEYS = ("title", "summary", "body")


@dataclass(frozen=True)
class Text:
    language: str
    title: str
    summary: str
    body: str


@dataclass(frozen=True, kw_only=True)
class Material:
    slug: str
    topic: str
    format: str
    reading_level: int
    texts: tuple[Text, ...]  # English first
    media_url: str = ""
    source: Source = "shipped"
    path: Path | None = field(default=None, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(t.language for t in self.texts)

    @property
    def title(self) -> str:
        return self.texts[0].title

    @property
    def sort_title(self) -> str:
        return self.title.casefold()

    @property
    def topic_label(self) -> str:
        return Topic(self.topic).label

    @property
    def format_label(self) -> str:
        return MaterialFormat(self.format).label

    def text(self, language: str) -> Text:
        """The text in `language`, else English."""
        code = (language or ENGLISH).lower()[:2]
        return next((t for t in self.texts if t.language == code), self.texts[0])


# --- Parsing -------------------------------------------------------------------------------------------------


def _refuse(label: str, where: str, problem: str) -> ActionRefused:
    return ActionRefused(f"{label}: {where} {problem}.")


def _text(
    data: dict[str, Any], key: str, label: str, where: str, limit: int, *, required: bool = True
) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _refuse(label, where, "must be text in quotes")
    value = value.strip()
    if required and not value:
        raise _refuse(label, where, "is required")
    if len(value) > limit:
        raise _refuse(label, where, f"is longer than {limit} characters")
    return value


def _choice(data: dict[str, Any], key: str, label: str, values: list[str]) -> str:
    value = _text(data, key, label, key, MAX_TITLE)
    if value not in values:
        raise _refuse(label, key, f"must be one of {', '.join(values)} (not {value!r})")
    return value


def parse_material(text: str, name: str = "") -> Material:
    """The material in `text` (the content of the file `name`), checked. ActionRefused names the file and the
    field that is wrong. When a name is given, the slug must be its stem."""
    label = name or "the material"
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        raise ActionRefused(f"{label} is larger than {MAX_FILE_BYTES // 1000} kB.")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ActionRefused(f"{label} is not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ActionRefused(f"{label} is nested too deeply to be a material.") from exc
    return material_from_data(data, name)


def material_from_data(data: dict[str, Any], name: str = "") -> Material:
    label = name or "the material"
    for key, value in data.items():
        if key in _TOP_KEYS:
            continue
        if not (_LANGUAGE.fullmatch(key) and isinstance(value, dict)):
            raise _refuse(
                label,
                key,
                f"is not a known field (known: {', '.join(_TOP_KEYS)}, and a table per language such as [en])",
            )
    slug = _text(data, "slug", label, "slug", MAX_SLUG)
    if not _SLUG.fullmatch(slug):
        raise _refuse(label, "slug", "must be lowercase letters, digits and hyphens, e.g. diabetes-low-sugar")
    if name and Path(name).stem != slug:
        raise _refuse(
            label, "slug", f"must be {Path(name).stem!r}, the file's name without .toml (not {slug!r})"
        )
    grade = data.get("reading_level")
    if not isinstance(grade, int) or isinstance(grade, bool) or grade not in GRADES:
        raise _refuse(label, "reading_level", "must be a school grade, a whole number from 1 to 16")
    media_url = _text(data, "media_url", label, "media_url", MAX_URL, required=False)
    if media_url and not _URL.fullmatch(media_url):
        raise _refuse(label, "media_url", "must be blank or an https:// address")
    texts: list[Text] = []
    languages = sorted((k for k in data if k not in _TOP_KEYS), key=lambda k: (k != ENGLISH, k))
    if ENGLISH not in languages:
        raise _refuse(label, "en", "is required: add an [en] table with title, summary and body")
    for language in languages:
        table: dict[str, Any] = data[language]
        for key in table:
            if key not in _TEXT_KEYS:
                raise _refuse(
                    label, f"{language}.{key}", f"is not a known field (known: {', '.join(_TEXT_KEYS)})"
                )
        texts.append(
            Text(
                language=language,
                title=_text(table, "title", label, f"{language}.title", MAX_TITLE),
                summary=_text(table, "summary", label, f"{language}.summary", MAX_SUMMARY),
                body=_text(table, "body", label, f"{language}.body", MAX_BODY),
            )
        )
    return Material(
        slug=slug,
        topic=_choice(data, "topic", label, list(Topic.values)),
        format=_choice(data, "format", label, list(MaterialFormat.values)),
        reading_level=grade,
        media_url=media_url,
        texts=tuple(texts),
    )


def deployer_dir() -> Path:
    return Path(settings.DATA_HOME) / "education"


_LIBRARY: FileLibrary[Material] = FileLibrary(
    shipped_dir=lambda: SHIPPED_DIR,
    deployer_dir=lambda: deployer_dir(),
    parse=lambda text, name: parse_material(text, name),
    order=lambda kv: (kv[1].topic, kv[1].sort_title, kv[0]),
    max_bytes=MAX_FILE_BYTES,
)


def read_material(path: Path, source: Source = "deployer") -> Material:
    return _LIBRARY.read(path, source)


def _load() -> tuple[dict[str, Material], tuple[str, ...]]:
    return _LIBRARY.load()


def all_materials() -> dict[str, Material]:
    """Every usable material by slug, by topic then title: the shipped ones, replaced or added to by the
    deployer's."""
    return dict(_load()[0])


def library_errors() -> list[str]:
    """Why each broken deployer file was left out (empty when all are fine)."""
    return list(_load()[1])


def material(slug: str) -> Material | None:
    return _load()[0].get(slug)
