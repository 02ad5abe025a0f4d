"""Forms of the merge pages (merge_views.py): finding the two records, and confirming the merge."""

from __future__ import annotations

from django import forms


class FindForm(forms.Form):
    q = forms.CharField(
        label="Find the records",
        max_length=100,
        required=False,
        help_text="A name (nicknames too: Lupe finds Guadalupe), an MRN or a phone number.",
    )


class PairForm(forms.Form):
    kept = forms.IntegerField(label="Record to keep", min_value=1, widget=forms.HiddenInput)
    duplicate = forms.IntegerField(label="Duplicate to merge into it", min_value=1, widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kept") and data.get("kept") == data.get("duplicate"):
            self.add_error("duplicate", "Choose two different records: this is the record you keep.")
        return data


class ConfirmForm(forms.Form):
    reason = forms.CharField(
        label="Why are these the same person?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the merge history, e.g. same birth date and phone; old MRN from a 2019 registration.",
    )
    confirm = forms.BooleanField(
        label="I have checked that both records are the same person. The merge cannot be undone on screen.",
        error_messages={"required": "Tick the box to confirm that both records are the same person."},
    )
