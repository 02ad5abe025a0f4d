"""Forms check input at the edge; field names match the query they build."""

from __future__ import annotations

from django import forms

from careconductor.core.languages import LANGUAGE_CHOICES

from .choices import Need

WITHIN_MILES = [("", "Any distance"), ("1", "1 mile"), ("3", "3 miles"), ("5", "5 miles"), ("10", "10 miles"),
                ("25", "25 miles")]  # fmt: skip


class SearchForm(forms.Form):
    needs = forms.MultipleChoiceField(
        choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Helps with"
    )
    postal_code = forms.CharField(
        max_length=10,
        required=False,
        label="Near ZIP code",
        help_text="The patient's, or where they will be.",
    )
    within = forms.TypedChoiceField(
        choices=WITHIN_MILES, coerce=int, empty_value=None, required=False, label="Within"
    )
    language = forms.ChoiceField(
        choices=[("", "Any"), *LANGUAGE_CHOICES], required=False, label="Someone speaks"
    )
    open_now = forms.BooleanField(required=False, label="Open now")
    free_only = forms.BooleanField(required=False, label="Free only")
    age = forms.IntegerField(min_value=0, max_value=130, required=False, label="For someone aged")
