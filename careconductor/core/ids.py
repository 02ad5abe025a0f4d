"""Ids and page numbers from URLs and forms, read one way: ASCII digits only ("²" and "٣" are digits to Python's
isdigit and int, not to us) and no longer than a database id can be."""

from __future__ import annotations

from collections.abc import Iterable

MAX_DIGITS = 15  # under PostgreSQL's bigint and SQLite's integer, with room to spare


def whole_number(text: str | None) -> int | None:
    """The number the text is, or None when it is not one we accept."""
    if text is None or not (0 < len(text) <= MAX_DIGITS) or not text.isascii() or not text.isdigit():
        return None
    return int(text)


def whole_numbers(texts: Iterable[str]) -> list[int] | None:
    """Every text as a number, or None when any is not one."""
    numbers = [whole_number(t) for t in texts]
    return None if any(n is None for n in numbers) else [n for n in numbers if n is not None]
