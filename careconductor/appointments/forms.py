"""Forms check input at the edge; the actions decide. Field names match the actions' error keys so that a
refusal shows beside the field it is about."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

from careconductor.coordination.forms import DateTimeInput

from .choices import AppointmentStatus, Mode, PatientAnswer, WithKind

TEXT = {"rows": 2}
WHEN = {"widget": DateTimeInput(), "input_formats": ["%Y-%m-%dT%H:%M"]}


class AppointmentForm(forms.Form):
    starts_at = forms.DateTimeField(label="When", **WHEN)  # type: ignore[arg-type]
    minutes = forms.IntegerField(label="How long (minutes)", min_value=5, max_value=720, initial=30)
    purpose = forms.CharField(max_length=200, label="What for", help_text="e.g. Follow-up after the hospital")
    with_kind = forms.ChoiceField(label="With", choices=WithKind.choices, initial=WithKind.CARE_TEAM)
    staff = forms.TypedChoiceField(
        label="Member of staff", coerce=int, required=False, empty_value=None, help_text="For the care team."
    )
    referral = forms.TypedChoiceField(
        label="Referral", coerce=int, required=False, empty_value=None, help_text="For a referral's service."
    )
    provider_name = forms.CharField(
        max_length=200, required=False, label="Outside provider", help_text="e.g. Dr Lee, cardiology"
    )
    mode = forms.ChoiceField(label="How", choices=Mode.choices, initial=Mode.IN_PERSON)
    location = forms.CharField(
        max_length=300,
        required=False,
        label="Where",
        help_text="The address; for a call or a video, the number or the link.",
    )
    interpreter_needed = forms.BooleanField(required=False, label="Interpreter needed")
    interpreter_booked = forms.BooleanField(required=False, label="Interpreter booked")
    transport_needed = forms.BooleanField(required=False, label="Transport needed")
    what_to_bring = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), required=False, label="What to bring", help_text="In plain words."
    )

    def action_fields(self, staff: dict[int, Any], referrals: dict[int, Any]) -> dict[str, Any]:
        """The cleaned data as the booking action takes it (ids made into the people and referrals offered)."""
        data = dict(self.cleaned_data)
        data["duration"] = dt.timedelta(minutes=data.pop("minutes"))
        data["staff"] = staff.get(data["staff"]) if data["staff"] is not None else None
        data["referral"] = referrals.get(data["referral"]) if data["referral"] is not None else None
        return data


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        label="What happened",
        choices=[
            (AppointmentStatus.FULFILLED, "Attended"),
            (AppointmentStatus.NO_SHOW, "Did not attend"),
            (AppointmentStatus.CANCELLED, "Cancelled"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(max_length=200, required=False, label="Why cancelled")


class ReminderSettingsForm(forms.Form):
    offsets = forms.CharField(
        max_length=200,
        required=False,
        label="Remind patients",
        help_text=(
            "Separated by commas: 2d@10:00 is two days before at 10:00 (your organisation's time), 2h is two hours "
            "before. Leave empty to send no reminders."
        ),
    )


class AnswerForm(forms.Form):
    """The portal's: two buttons post it, "confirm" (answer only) and "ask to change" (with a note)."""

    answer = forms.ChoiceField(
        choices=[(PatientAnswer.CONFIRMED, ""), (PatientAnswer.CHANGE, "")], widget=forms.HiddenInput
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        max_length=1000,
        label=gettext_lazy("What would suit you better?"),
        help_text=gettext_lazy("For example: a morning, another day, by phone."),
    )
