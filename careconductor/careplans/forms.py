"""Forms check input at the edge; the actions decide. Field names match the actions' error keys so that a
refusal shows beside the field it is about."""

from __future__ import annotations

from typing import Any

from django import forms

from careconductor.core import clock
from careconductor.core.forms import set_choices

from .choices import (
    Achievement,
    AgreedBy,
    AgreementMethod,
    BarrierKind,
    GoalAgreement,
    GoalLifecycle,
    InterventionKind,
    InterventionStatus,
    OwnerType,
    Proposer,
    ReadingSource,
)
from .measures import MEASURE_CHOICES, MEASURES

TEXT = {"rows": 2}


class DateInput(forms.DateInput):
    input_type = "date"


class TitleForm(forms.Form):
    title = forms.CharField(max_length=200, label="Plan title")


class ProblemByHandForm(forms.Form):
    title = forms.CharField(
        max_length=200, label="Problem or need", help_text="As you would say it to the patient."
    )
    icd10_code = forms.CharField(max_length=10, required=False, label="ICD-10-CM code (optional)")


class ProblemForm(forms.Form):
    title = forms.CharField(max_length=200, label="Problem")
    patient_priority = forms.BooleanField(required=False, label="The patient says this matters most")


class GoalForm(forms.Form):
    patient_words = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        label="The goal in the patient's own words",
        help_text='e.g. "I want to walk my granddaughter to school again."',
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), required=False, label="Clinical statement (for the team)"
    )
    problems = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Problems this goal addresses"
    )
    proposed_by = forms.ChoiceField(choices=Proposer.choices, label="Who proposed it")
    agreement = forms.ChoiceField(choices=GoalAgreement.choices, label="Does the patient agree?")
    patient_rank = forms.IntegerField(
        required=False, min_value=1, max_value=20, label="Patient's priority (1 = first)"
    )
    measure = forms.ChoiceField(choices=MEASURE_CHOICES, label="How progress is measured")
    measure_text = forms.CharField(max_length=200, required=False, label="Describe the measure")
    baseline_value = forms.DecimalField(
        required=False,
        max_digits=9,
        decimal_places=2,
        label="Baseline value",
        help_text="Left empty, the latest value on record (an assessment score, a lab) is used.",
    )
    baseline_text = forms.CharField(max_length=200, required=False, label="Baseline in words")
    target_value = forms.DecimalField(required=False, max_digits=9, decimal_places=2, label="Target value")
    target_text = forms.CharField(max_length=200, required=False, label="Target in words")
    due_on = forms.DateField(required=False, widget=DateInput, label="Due by")

    def __init__(self, *args: Any, problems: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "problems", [(str(pk), title) for pk, title in problems])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("measure")
        if key in MEASURES and not MEASURES[key].numeric and data.get("target_value") is not None:
            self.add_error(
                "target_value", f"{MEASURES[key].label} has no number; describe the target in words."
            )
        return data

    def action_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["problem_ids"] = [int(p) for p in data.pop("problems", [])]
        return data


class LifecycleForm(forms.Form):
    lifecycle = forms.ChoiceField(choices=GoalLifecycle.choices, label="Move the goal to")
    note = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Why")


class ProgressForm(forms.Form):
    achievement = forms.ChoiceField(
        choices=[("", "No change to the status"), *Achievement.choices],
        required=False,
        label="How is it going?",
    )
    note = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Progress note")
    suggested = forms.CharField(required=False, widget=forms.HiddenInput)


class StepForm(forms.Form):
    text = forms.CharField(max_length=300, label="Small step")
    due_on = forms.DateField(required=False, widget=DateInput, label="By")


class BarrierForm(forms.Form):
    kind = forms.ChoiceField(choices=BarrierKind.choices, label="Kind of barrier")
    description = forms.CharField(max_length=300, label="What stands in the way")
    response = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), required=False, label="What we will do about it"
    )


class BarrierUpdateForm(forms.Form):
    response = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="What we are doing")
    resolved = forms.BooleanField(required=False, label="Resolved")


class InterventionForm(forms.Form):
    kind = forms.ChoiceField(choices=InterventionKind.choices, label="Kind")
    title = forms.CharField(max_length=200, label="What will be done")
    detail = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Detail")
    goal = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="For the goal")
    owner_type = forms.ChoiceField(choices=OwnerType.choices, label="Who does it")
    owner = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="Member of staff")
    owner_name = forms.CharField(max_length=200, required=False, label="Caregiver's name")
    due_on = forms.DateField(required=False, widget=DateInput, label="Due by")

    def __init__(
        self, *args: Any, goals: list[tuple[int, str]], staff: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "goal", [("", "— not tied to one goal —"), *goals])
        set_choices(self, "owner", [("", "—"), *staff])


class InterventionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=InterventionStatus.choices, label="Status")


class DecisionForm(forms.Form):
    question = forms.CharField(max_length=300, label="The decision to make")
    option_1 = forms.CharField(max_length=300, required=False, label="Option 1")
    benefits_1 = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Benefits")
    burdens_1 = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Burdens and risks")
    option_2 = forms.CharField(max_length=300, required=False, label="Option 2")
    benefits_2 = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Benefits")
    burdens_2 = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Burdens and risks")
    option_3 = forms.CharField(max_length=300, required=False, label="Option 3 (optional)")
    benefits_3 = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Benefits")
    burdens_3 = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Burdens and risks")
    what_matters = forms.CharField(
        widget=forms.Textarea(attrs=TEXT), label="What matters most to the patient (their words)"
    )
    decision = forms.CharField(widget=forms.Textarea(attrs=TEXT), label="The decision")
    participants = forms.CharField(max_length=300, label="Who took part")
    decided_on = forms.DateField(widget=DateInput, label="Decided on")

    OPTION_ROWS = 3

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        named = [n for n in range(1, self.OPTION_ROWS + 1) if str(data.get(f"option_{n}") or "").strip()]
        if len(named) < 2:
            self.add_error(
                "option_1", "Record at least two options that were weighed (doing nothing can be one)."
            )
        return data

    def option_rows(self) -> list[tuple[int, list[forms.BoundField]]]:
        return [
            (n, [self[f"{name}_{n}"] for name in ("option", "benefits", "burdens")])
            for n in range(1, self.OPTION_ROWS + 1)
        ]

    def action_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        options = []
        for n in range(1, self.OPTION_ROWS + 1):
            options.append(
                {
                    "option": data.pop(f"option_{n}", ""),
                    "benefits": data.pop(f"benefits_{n}", ""),
                    "burdens": data.pop(f"burdens_{n}", ""),
                }
            )
        data["options"] = options
        return data


class PublishForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        required=False,
        label="What changed and why",
        help_text="Kept with the version; the first version may leave it empty.",
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("return", "Return for changes")])
    comment = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Comments")


class AgreementForm(forms.Form):
    agreed_on = forms.DateField(widget=DateInput, label="Reviewed and agreed on")
    method = forms.ChoiceField(choices=AgreementMethod.choices, label="How")
    agreed_by = forms.ChoiceField(choices=AgreedBy.choices, label="Agreed by")
    proxy_name = forms.CharField(max_length=200, required=False, label="Proxy's name")
    proxy_relationship = forms.CharField(max_length=100, required=False, label="Relationship to the patient")
    note = forms.CharField(widget=forms.Textarea(attrs=TEXT), required=False, label="Note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"agreed_on": clock.today(), "method": AgreementMethod.IN_PERSON})
        super().__init__(*args, **kwargs)


class ReviewForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs=TEXT),
        label="What the review found",
        help_text="If the plan needs changes, edit it and make a new version instead.",
    )


class EndForm(forms.Form):
    status = forms.ChoiceField(choices=[("completed", "Completed"), ("revoked", "Revoked")], label="End as")
    reason = forms.CharField(widget=forms.Textarea(attrs=TEXT), label="Why")


class ReadingForm(forms.Form):
    value = forms.DecimalField(max_digits=9, decimal_places=2, label="Value")
    taken_on = forms.DateField(widget=DateInput, label="Taken on")
    source = forms.ChoiceField(choices=ReadingSource.choices, label="Source")
    note = forms.CharField(max_length=200, required=False, label="Note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"taken_on": clock.today(), "source": ReadingSource.LAB})
        super().__init__(*args, **kwargs)


class TemplateGoalsForm(forms.Form):
    goals = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple, label="Goals to add")
    problem = forms.TypedChoiceField(coerce=int, required=False, empty_value=None, label="For the problem")

    def __init__(
        self, *args: Any, goals: list[tuple[str, str]], problems: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "goals", goals)
        set_choices(self, "problem", [("", "— the template's own problem —"), *problems])
