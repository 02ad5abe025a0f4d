"""The letter templates: one TOML file per kind of letter (welcome, unable-to-reach, referral, appointment,
closing), with its subject and body in each language it is written in, English always.

The shipped ones live in `library/` next to this module. A deployer edits a letter by copying its file to
`deployer_dir()` (`<CARECONDUCTOR_HOME>/letter-templates/`) and changing it there: a file of the same name
replaces the shipped one. Files are read again whenever one changes, so no restart is needed (the care-plan
templates' core.file_library). Check a file first with `careconductor letter_templates check FILE`.

A broken deployer file never breaks the product: it is left out (the shipped letter is used) and
`template_errors()` says why. A broken shipped file is a bug, and raises.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from careconductor.core.errors import ActionRefused
from careconductor.core.file_library import FileLibrary, Source
from careconductor.core.languages import LANGUAGES

from . import rules
from .choices import LetterKind, RecipientKind

SHIPPED_DIR = Path(__file__).parent / "library"
MAX_FILE_BYTES = 100_000
MAX_SUBJECT = 200
MAX_BODY = 8_000
_TOP_KEYS = ("kind", "title", "recipient", "text")
_TEXT_KEYS = ("subject", "body")


@dataclass(frozen=True)
class LetterText:
    subject: str
    body: str


@dataclass(frozen=True, kw_only=True)
class LetterTemplate:
    kind: str  # LetterKind
    title: str  # staff-facing
    recipient: str  # RecipientKind: who the letter is written to unless staff choose otherwise
    texts: dict[str, LetterText]  # by language code; "en" always
    source: Source = "shipped"
    path: Path | None = field(default=None, compare=False)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self.texts)

    def text(self, language: str) -> tuple[str, LetterText]:
        """The language the letter will be in (rules.letter_language) and its text."""
        chosen = rules.letter_language(language, self.texts)
        return chosen, self.texts[chosen]


def _refuse(label: str, where: str, problem: str) -> ActionRefused:
    return ActionRefused(f"{label}: {where} {problem}.")


def _text(data: dict[str, object], key: str, where: str, label: str, limit: int) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise _refuse(label, where, "must be text in quotes")
    value = value.strip()
    if not value:
        raise _refuse(label, where, "is required")
    if len(value) > limit:
        raise _refuse(label, where, f"is longer than {limit} characters")
    return value


def parse_template(text: str, name: str = "") -> LetterTemplate:
    """The letter template in `text` (the content of the file `name`), checked: ActionRefused names the file
    and the field that is wrong. When a name is given, the kind must be its stem."""
    label = name or "the letter template"
    if len(text) > MAX_FILE_BYTES:
        raise ActionRefused(f"{label} is larger than {MAX_FILE_BYTES // 1000} kB.")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ActionRefused(f"{label} is not valid TOML: {exc}") from exc
    except RecursionError as exc:
        raise ActionRefused(f"{label} is nested too deeply to be a letter template.") from exc
    for key in data:
        if key not in _TOP_KEYS:
            raise _refuse(label, key, f"is not a known field (known: {', '.join(_TOP_KEYS)})")
    kind = _text(data, "kind", "kind", label, 40)
    if kind not in LetterKind.values:
        raise _refuse(label, "kind", f"must be one of {', '.join(LetterKind.values)} (not {kind!r})")
    if name and Path(name).stem != kind:
        raise _refuse(
            label, "kind", f"must be {Path(name).stem!r}, the file's name without .toml (not {kind!r})"
        )
    recipient = data.get("recipient", RecipientKind.PATIENT)
    if recipient not in RecipientKind.values:
        raise _refuse(label, "recipient", f"must be one of {', '.join(RecipientKind.values)}")
    texts_data = data.get("text")
    if not isinstance(texts_data, dict) or "en" not in texts_data:
        raise _refuse(label, "text", "needs at least the English text, written [text.en]")
    texts: dict[str, LetterText] = {}
    for language, entry in texts_data.items():
        where = f"text.{language}"
        if language not in LANGUAGES:
            raise _refuse(label, where, f"is not a language code (known: {', '.join(LANGUAGES)})")
        if not isinstance(entry, dict):
            raise _refuse(label, where, "must be a table with subject and body")
        for key in entry:
            if key not in _TEXT_KEYS:
                raise _refuse(label, f"{where}.{key}", "is not a known field (known: subject, body)")
        subject = _text(entry, "subject", f"{where}.subject", label, MAX_SUBJECT)
        body = _text(entry, "body", f"{where}.body", label, MAX_BODY)
        for part, value in (("subject", subject), ("body", body)):
            problems = rules.placeholder_problems(value, kind)
            if problems:
                raise _refuse(label, f"{where}.{part}", problems[0])
        texts[language] = LetterText(subject=subject, body=body)
    # English first, then the others in the order the file gives them.
    ordered = {"en": texts["en"], **{k: v for k, v in texts.items() if k != "en"}}
    return LetterTemplate(
        kind=kind,
        title=_text(data, "title", "title", label, MAX_SUBJECT),
        recipient=str(recipient),
        texts=ordered,
    )


def deployer_dir() -> Path:
    """Where a deployer puts edited letters; read on every change, no restart needed."""
    return Path(settings.DATA_HOME) / "letter-templates"


_ORDER = {kind: i for i, kind in enumerate(LetterKind.values)}
_LIBRARY: FileLibrary[LetterTemplate] = FileLibrary(
    shipped_dir=lambda: SHIPPED_DIR,
    deployer_dir=lambda: deployer_dir(),
    parse=lambda text, name: parse_template(text, name),
    order=lambda kv: (_ORDER.get(kv[0], len(_ORDER)), kv[0]),
    max_bytes=MAX_FILE_BYTES,
)


def read_template(path: Path, source: Source = "deployer") -> LetterTemplate:
    return _LIBRARY.read(path, source)


def all_templates() -> dict[str, LetterTemplate]:
    """Every usable letter by kind, in LetterKind's order: the shipped ones, replaced by the deployer's."""
    return dict(_LIBRARY.load()[0])


def template_errors() -> list[str]:
    return list(_LIBRARY.load()[1])


def template(kind: str) -> LetterTemplate | None:
    return _LIBRARY.load()[0].get(kind)
