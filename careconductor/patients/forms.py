from __future__ import annotations

from django import forms

from careconductor.privacy.choices import Sensitivity


class DateInput(forms.DateInput):
    input_type = "date"


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Name or identifier", required=False, max_length=100)
    birth_date = forms.DateField(label="Birth date", required=False, widget=DateInput)


class ConditionForm(forms.Form):
    icd10_code = forms.CharField(label="ICD-10-CM code", max_length=10, help_text="e.g. E11.9")
    display = forms.CharField(label="Condition", max_length=200)
    chronic = forms.BooleanField(label="Chronic", required=False, initial=True)
    onset_date = forms.DateField(label="Onset", required=False, widget=DateInput)
    sensitivity = forms.ChoiceField(label="Sensitivity", choices=Sensitivity.choices, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    sensitivity = forms.ChoiceField(
        label="Sensitivity",
        choices=Sensitivity.choices,
        required=False,
        help_text="Part 2 and psychotherapy notes are hidden from the care team unless the patient consents.",
    )
