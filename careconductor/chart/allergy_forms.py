from __future__ import annotations

from django import forms

from careconductor.patients.choices import (
    AllergyCategory,
    AllergyCriticality,
    AllergyStatus,
    AllergyVerification,
    ReactionSeverity,
)
from careconductor.patients.forms import DateInput


class AllergyForm(forms.Form):
    substance = forms.CharField(
        label="Substance", max_length=200, help_text="e.g. penicillin, peanuts, latex"
    )
    category = forms.ChoiceField(label="Kind", choices=AllergyCategory.choices)
    reaction = forms.CharField(
        label="Reaction", max_length=200, required=False, help_text="e.g. hives, swollen lips"
    )
    severity = forms.ChoiceField(
        label="How bad was it", choices=[("", "Not known"), *ReactionSeverity.choices], required=False
    )
    criticality = forms.ChoiceField(
        label="Risk of a serious reaction next time",
        choices=[("", "Not assessed"), *AllergyCriticality.choices],
        required=False,
    )
    verification = forms.ChoiceField(
        label="Source",
        choices=[(v, label) for v, label in AllergyVerification.choices if v != AllergyVerification.REFUTED],
        initial=AllergyVerification.UNCONFIRMED,
    )
    onset_date = forms.DateField(label="First reaction (if known)", required=False, widget=DateInput)


class AllergyStatusForm(forms.Form):
    allergy = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(
        label="Change to",
        choices=[
            (AllergyStatus.RESOLVED, "Resolved (outgrown, desensitised)"),
            (AllergyStatus.INACTIVE, "Inactive"),
            (AllergyVerification.REFUTED, "Refuted (tested: not allergic)"),
        ],
    )
    reason = forms.CharField(label="Why", max_length=200)
