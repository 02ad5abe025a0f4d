"""Posting a form to an action: the refusal shown on the form that asked for it, and the one stanza every
form-handling view shares (`post_form`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .errors import ActionRefused

T = TypeVar("T")


def show_refusal(form: forms.Form, refusal: ActionRefused) -> None:
    """Each message beside the field it names, or above the form when it names none of the form's fields."""
    for field, message in refusal.errors.items():
        form.add_error(field if field in form.fields else None, message)


def post_form(
    request: HttpRequest,
    form: forms.Form,
    act: Callable[[dict[str, Any]], T],
    *,
    success: str | Callable[[T], str],
    done_url: str | Callable[[T], str],
    redisplay: Callable[[], HttpResponse],
) -> HttpResponse:
    """A bound form's post: if it is valid, call the action with its cleaned data; when the action succeeds, say
    `success` and go to `done_url` (either may be worked out from what the action returned). Otherwise (the
    form is invalid, or the action refused with ActionRefused) answer `redisplay()`: the page again, with this
    form and its errors beside their fields, the action's refusals included (status 400 by the house rule).

    The view keeps what is its own: fetching through access_*, building the form, the page to show again."""
    if form.is_valid():
        try:
            result = act(form.cleaned_data)
        except ActionRefused as exc:
            show_refusal(form, exc)
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect(done_url(result) if callable(done_url) else done_url)
    return redisplay()


def set_choices(form: forms.BaseForm, name: str, choices: Iterable[tuple[Any, str]]) -> None:
    """Offer these choices in a choice field of the form (the people, goals or problems of one record)."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), f"{name} is not a choice field"
    field.choices = list(choices)
