"""The referral screens' forms: making one, sending it (with the consent it needs), the organisation's answer
(on the partner's pages, and staff recording a phone call), cancelling and acknowledging."""

from __future__ import annotations

from typing import Any

from django import forms

from careconductor.directory.choices import Need
from careconductor.privacy.choices import ConsentMethod

from .choices import DeclineReason, ReferralStatus, SharedItem, Urgency


class ReferralForm(forms.Form):
    need = forms.ChoiceField(
        label="Need",
        choices=[("", "Choose …"), *Need.choices],
        error_messages={"required": "Choose the need this referral is for."},
    )
    service = forms.IntegerField(widget=forms.HiddenInput, required=False)
    recipient_name = forms.CharField(
        label="Or refer to a person or organisation not in the directory",
        max_length=200,
        required=False,
        help_text="Their name, when no service is chosen.",
    )
    recipient_contact = forms.CharField(
        label="Their e-mail or phone",
        max_length=200,
        required=False,
        help_text="An e-mail address gets the link.",
    )
    recipient_hipaa_covered = forms.BooleanField(
        label="They are a HIPAA covered entity (a clinic, hospital or health plan)", required=False
    )
    reason = forms.CharField(
        label="Reason for the referral",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="What you ask them to do, in words they will understand.",
        error_messages={
            "required": "Say why you are referring, in a sentence the organisation will understand."
        },
    )
    urgency = forms.ChoiceField(label="Urgency", choices=Urgency.choices, initial=Urgency.ROUTINE)
    shared = forms.MultipleChoiceField(
        label="What they may see besides the patient's name and the need",
        choices=SharedItem.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Share only what they need to help (minimum necessary).",
    )
    patient_instructions = forms.CharField(
        label="What the patient should bring or do",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
        help_text="Shown to the patient in the portal. Left empty, the service's own instructions are used.",
    )
    attachments = forms.FileField(
        label="Attach documents (PDF or pictures)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
    )


class SendForm(forms.Form):
    consent = forms.TypedChoiceField(label="Consent on file", coerce=int, required=False, empty_value=None)
    record_consent = forms.BooleanField(label="The patient agrees now; record their consent", required=False)
    method = forms.ChoiceField(
        label="How they agreed", choices=ConsentMethod.choices, initial=ConsentMethod.VERBAL
    )
    given_on = forms.DateField(
        label="Date they agreed", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label="Note to the organisation (optional)", max_length=500, required=False)


class AnswerForm(forms.Form):
    """The organisation's answer: on its own pages, and for staff who record a phone call."""

    status = forms.ChoiceField(label="Answer", choices=[])
    decline_reason = forms.ChoiceField(
        label="Why you decline", choices=[("", "—"), *DeclineReason.choices], required=False
    )
    proposed_at = forms.DateTimeField(
        label="Appointment date and time",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="What happened, what the patient should know.",
    )

    def __init__(self, *args: Any, moves: list[ReferralStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(m.value, ANSWER_WORDS[m]) for m in moves]


ANSWER_WORDS = {
    ReferralStatus.RECEIVED: "We received it and will answer soon",
    ReferralStatus.ACCEPTED: "We accept the referral",
    ReferralStatus.DECLINED: "We decline the referral",
    ReferralStatus.SCHEDULED: "We booked (or moved) an appointment",
    ReferralStatus.COMPLETED: "The service was given",
    ReferralStatus.NO_SHOW: "The patient did not come",
    ReferralStatus.CANCELLED: "We cancel (the patient withdrew, or we cannot help after all)",
}


class CancelForm(forms.Form):
    note = forms.CharField(label="Why you cancel", max_length=500)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label="Note for the goal (optional)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        required=False,
    )
    resolve_barrier = forms.BooleanField(label="This resolves the barrier", required=False)
