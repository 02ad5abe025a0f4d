"""The letter page's form: input checked at the edge, the action decides. Field names match the action's error
keys so that a refusal shows beside the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms

from careconductor.core.forms import set_choices
from careconductor.core.languages import language_name

from .choices import Delivery, RecipientKind


class LetterForm(forms.Form):
    kind = forms.ChoiceField(label="Letter")
    case = forms.TypedChoiceField(label="About the case", coerce=int, required=False, empty_value=None)
    referral = forms.TypedChoiceField(label="Referral", coerce=int, required=False, empty_value=None)
    appointment = forms.TypedChoiceField(label="Appointment", coerce=int, required=False, empty_value=None)
    language = forms.ChoiceField(label="Language of the letter")
    recipient_kind = forms.ChoiceField(
        label="To", choices=RecipientKind.choices, widget=forms.RadioSelect, initial=RecipientKind.PATIENT
    )
    recipient_name = forms.CharField(
        label="Their name", max_length=200, required=False, help_text="A person or an organisation."
    )
    recipient_address = forms.CharField(
        label="Their address",
        max_length=600,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The postal address, or the e-mail address when the letter is e-mailed.",
    )
    delivery = forms.ChoiceField(label="How it goes", choices=Delivery.choices, initial=Delivery.MAIL)

    def __init__(
        self,
        *args: Any,
        kinds: list[tuple[str, str]],
        languages: list[str],
        cases: list[tuple[int, str]],
        referrals: list[tuple[int, str]],
        appointments: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "kind", kinds)
        set_choices(self, "language", [(code, language_name(code)) for code in languages])
        set_choices(self, "case", [("", "No case"), *cases])
        set_choices(self, "referral", [("", "No referral"), *referrals])
        set_choices(self, "appointment", [("", "No appointment"), *appointments])
