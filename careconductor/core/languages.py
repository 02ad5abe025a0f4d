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


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
