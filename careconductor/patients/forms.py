from __future__ import annotations

from django import forms


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
