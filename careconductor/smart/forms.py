from __future__ import annotations

import json
from typing import Any

from django import forms

from careconductor.accounts.choices import STAFF_ROLES
from careconductor.accounts.models import User

from .models import AppKind

DEFAULT_SCOPES = "launch launch/patient offline_access patient/*.rs user/*.rs"


class _Account(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name()} ({obj.get_role_display()})"


class RegisterAppForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=255, help_text="As people will see it on the consent screen."
    )
    kind = forms.ChoiceField(
        label="Kind", choices=AppKind.choices, widget=forms.RadioSelect, initial=AppKind.LAUNCH
    )
    description = forms.CharField(label="What it does", max_length=200, required=False)
    allowed_scopes = forms.CharField(
        label="Scopes it may ask for",
        initial=DEFAULT_SCOPES,
        help_text="SMART scopes separated by spaces, e.g. patient/*.rs launch/patient offline_access (an app "
        "people open) or system/*.rs (a system feed).",
    )
    redirect_uris = forms.CharField(
        label="Redirect addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Apps people open: where the app receives its answer, one per line (https://, or http://localhost).",
    )
    launch_url = forms.URLField(
        assume_scheme="https",
        label="Launch address",
        max_length=400,
        required=False,
        help_text="Optional: where “Open in app” on a chart sends the browser (EHR launch).",
    )
    confidential = forms.BooleanField(
        label="The app keeps a secret (it runs on a server)",
        required=False,
        help_text="Leave unticked for apps on phones and in browsers: they prove themselves with PKCE.",
    )
    jwks = forms.CharField(
        label="Public keys (JWK Set)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text='System feeds: the client\'s public keys, {"keys": [...]}; RS384 or ES384.',
    )
    service_user = _Account(
        label="Acts as",
        queryset=User.objects.none(),
        required=False,
        help_text="System feeds: the account whose access the feed has.",
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service_user"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            organization_id=organization_id, is_active=True, role__in=STAFF_ROLES
        ).order_by("last_name", "first_name")

    def clean_jwks(self) -> dict[str, Any]:
        text = self.cleaned_data["jwks"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise forms.ValidationError("This is not JSON.") from exc
        if not isinstance(value, dict):
            raise forms.ValidationError('A JWK Set is an object: {"keys": [...]}.')
        return value

    def clean_redirect_uris(self) -> list[str]:
        return self.cleaned_data["redirect_uris"].split()

    def clean_allowed_scopes(self) -> list[str]:
        return self.cleaned_data["allowed_scopes"].split()
