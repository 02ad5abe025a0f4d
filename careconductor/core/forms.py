"""Showing an action's refusal on the form that asked for it."""

from __future__ import annotations

from django import forms

from .errors import ActionRefused


def show_refusal(form: forms.Form, refusal: ActionRefused) -> None:
    """Each message beside the field it names, or above the form when it names none of the form's fields."""
    for field, message in refusal.errors.items():
        form.add_error(field if field in form.fields else None, message)
