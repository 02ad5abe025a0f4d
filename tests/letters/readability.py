"""Reading level of a letter's text, by the published formulas, with syllables counted by pyphen's hyphenation
dictionaries (pinned in pyproject's test extras; the way textstat counts them, without its network downloads):

- English: Flesch-Kincaid grade = 0.39 × words/sentences + 11.8 × syllables/words − 15.59 (Kincaid et al. 1975).
- Spanish: Fernández Huerta ease = 206.84 − 0.60 × syllables per 100 words − 1.02 × sentences per 100 words
  (1959; 70–80 "bastante fácil", about sixth grade).

Placeholders are read as one-syllable words, lines without a full stop (a greeting, a signature, "Phone: …")
as sentences of their own."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import pyphen

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+")


@cache
def _dictionary(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang={"en": "en_US", "es": "es"}[language])


@dataclass(frozen=True)
class Counts:
    words: int
    sentences: int
    syllables: int


def counts(text: str, language: str) -> Counts:
    text = re.sub(r"\{[a-z_]+\}", "Ann", text)
    sentences = 0
    words: list[str] = []
    for line in text.splitlines():
        line_words = _WORD.findall(line)
        if not line_words:
            continue
        words += line_words
        ends = len(re.findall(r"[.!?]+(?:\s|$)", line))
        sentences += max(ends, 1)
    dictionary = _dictionary(language)
    syllables = sum(len(dictionary.positions(w.lower())) + 1 if not w.isdigit() else 1 for w in words)
    return Counts(len(words), sentences, syllables)


def flesch_kincaid_grade(text: str) -> float:
    c = counts(text, "en")
    return 0.39 * c.words / c.sentences + 11.8 * c.syllables / c.words - 15.59


def fernandez_huerta(text: str) -> float:
    c = counts(text, "es")
    return 206.84 - 0.60 * (100 * c.syllables / c.words) - 1.02 * (100 * c.sentences / c.words)
