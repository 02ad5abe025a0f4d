from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from careconductor.core import clock
from careconductor.core.forms import set_choices

from .choices import (
    SENSITIVITY_OF_CONSENT,
    AuditAction,
    ConsentMethod,
    ConsentType,
    EmergencyReason,
    ReviewOutcome,
    Sensitivity,
)

ACCOUNTING_YEARS = 6  # 45 CFR 164.528: disclosures in the six years before the request


class DateInput(forms.DateInput):
    input_type = "date"


class AuditSearchForm(forms.Form):
    patient = forms.CharField(label="Patient MRN", required=False, max_length=100)
    user = forms.CharField(label="User name", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any"), *AuditAction.choices])
    date_from = forms.DateField(label="From", required=False, widget=DateInput)
    date_to = forms.DateField(label="To", required=False, widget=DateInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data


class AccountingForm(forms.Form):
    patient = forms.CharField(label="Patient MRN", max_length=100)
    date_from = forms.DateField(label="From", widget=DateInput, required=False)
    date_to = forms.DateField(label="To", widget=DateInput, required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        today = clock.today()
        end: dt.date = data.get("date_to") or today
        earliest = clock.years_before(end, ACCOUNTING_YEARS)
        start: dt.date = data.get("date_from") or earliest
        if start > end:
            self.add_error("date_to", "The end date is before the start date.")
        elif start < earliest:
            self.add_error("date_from", f"An accounting covers at most {ACCOUNTING_YEARS} years.")
        data["date_from"], data["date_to"] = start, end
        return data


class EmergencyFindForm(forms.Form):
    mrn = forms.CharField(label="MRN", required=False, max_length=100)
    name = forms.CharField(
        label="Full name", required=False, max_length=200, help_text="Given and family name"
    )
    birth_date = forms.DateField(label="Birth date", required=False, widget=DateInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if not data.get("mrn") and not (data.get("name") and data.get("birth_date")):
            raise forms.ValidationError("Enter the MRN, or the full name and the birth date.")
        return data


class EmergencyAccessForm(forms.Form):
    reason = forms.ChoiceField(label="Reason", choices=[("", "Choose…"), *EmergencyReason.choices])
    explanation = forms.CharField(
        label="Why you need this record now", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    acknowledge = forms.BooleanField(
        label="I understand this access is recorded, time-limited and reviewed by the privacy officer.",
        error_messages={"required": "Tick this box to confirm you understand."},
    )


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=ReviewOutcome.choices, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class DisclosureForm(forms.Form):
    disclosed_on = forms.DateField(label="Date disclosed", widget=DateInput)
    recipient_name = forms.CharField(label="Recipient", max_length=200)
    recipient_address = forms.CharField(label="Recipient's address", required=False, max_length=300)
    description = forms.CharField(label="What was disclosed", max_length=300)
    purpose = forms.CharField(label="Purpose", max_length=300)


class ConsentRecordForm(forms.Form):
    consent_type = forms.ChoiceField(label="Consent to", choices=ConsentType.choices)
    recipient_user = forms.TypedChoiceField(
        label="Staff member it names",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="For Part 2 and sharing consents that name someone on the care team.",
    )
    recipient = forms.CharField(label="Or a person or organisation outside", required=False, max_length=200)
    method = forms.ChoiceField(label="How it was given", choices=ConsentMethod.choices)
    given_on = forms.DateField(label="Date given", widget=DateInput)
    expires_on = forms.DateField(label="Expires", required=False, widget=DateInput)
    scope_note = forms.CharField(label="Scope or notes", required=False, max_length=300)

    def __init__(
        self, *args: Any, staff: list[tuple[int, str]], sensitivities: set[str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "recipient_user", [("", "—"), *staff])
        # A consent type that would itself be a sensitive record is offered only to who may read such records.
        set_choices(
            self,
            "consent_type",
            [
                (value, label)
                for value, label in ConsentType.choices
                if SENSITIVITY_OF_CONSENT.get(value, Sensitivity.NORMAL) in sensitivities
            ],
        )
