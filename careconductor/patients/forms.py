from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms

from careconductor.core.forms import set_choices
from careconductor.privacy.choices import Sensitivity


class DateInput(forms.DateInput):
    input_type = "date"


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Name or identifier", required=False, max_length=100)
    birth_date = forms.DateField(label="Birth date", required=False, widget=DateInput)


def offer_labels(form: forms.Form, sensitivities: Collection[str]) -> None:
    """No one labels a record they could not read, and the choice does not hint at labels they may not see
    (`sensitivities` from privacy.policy.record_sensitivities)."""
    choices = [(v, label) for v, label in Sensitivity.choices if v in sensitivities]
    if len(choices) == 1:
        del form.fields["sensitivity"]  # only normal records: nothing to choose
    else:
        set_choices(form, "sensitivity", choices)


class ConditionForm(forms.Form):
    icd10_code = forms.CharField(label="ICD-10-CM code", max_length=10, help_text="e.g. E11.9")
    display = forms.CharField(label="Condition", max_length=200)
    chronic = forms.BooleanField(label="Chronic", required=False, initial=True)
    onset_date = forms.DateField(label="Onset", required=False, widget=DateInput)
    sensitivity = forms.ChoiceField(label="Sensitivity", choices=Sensitivity.choices, required=False)

    def __init__(
        self, *args: Any, sensitivities: Collection[str] = (Sensitivity.NORMAL,), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        offer_labels(self, sensitivities)


class NoteForm(forms.Form):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 4}), max_length=20000)
    sensitivity = forms.ChoiceField(
        label="Sensitivity",
        choices=Sensitivity.choices,
        required=False,
        help_text="Part 2 and psychotherapy notes are hidden from the care team unless the patient consents.",
    )

    def __init__(
        self, *args: Any, sensitivities: Collection[str] = (Sensitivity.NORMAL,), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        offer_labels(self, sensitivities)
