"""Pure decisions about education: which materials suit a person, in which language, and when handing over
print alone deserves a gentle second thought. No ORM, no I/O.

A material suits a way of learning (patients.choices.LearningPreference: print, verbal, visual, video,
demonstration) by its format, as in FORMAT_SUITS. Ranking puts, in order: the patient's own language before
an English fall-back (marked, so staff know to go through it with an interpreter), a format that suits one of
their ways of learning, and, when a literacy screen raised a concern (SILS > 2, clinical.md §6.4), plain
material (grade PLAIN_GRADE or lower) first and the plainest first."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from .choices import AssignmentStatus, MaterialFormat, TeachBackResult

FALLBACK_LANGUAGE = "en"
PLAIN_GRADE = 6

F = MaterialFormat
# Which ways of learning each format serves. Teach-back is a conversation: the person hears it and shows it.
FORMAT_SUITS: dict[str, frozenset[str]] = {
    F.PRINT: frozenset({"print"}),
    F.VIDEO: frozenset({"video", "visual"}),
    F.AUDIO: frozenset({"verbal"}),
    F.VISUAL: frozenset({"visual"}),
    F.INTERACTIVE: frozenset({"demonstration", "visual"}),
    F.TEACH_BACK: frozenset({"verbal", "demonstration"}),
}
# "Maria prefers to learn <phrase> and <phrase>."
PREFERENCE_PHRASES: dict[str, str] = {
    "print": "by reading",
    "verbal": "by talking it through",
    "visual": "from pictures",
    "video": "by video",
    "demonstration": "by someone showing them",
}


class MaterialLike(Protocol):
    @property
    def slug(self) -> str: ...
    @property
    def format(self) -> str: ...
    @property
    def reading_level(self) -> int: ...
    @property
    def languages(self) -> tuple[str, ...]: ...
    @property
    def sort_title(self) -> str: ...


M = TypeVar("M", bound=MaterialLike)


@dataclass(frozen=True)
class Suggestion(Generic[M]):
    material: M
    language: str  # the language to give it in
    fallback: bool  # not in the patient's language: English instead
    suits: bool  # the format suits one of the patient's ways of learning
    plain: bool  # grade PLAIN_GRADE or lower


def base_language(code: str) -> str:
    """ "es-MX" → "es"; "" → "en"."""
    return (code or FALLBACK_LANGUAGE).strip().lower().replace("_", "-").split("-")[0] or FALLBACK_LANGUAGE


def pick_language(available: Iterable[str], preferred: str) -> tuple[str, bool] | None:
    """The language to give a material in, and whether it is a fall-back to English; None when it has
    neither the patient's language nor English."""
    have = tuple(available)
    wanted = base_language(preferred)
    if wanted in have:
        return wanted, False
    if FALLBACK_LANGUAGE in have:
        return FALLBACK_LANGUAGE, True
    return None


def suits(material_format: str, preferences: Iterable[str]) -> bool:
    return bool(FORMAT_SUITS.get(material_format, frozenset()) & set(preferences))


def rank_materials(
    materials: Iterable[M], preferences: Sequence[str], literacy_concern: bool, language: str
) -> list[Suggestion[M]]:
    """The materials the patient can read or hear (their language or English), best first."""
    found: list[Suggestion[M]] = []
    for m in materials:
        picked = pick_language(m.languages, language)
        if picked is None:
            continue
        found.append(
            Suggestion(
                material=m,
                language=picked[0],
                fallback=picked[1],
                suits=suits(m.format, preferences),
                plain=m.reading_level <= PLAIN_GRADE,
            )
        )

    def key(s: Suggestion[M]) -> tuple[bool, bool, bool, int, str, str]:
        level = s.material.reading_level if literacy_concern else 0
        return (
            s.fallback,
            not s.suits,
            literacy_concern and not s.plain,
            level,
            s.material.sort_title,
            s.material.slug,
        )

    return sorted(found, key=key)


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def print_prompt(
    format_used: str,
    preferences: Sequence[str],
    *,
    name: str = "",
    teach_back: str = TeachBackResult.NOT_DONE,
) -> str | None:
    """A gentle prompt when print is handed over alone (no teach-back) to someone who did not choose print as
    a way to learn; None when print suits them, when we do not know how they like to learn, or when staff
    went through it with teach-back."""
    if format_used != F.PRINT or teach_back != TeachBackResult.NOT_DONE:
        return None
    known = [p for p in preferences if p in PREFERENCE_PHRASES]
    if not known or "print" in known:
        return None
    who = name.strip() or "This patient"
    ways = _join([PREFERENCE_PHRASES[p] for p in dict.fromkeys(known)])
    return (
        f"{who} prefers to learn {ways}. Print alone may not stick — consider going through it together "
        "and checking with teach-back."
    )


def can_deliver(status: str) -> bool:
    """Delivered material can be delivered again (a refresher, a second go after teach-back missed)."""
    return status in (AssignmentStatus.ASSIGNED, AssignmentStatus.DELIVERED)


def can_withdraw(status: str) -> bool:
    return status in (AssignmentStatus.ASSIGNED, AssignmentStatus.DELIVERED)
