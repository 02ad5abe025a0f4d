"""Languages offered for patients' preferences and staff skills (ISO 639-1 codes)."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "en": "English",
    "es": "Spanish",
    "zh": "Chinese",
    "vi": "Vietnamese",
    "ar": "Arabic",
    "ht": "Haitian Creole",
    "pt": "Portuguese",
    "ru": "Russian",
    "ko": "Korean",
    "tl": "Tagalog",
    "fr": "French",
    "pl": "Polish",
}
LANGUAGE_CHOICES = list(LANGUAGES.items())
# Each language's name in its own words, for anything a speaker picks from (a language picker).
OWN_NAMES: dict[str, str] = {
    "en": "English",
    "es": "Español",
    "zh": "中文",
    "vi": "Tiếng Việt",
    "ar": "العربية",
    "ht": "Kreyòl ayisyen",
    "pt": "Português",
    "ru": "Русский",
    "ko": "한국어",
    "tl": "Tagalog",
    "fr": "Français",
    "pl": "Polski",
}


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)


def own_name(code: str) -> str:
    """The language's name as its speakers write it ("Español"); the English name for one not listed."""
    return OWN_NAMES.get(code, language_name(code))
