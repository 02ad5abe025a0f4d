from __future__ import annotations

from typing import Any

from django import forms

from .choices import Outcome
from .models import Feed


class FeedForm(forms.Form):
    name = forms.CharField(
        label="Hospital", max_length=200, help_text="As staff know it: St. Mary's Hospital."
    )
    sending_facility = forms.CharField(
        label="Sending facility (MSH-4)",
        max_length=100,
        help_text="As the hospital's interface engine fills MSH-4, e.g. STMARYS. Ask their interface team.",
    )
    mrn_authority = forms.CharField(
        label="MRN assigning authority (PID-3)",
        max_length=100,
        required=False,
        help_text="Which of PID-3's identifiers is the hospital's MRN. Leave empty if it is the same as MSH-4.",
    )


class FeedActiveForm(forms.Form):
    """Pause (messages from the facility are then rejected, AR) or resume a feed."""

    active = forms.TypedChoiceField(
        choices=[("yes", "Resume"), ("no", "Pause")], coerce=lambda v: v == "yes", empty_value=None
    )


class ResolveForm(forms.Form):
    """Who a held message is about: one of its candidates (or another patient, by record), or a new patient."""

    patient = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    create = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("patient")) == bool(data.get("create")):
            raise forms.ValidationError("Choose the patient, or create one from the message.")
        return data


class MatchSearchForm(forms.Form):
    """'Someone else': find the patient a held message is about when its candidates are not them."""

    message = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    find = forms.CharField(
        label="Someone else", max_length=100, help_text="Name, MRN or phone number of the patient here."
    )


class MessageFilterForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=[("", "Any"), *Outcome.choices], required=False)
    feed = forms.ModelChoiceField(
        label="Feed", queryset=Feed.objects.none(), required=False, empty_label="Any"
    )

    def __init__(self, *args: Any, feeds: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["feed"].queryset = feeds  # type: ignore[attr-defined]
