"""Pure decisions for @mentions in chart notes and the staff inbox: finding the names, what a refusal says, the
line the inbox shows. No ORM, no I/O (tests/coordination/test_mention_rules.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# How many colleagues one note may name: a note to the whole organisation is a broadcast, not a mention.
MAX_MENTIONS = 20
# "@" where a handle starts: not inside a word or an e-mail address (ana@example.org names nobody). A handle
# runs over the characters Django allows in a username and ends on a letter or digit, so the full stop ending
# a sentence ("ask @dana.") is not part of it.
_HANDLE = re.compile(r"(?<![\w.@+-])@([\w.@+-]*\w)")
_INSIDE = re.compile(r"[.@+-]")
FIRST_LINE_LIMIT = 140
# A sensitive note's label as a refusal says it ("may not read 42 CFR Part 2 notes").
SENSITIVITY_WORDS = {"part2": "42 CFR Part 2", "psychotherapy": "psychotherapy"}


def _candidates(handle: str) -> list[str]:
    """The handle and each shorter start of it ending before a dot, @, + or -, longest first: "@dana.Thanks"
    (no space after the full stop) still names dana when no one is called dana.thanks."""
    cuts = [m.start() for m in _INSIDE.finditer(handle)]
    return [handle] + [handle[:cut] for cut in reversed(cuts) if cut > 0]


def mention_handles(text: str) -> set[str]:
    """Every string a mention in `text` could be (lower case), for looking the names up in one query."""
    found: set[str] = set()
    for match in _HANDLE.finditer(text):
        found.update(c.lower() for c in _candidates(match.group(1)))
    return found


def parse_mentions(text: str, known: Iterable[str]) -> list[str]:
    """The known usernames mentioned in `text` as @username, in the order first mentioned, each once. Case does
    not matter (@Dana is dana); the longest known name wins (@ana.ruiz is ana.ruiz, not ana); anything else
    after an @ is ordinary text."""
    by_lower = {name.lower(): name for name in known}
    found: list[str] = []
    for match in _HANDLE.finditer(text):
        for candidate in _candidates(match.group(1)):
            name = by_lower.get(candidate.lower())
            if name is not None:
                if name not in found:
                    found.append(name)
                break
    return found


def mention_refusal(name: str, *, related: bool, may_read: bool, label: str = "") -> str | None:
    """Why `name` cannot be mentioned on a note: they have no standing relationship with the patient, or the
    note is sensitive (`label`, e.g. "42 CFR Part 2") and they may not read such records of this patient.
    None when they may be told."""
    if not related:
        return f"{name} is not on this patient's care team, so cannot be mentioned here."
    if not may_read:
        return f"{name} may not read {label} notes of this patient, so cannot be mentioned on this one."
    return None


def first_line(text: str, limit: int = FIRST_LINE_LIMIT) -> str:
    """The first line with words in it, cut at a word near `limit` characters with an ellipsis."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if len(line) <= limit:
        return line
    space = line.rfind(" ", 0, limit + 1)
    cut = line[:space] if space > limit // 2 else line[:limit]  # a word's end, unless the words are very long
    return cut.rstrip(" ,;:.") + "…"
