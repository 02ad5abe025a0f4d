from __future__ import annotations

from typing import Any

from django import forms

from careconductor.core.forms import set_choices
from careconductor.core.widgets import FastSelect
from careconductor.privacy.choices import ConsentMethod

from .choices import CaseStatus, ClosureReason, Program
from .rules import ACUITY_LABELS


class DateInput(forms.DateInput):
    input_type = "date"


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any"), ("open", "Open (any)"), *CaseStatus.choices]
    )
    program = forms.ChoiceField(label="Programme", required=False, choices=[("", "Any"), *Program.choices])
    case_manager = forms.TypedChoiceField(
        label="Case manager", required=False, coerce=int, empty_value=None, widget=FastSelect
    )

    def __init__(self, *args: Any, managers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "case_manager", [("", "Anyone"), ("0", "Unassigned"), *managers])


class TransitionForm(forms.Form):
    target = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label="Why", required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    closure_reason = forms.ChoiceField(
        label="Reason for closing", required=False, choices=[("", "Choose…"), *ClosureReason.choices]
    )
    closure_reason_other = forms.CharField(label="Other reason", required=False, max_length=200)
    closing_summary = forms.CharField(
        label="Closing summary",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        help_text="Goals and their final status, outcomes, open referrals, who takes over.",
    )


class ConsentForm(forms.Form):
    method = forms.ChoiceField(label="How consent was given", choices=ConsentMethod.choices)
    given_on = forms.DateField(label="Date given", widget=DateInput)
    expires_on = forms.DateField(label="Expires", required=False, widget=DateInput)
    scope_note = forms.CharField(label="Notes", required=False, max_length=300)


class AssignForm(forms.Form):
    case_manager = forms.TypedChoiceField(label="Case manager", coerce=int, widget=FastSelect)
    override_reason = forms.CharField(
        label="Reason for choosing someone other than the top suggestion",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "case_manager", choices)


class AcuityForm(forms.Form):
    acuity_tier = forms.TypedChoiceField(
        label="Acuity tier", coerce=int, choices=sorted(ACUITY_LABELS.items())
    )
    note = forms.CharField(label="Why", required=False, max_length=500)


class ReassignForm(forms.Form):
    """Bulk reassignment: the cases (drawn as a table of checkboxes by the template), the new case manager from
    the ranked suggestion, why, and why not the top suggestion when someone else is chosen."""

    cases = forms.TypedMultipleChoiceField(label="Cases to move", coerce=int, required=False)
    case_manager = forms.TypedChoiceField(
        label="New case manager", coerce=int, required=False, empty_value=None, widget=FastSelect
    )
    reason = forms.CharField(
        label="Why the cases change hands",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept with each case's assignment history, and told to the new case manager.",
    )
    override_reason = forms.CharField(
        label="Reason for choosing someone other than the top suggestion",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self, *args: Any, cases: list[tuple[int, str]], managers: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "cases", cases)
        set_choices(self, "case_manager", [("", "Choose…"), *managers])


class CoverForm(forms.Form):
    absent = forms.TypedChoiceField(label="Who is away", coerce=int, empty_value=None)
    delegate = forms.TypedChoiceField(label="Who covers", coerce=int, empty_value=None)
    start_date = forms.DateField(label="First day away", widget=DateInput)
    end_date = forms.DateField(label="Last day away", widget=DateInput)
    note = forms.CharField(label="Note for the colleague who covers", required=False, max_length=300)

    def __init__(
        self, *args: Any, absent: list[tuple[int, str]], delegates: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "absent", absent)
        set_choices(self, "delegate", [("", "Choose…"), *delegates])
