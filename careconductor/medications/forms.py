"""Forms check input at the edge; the actions decide. Field names match the actions' error keys so that a
refusal shows beside the field it is about."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from careconductor.core import clock

from . import rules

TEXT = {"rows": 2}


class DateInput(forms.DateInput):
    input_type = "date"


class TimesField(forms.CharField):
    """ "08:00, 20:00" as ["08:00", "20:00"]; blank is an empty list (as needed). Whether the times are valid
    is the action's to say (rules.times_problem), so the message is the same wherever times come from."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [rules.normalise_time(part) for part in re.split(r"[,;\s]+", text) if part.strip()]

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value


class MedicationForm(forms.Form):
    name = forms.CharField(max_length=200, label="Medication", help_text="e.g. Metformin")
    dose = forms.CharField(max_length=200, label="Dose", help_text="e.g. 500 mg tablet")
    instructions = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        label="Instructions for the patient",
        help_text="In plain words, e.g. “with breakfast and supper”.",
    )
    times = TimesField(
        required=False,
        label="Daily dose times",
        help_text="24-hour clock, separated by commas, e.g. 08:00, 20:00. Leave empty for “as needed”.",
    )
    start_date = forms.DateField(widget=DateInput, label="First day")
    end_date = forms.DateField(
        widget=DateInput, required=False, label="Last day", help_text="Leave empty if it goes on."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"start_date": clock.today()})
        super().__init__(*args, **kwargs)


class StopForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs=TEXT), label="Why it stops")
    end_date = forms.DateField(
        widget=DateInput, required=False, label="Last day taken", help_text="Today unless you say otherwise."
    )
