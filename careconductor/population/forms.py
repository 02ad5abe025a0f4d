"""Population health's forms: a registry's definition, the chosen members referred into a programme or invited in
an outreach campaign, and a campaign member's answer."""

from __future__ import annotations

from typing import Any

from django import forms

from careconductor.cases.choices import Program
from careconductor.core.ids import whole_numbers

from .campaign_rules import RESPONSES
from .models import Campaign
from .registry_rules import CONDITIONS, FACTS, MAX_RULE


class RegistryForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=120, help_text="As your team will know it: Heart failure, high use."
    )
    rule = forms.CharField(
        label="Who belongs",
        max_length=MAX_RULE,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="For example: heart_failure AND (admissions >= 2 OR lace >= 10). The words you can use are listed below.",
    )
    description = forms.CharField(
        label="What it is for",
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: the programme it feeds, who reviews it.",
    )


class MembersField(forms.Field):
    """The ticked members of the list (their record numbers); each must be a whole number."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = [str(v) for v in (value or [])]
        numbers = whole_numbers(values)
        if numbers is None:
            raise forms.ValidationError("Choose members from the list.")
        return numbers


class ReferForm(forms.Form):
    members = MembersField(label="Members", required=False)
    everyone = forms.BooleanField(
        label="Every member not referred from this registry yet (highest tier first)", required=False
    )
    program = forms.ChoiceField(label="Programme", choices=Program.choices)
    team = forms.TypedChoiceField(
        label="Team",
        required=False,
        coerce=int,
        empty_value=None,
        help_text="Leave empty to send them where the programme's referrals go. For a campaign: the team that "
        "calls them and records their answers.",
    )
    # The same chosen members, invited in an outreach campaign instead (campaigns.do_start_campaign says what is
    # missing, beside the field).
    campaign_name = forms.CharField(label="Campaign name", max_length=120, required=False)
    channel = forms.ChoiceField(
        label="How to reach them",
        required=False,
        choices=[("", "Choose"), *Campaign.Channel.choices],
        help_text="Calls go on the campaign's call list for the team; letters are written in each member's "
        "language, for printing; texts are sent at once.",
    )


class AnswerForm(forms.Form):
    response = forms.ChoiceField(label="What they said", choices=[("", "Choose"), *RESPONSES.items()])
    note = forms.CharField(
        label="Note",
        max_length=300,
        required=False,
        help_text="Optional: a better time to call, who answered.",
    )


def rule_words() -> list[tuple[str, str]]:
    """The words a rule may use, with what they mean, for the help beside the form."""
    return (
        [(word, meaning) for word, (_, meaning) in FACTS.items()]
        + [("readmitted", "readmitted within 30 days of a discharge in the last 12 months")]
        + [("hba1c_gap", "diabetes and no HbA1c result in 6 months")]
        + [(word, f"an active diagnosis of {word.replace('_', ' ')}") for word in CONDITIONS]
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        one = super().clean
        return [one(d, initial) for d in data] if isinstance(data, list | tuple) else [one(data, initial)]


class ImportForm(forms.Form):
    uploads = MultipleFileField(
        label="Files",
        error_messages={"required": "Choose the files to import.", "empty": "The file is empty."},
        help_text="FHIR Bulk Data NDJSON (one resource type a file: Patient, Coverage, Condition, Encounter, "
        "Observation), an "
        "eligibility CSV, or patient bundles (.json). Several at once; Patient files are imported first.",
    )
    source = forms.CharField(
        label="Source",
        max_length=40,
        help_text="Who sent them, the same name each time (e.g. plan-feed): a member sent again is recognised by it.",
    )
    dry_run = forms.BooleanField(label="Dry run: check and report, write nothing", required=False)
