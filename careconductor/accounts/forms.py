from __future__ import annotations

from django import forms

from .choices import STAFF_ROLES, Role


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=16,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class AuthenticatorSetupForm(SecondFactorForm):
    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["token"].help_text = "The 6-digit code your authenticator app shows now."


class SecurityPolicyForm(forms.Form):
    mfa_required_roles = forms.MultipleChoiceField(
        label="Roles that must use a second factor",
        choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
