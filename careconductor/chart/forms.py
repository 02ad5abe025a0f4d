from __future__ import annotations

import datetime as dt

from django import forms

from careconductor.cases.choices import Program, ReferralSource
from careconductor.core import clock
from careconductor.core.languages import LANGUAGE_CHOICES
from careconductor.patients.choices import ContactMethod, LearningPreference, Sex
from careconductor.patients.forms import DateInput
from careconductor.patients.rules import birth_date_errors


class NewPatientForm(forms.Form):
    given_name = forms.CharField(label="Given name", max_length=100)
    family_name = forms.CharField(label="Family name", max_length=100)
    birth_date = forms.DateField(label="Birth date", widget=DateInput)
    sex = forms.ChoiceField(label="Sex (administrative)", choices=Sex.choices)
    gender_identity = forms.CharField(label="Gender identity", required=False, max_length=100)
    preferred_language = forms.ChoiceField(label="Preferred language", choices=LANGUAGE_CHOICES, initial="en")
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.EmailField(label="E-mail", required=False)
    address_line = forms.CharField(label="Street address", required=False, max_length=200)
    city = forms.CharField(label="City", required=False, max_length=100)
    state = forms.CharField(label="State", required=False, max_length=40)
    postal_code = forms.CharField(label="ZIP code", required=False, max_length=20)
    preferred_contact_method = forms.ChoiceField(label="Best way to reach", choices=ContactMethod.choices)
    preferred_contact_times = forms.CharField(
        label="Best times to reach", required=False, max_length=100, help_text="e.g. weekday mornings"
    )
    learning_preferences = forms.MultipleChoiceField(
        label="Learns best by",
        choices=LearningPreference.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    health_literacy_concern = forms.BooleanField(
        label="Limited health literacy (use plain language and teach-back)", required=False
    )
    # The referral that opens the first case: it is what links the patient to a case manager.
    program = forms.ChoiceField(label="Programme", choices=Program.choices)
    referral_source = forms.ChoiceField(label="Referred by", choices=ReferralSource.choices)
    # No max_length: a browser would stop typing and cut a paste at it without a word; the action refuses a
    # reason past cases.rules.MAX_REFERRAL_REASON beside the field instead.
    referral_reason = forms.CharField(label="Reason for referral", widget=forms.Textarea)
    confirm_not_duplicate = forms.BooleanField(
        label="I checked: this is not the same person as the possible duplicate shown above",
        required=False,
        widget=forms.HiddenInput,
    )

    def clean_birth_date(self) -> dt.date:
        born: dt.date = self.cleaned_data["birth_date"]
        if message := birth_date_errors(born, clock.today()):
            raise forms.ValidationError(message)
        return born
