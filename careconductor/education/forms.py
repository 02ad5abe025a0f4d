from __future__ import annotations

from typing import Any

from django import forms

from careconductor.core.forms import set_choices

from .choices import MaterialFormat, TeachBackResult, Topic


class AssignForm(forms.Form):
    material = forms.ChoiceField(label="Material", choices=())
    language = forms.ChoiceField(
        label="Language",
        required=False,
        choices=[
            ("", "The patient's language (English if not available)"),
            ("en", "English"),
            ("es", "Español"),
        ],
    )
    reason = forms.CharField(
        label="Why this material", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    due = forms.DateField(
        label="Go through it by", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, materials: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "material", [("", "Choose…"), *materials])


class TopicFilterForm(forms.Form):
    topic = forms.ChoiceField(label="Topic", required=False, choices=[("", "All topics"), *Topic.choices])


class DeliveryForm(forms.Form):
    format_used = forms.ChoiceField(label="How it was given", choices=MaterialFormat.choices)
    teach_back = forms.ChoiceField(
        label="Teach-back", choices=TeachBackResult.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Note",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What was gone through, who was there, what to go over again.",
    )
    acknowledge_print_prompt = forms.BooleanField(
        label="I have read this and will go ahead with print alone", required=False
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(label="Why it is withdrawn", max_length=2000)
