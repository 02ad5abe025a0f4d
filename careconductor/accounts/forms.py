from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from .choices import STAFF_ROLES, Role


class LoginForm(AuthenticationForm):
    """Django's log-in form, refusing a user name longer than any user's before it reaches authenticate().

    AuthenticationForm sets the field's max_length after the field is built, so no length validator runs;
    django-axes would then store the typed name in a 255-character column (an error on PostgreSQL)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))  # type: ignore[attr-defined]


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
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["token"].help_text = "The 6-digit code your authenticator app shows now."


class SecurityPolicyForm(forms.Form):
    mfa_required_roles = forms.MultipleChoiceField(
        label="Roles that must use a second factor",
        choices=[(r.value, r.label) for r in Role if r in STAFF_ROLES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
