"""Language codes in words on the staff's screens: {{ code|language_name }} → "Spanish"."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from careconductor.core import languages

register = template.Library()


@register.filter
def language_name(code: str) -> str:
    return languages.language_name(code)


@register.filter
def language_names(codes: Iterable[str]) -> str:
    """ "English, Spanish" for ["en", "es"]."""
    return ", ".join(languages.language_name(code) for code in codes)
