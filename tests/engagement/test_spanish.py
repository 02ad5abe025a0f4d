"""The portal's Spanish is complete: in the engagement and education catalogues no entry is left untranslated or
fuzzy, every plural has all its forms, and each placeholder of the English (%(name)s, {name}) is in the Spanish.
Every literal {% translate %} string in the portal's templates is in the catalogue (makemessages was re-run)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "careconductor"
CATALOGUES = {
    "engagement": ROOT / "engagement" / "locale" / "es" / "LC_MESSAGES" / "django.po",
    "education": ROOT / "education" / "locale" / "es" / "LC_MESSAGES" / "django.po",
    # The SMART consent screen a patient sees when connecting an app (its scopes in words: smart/scopes.py).
    "smart": ROOT / "smart" / "locale" / "es" / "LC_MESSAGES" / "django.po",
}
PORTAL_TEMPLATES = {
    "engagement": ROOT / "engagement" / "templates" / "engagement" / "portal",
    "education": ROOT / "education" / "templates" / "education" / "portal",
    "smart": ROOT / "smart" / "templates" / "smart",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|(?<!{){(\w+)}(?!})")
TRANSLATE = re.compile(r"""{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<text>.*?)(?P=q)(?P<rest>[^%]*)%}""")


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    fields: dict[str, str] = field(default_factory=dict)  # msgctxt, msgid, msgid_plural, msgstr, msgstr[n]

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    @property
    def translations(self) -> list[str]:
        return [v for k, v in sorted(self.fields.items()) if k.startswith("msgstr")]


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader (the venv has no polib): entries, their flags and their strings."""
    entries: list[Entry] = []
    current: Entry | None = None
    key = ""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            current, key = None, ""
            continue
        if current is None:
            current = Entry(number)
            entries.append(current)
        if line.startswith("#~"):
            current.obsolete = True
            continue
        if line.startswith("#,"):
            current.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$', line)
        if match:
            key = match.group(1)
            current.fields[key] = ast.literal_eval(match.group(2))
        elif line.startswith('"') and key:
            current.fields[key] += ast.literal_eval(line)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    return entries


def plural_count(entries: list[Entry]) -> int:
    header = next(e for e in entries if e.msgid == "" and "msgctxt" not in e.fields)
    found = re.search(r"nplurals\s*=\s*(\d+)", header.fields.get("msgstr", ""))
    assert found, "the catalogue's header has no Plural-Forms"
    return int(found.group(1))


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("app", list(CATALOGUES))
def test_every_entry_is_translated_and_none_is_fuzzy(app: str) -> None:
    entries = parse_po(CATALOGUES[app])
    nplurals = plural_count(entries)
    problems = []
    for e in entries:
        if e.msgid == "" and "msgctxt" not in e.fields:
            continue  # the header
        where = f"{CATALOGUES[app].name}:{e.line} {e.msgid[:60]!r}"
        if e.obsolete:
            problems.append(f"{where}: obsolete entry left in (msgattrib --no-obsolete)")
        if "fuzzy" in e.flags:
            problems.append(f"{where}: fuzzy")
        if "msgid_plural" in e.fields:
            forms = [e.fields.get(f"msgstr[{n}]", "") for n in range(nplurals)]
            if not all(forms):
                problems.append(f"{where}: {sum(map(bool, forms))} of {nplurals} plural forms")
        elif not e.fields.get("msgstr"):
            problems.append(f"{where}: untranslated")
    assert len(entries) > 5
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("app", list(CATALOGUES))
def test_every_placeholder_is_kept_in_the_spanish(app: str) -> None:
    problems = []
    for e in parse_po(CATALOGUES[app]):
        if not e.msgid or e.obsolete:
            continue
        english = placeholders(e.msgid) | placeholders(e.fields.get("msgid_plural", ""))
        if "python-format" not in e.flags and "python-brace-format" not in e.flags and not english:
            continue
        for n, spanish in enumerate(e.translations):
            missing = english - placeholders(spanish)
            extra = placeholders(spanish) - english
            # a singular form may say "one" in words instead of the count (Spanish "un archivo")
            if "msgid_plural" in e.fields and n == 0:
                missing -= {"n", "count"}
            if missing or extra:
                problems.append(
                    f"{e.msgid[:60]!r} → {spanish[:60]!r}: missing {missing or '-'}, extra {extra or '-'}"
                )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("app", list(PORTAL_TEMPLATES))
def test_every_portal_template_string_is_in_the_catalogue(app: str) -> None:
    """Catches a string added to a portal template without re-running makemessages."""
    known = {(e.fields.get("msgctxt", ""), e.msgid) for e in parse_po(CATALOGUES[app]) if not e.obsolete}
    missing = []
    for template in sorted(PORTAL_TEMPLATES[app].glob("*.html")):
        for m in TRANSLATE.finditer(template.read_text(encoding="utf-8")):
            context = re.search(r"""context\s+(["'])(.*?)\1""", m.group("rest"))
            if (context.group(2) if context else "", m.group("text")) not in known:
                missing.append(f"{template.name}: {m.group('text')!r}")
    assert not missing, "not in the Spanish catalogue (run makemessages):\n" + "\n".join(missing)
