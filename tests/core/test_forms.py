"""The form-post stanza every form-handling view shares (core.forms.post_form), and set_choices."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from careconductor.core.errors import ActionRefused
from careconductor.core.forms import post_form, set_choices


class NameForm(forms.Form):
    name = forms.CharField()
    colour = forms.ChoiceField(choices=[("red", "Red")], required=False)


def posted(data: dict[str, str]) -> tuple[HttpRequest, NameForm]:
    request = RequestFactory().post("/", data)
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request, NameForm(request.POST)


def again() -> HttpResponse:
    return HttpResponse("the page again", status=400)


def test_a_valid_post_acts_says_so_and_goes_where_the_result_says() -> None:
    request, form = posted({"name": "Paula"})
    seen: list[dict[str, Any]] = []

    def act(d: dict[str, Any]) -> int:
        seen.append(d)
        return 7

    response = post_form(
        request,
        form,
        act,
        success=lambda n: f"Number {n} saved.",
        done_url=lambda n: f"/things/{n}/",
        redisplay=again,
    )
    assert response.status_code == 302 and response["Location"] == "/things/7/"
    assert seen == [{"name": "Paula", "colour": ""}]
    assert [str(m) for m in get_messages(request)] == ["Number 7 saved."]


def test_an_invalid_form_never_reaches_the_action() -> None:
    request, form = posted({"name": ""})

    def act(d: dict[str, Any]) -> None:
        raise AssertionError("the action ran on an invalid form")

    response = post_form(request, form, act, success="Saved.", done_url="/", redisplay=again)
    assert response.status_code == 400
    assert form.errors["name"]
    assert list(get_messages(request)) == []


@pytest.mark.parametrize(
    ("refusal", "field"), [({"name": "Taken already."}, "name"), ("Not today.", "__all__")]
)
def test_a_refusal_shows_beside_its_field_or_above_the_form(refusal: Any, field: str) -> None:
    request, form = posted({"name": "Paula"})

    def act(d: dict[str, Any]) -> None:
        raise ActionRefused(refusal)

    response = post_form(request, form, act, success="Saved.", done_url="/", redisplay=again)
    assert response.status_code == 400 and response.content == b"the page again"
    assert form.errors[field] == [refusal[field] if isinstance(refusal, dict) else refusal]
    assert list(get_messages(request)) == []


def test_set_choices_offers_the_records_choices_and_only_in_a_choice_field() -> None:
    form = NameForm()
    set_choices(form, "colour", [("blue", "Blue"), ("green", "Green")])
    assert list(form.fields["colour"].choices) == [("blue", "Blue"), ("green", "Green")]  # type: ignore[attr-defined]
    with pytest.raises(AssertionError):
        set_choices(form, "name", [("x", "X")])
