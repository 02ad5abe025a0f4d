"""Text longer than its column is refused before it reaches the database, the same way on both: PostgreSQL answers
a 200-character family name with an error (a 500 before this), SQLite stores it whole. Checked on every save of
this project's models (a pre_save signal), so forms, the FHIR API and actions alike refuse it as ActionRefused,
naming the field, and the request's transaction changes nothing. Bulk writes (core.bulk_rows) take rows their
readers have already cut to size."""

from __future__ import annotations

from typing import Any

from django.db import models

from .errors import ActionRefused


def too_long(model: type[models.Model], instance: models.Model) -> dict[str, str]:
    """Each text field of the instance longer than its column, with what to do about it."""
    errors: dict[str, str] = {}
    for field in model._meta.concrete_fields:
        if isinstance(field, models.CharField) and field.max_length:
            value = getattr(instance, field.attname)
            if isinstance(value, str) and len(value) > field.max_length:
                errors[field.name] = f"Keep it to {field.max_length} characters (this has {len(value)})."
    return errors


def refuse_text_too_long(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if sender.__module__.startswith("careconductor.") and (errors := too_long(sender, instance)):
        raise ActionRefused(errors)
