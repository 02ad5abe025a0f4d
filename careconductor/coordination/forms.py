from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms

from careconductor.cases.choices import ClosureReason, Program
from careconductor.cases.rules import ACUITY_LABELS
from careconductor.core.forms import set_choices
from careconductor.patients.choices import CareTeamCategory
from careconductor.patients.forms import offer_labels
from careconductor.privacy.choices import Sensitivity

from .choices import (
    ContactDirection,
    ContactMode,
    ContactParty,
    InterpreterUse,
    MedsTaken,
    OutreachStep,
    TaskPriority,
    TeachBack,
    TimeActivity,
)
from .rules import BAND_LABELS


class DateInput(forms.DateInput):
    input_type = "date"


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class WorklistFilterForm(forms.Form):
    program = forms.ChoiceField(label="Programme", required=False, choices=[("", "Any"), *Program.choices])
    tier = forms.TypedChoiceField(
        label="Acuity",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any"), *sorted(ACUITY_LABELS.items(), reverse=True)],
    )
    band = forms.TypedChoiceField(
        label="Type of work",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "All"), *[(int(b), label) for b, label in BAND_LABELS.items()]],
    )


class ContactForm(forms.Form):
    case = forms.TypedChoiceField(label="Case", coerce=int, required=False, empty_value=None)
    contact_at = forms.DateTimeField(label="When", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])
    mode = forms.ChoiceField(label="How", choices=ContactMode.choices)
    direction = forms.ChoiceField(
        label="Who reached out", choices=ContactDirection.choices, widget=forms.RadioSelect
    )
    reached = forms.TypedChoiceField(
        label="Reached?",
        coerce=lambda v: v == "yes",
        choices=[("yes", "Yes, we spoke"), ("no", "No – attempt only (no answer, voicemail, wrong number)")],
        widget=forms.RadioSelect,
    )
    party = forms.ChoiceField(label="With", choices=ContactParty.choices, initial=ContactParty.PATIENT)
    party_name = forms.CharField(label="Their name", required=False, max_length=200)
    interpreter = forms.ChoiceField(label="Interpreter", required=False, choices=InterpreterUse.choices)
    minutes = forms.IntegerField(
        label="Minutes", min_value=0, max_value=600, initial=0, help_text="Counts toward monthly time."
    )
    patient_words = forms.CharField(
        label="What the patient said, in their words",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    meds_taken = forms.ChoiceField(label="Medicines", required=False, choices=MedsTaken.choices)
    symptoms = forms.CharField(
        label="Symptoms", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    goal_progress = forms.CharField(
        label="Progress on goals", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    barriers = forms.CharField(
        label="Barriers raised", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    education = forms.CharField(
        label="Education given", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    teach_back = forms.ChoiceField(label="Teach-back", required=False, choices=TeachBack.choices)
    next_steps = forms.CharField(
        label="Next steps", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    follow_up_title = forms.CharField(
        label="Follow-up task (optional)",
        required=False,
        max_length=200,
        help_text="e.g. Call back about the pharmacy refill",
    )
    follow_up_due = forms.DateField(label="Follow-up due", required=False, widget=DateInput())
    sensitivity = forms.ChoiceField(
        label="Sensitivity",
        choices=Sensitivity.choices,
        required=False,
        help_text="A contact about a Part 2 or psychotherapy record is shown only to who may read such records.",
    )

    def __init__(
        self,
        *args: Any,
        cases: list[tuple[int, str]],
        sensitivities: Collection[str] = (Sensitivity.NORMAL,),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "case", [("", "Not about a case"), *cases])
        offer_labels(self, sensitivities)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("follow_up_title") and not data.get("follow_up_due"):
            self.add_error("follow_up_due", "Give the follow-up a due date.")
        return data


class TimeForm(forms.Form):
    case = forms.TypedChoiceField(label="Case", coerce=int, required=False, empty_value=None)
    on = forms.DateField(label="Day", widget=DateInput())
    activity = forms.ChoiceField(label="Activity", choices=TimeActivity.choices)
    minutes = forms.IntegerField(label="Minutes", min_value=1, max_value=600)
    note = forms.CharField(label="What was done", required=False, max_length=300)

    def __init__(self, *args: Any, cases: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "case", [("", "Not about a case"), *cases])


class TaskForm(forms.Form):
    title = forms.CharField(label="What needs doing", max_length=200)
    description = forms.CharField(
        label="Details", required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee = forms.ChoiceField(
        label="For", help_text="A person, or a team's queue anyone on the team can claim"
    )
    priority = forms.ChoiceField(label="Priority", choices=TaskPriority.choices, initial=TaskPriority.ROUTINE)
    due_at = forms.DateTimeField(label="Due", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])
    case = forms.TypedChoiceField(label="Case", coerce=int, required=False, empty_value=None)
    sensitivity = forms.ChoiceField(
        label="Sensitivity",
        choices=Sensitivity.choices,
        required=False,
        help_text="Work about a Part 2 or psychotherapy record goes only to someone who may read such records.",
    )

    def __init__(
        self,
        *args: Any,
        assignees: list[tuple[str, str]],
        cases: list[tuple[int, str]],
        sensitivities: Collection[str] = (Sensitivity.NORMAL,),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee", [("", "Choose…"), *assignees])
        set_choices(self, "case", [("", "Not about a case"), *cases])
        offer_labels(self, sensitivities)


class ReassignForm(forms.Form):
    assignee = forms.ChoiceField(label="Hand to")
    reason = forms.CharField(
        label="Why", max_length=300, error_messages={"required": "Say why the task changes hands."}
    )

    def __init__(self, *args: Any, assignees: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "assignee", [("", "Choose…"), *assignees])


class NoteForm(forms.Form):
    note = forms.CharField(label="Note", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class CareTeamMemberForm(forms.Form):
    member = forms.TypedChoiceField(
        label="Member of staff",
        coerce=int,
        required=False,
        empty_value=None,
        help_text="Or choose “Someone outside the system” for a family caregiver or community worker",
    )
    name = forms.CharField(label="Name (outside the system)", required=False, max_length=200)
    organization_name = forms.CharField(label="Organisation", required=False, max_length=200)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.EmailField(label="E-mail", required=False)
    category = forms.ChoiceField(label="Kind of member", choices=[("", "Choose…"), *CareTeamCategory.choices])
    role = forms.CharField(
        label="Role on the team",
        max_length=100,
        help_text="e.g. Primary care physician; daughter, main caregiver",
    )
    is_lead = forms.BooleanField(label="Leads the team", required=False)
    start_date = forms.DateField(label="From", widget=DateInput())
    end_date = forms.DateField(label="Until", required=False, widget=DateInput())

    def __init__(self, *args: Any, staff: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        set_choices(self, "member", [("", "Someone outside the system"), *staff])


class EndMemberForm(forms.Form):
    end_date = forms.DateField(label="Last day on the team", widget=DateInput())
    reason = forms.CharField(label="Why", max_length=200)


class ClosureForm(forms.Form):
    reason = forms.ChoiceField(label="Reason for closing", choices=[("", "Choose…"), *ClosureReason.choices])
    reason_other = forms.CharField(label="Other reason", required=False, max_length=200)
    takes_over = forms.CharField(
        label="Who takes over",
        required=False,
        max_length=200,
        help_text="e.g. Dr Okafor (PCP) and the CHW team",
    )
    summary = forms.CharField(
        label="Closing summary",
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Drafted from the care plan and open work; edit it before closing.",
    )


class ClosureDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision",
        choices=[("approve", "Approve and close the case"), ("return", "Return with comments")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comments", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class OutreachForm(forms.Form):
    step = forms.ChoiceField(label="Step", choices=OutreachStep.choices)
    note = forms.CharField(label="What was done", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class MonthForm(forms.Form):
    month = forms.RegexField(
        widget=forms.TextInput(attrs={"type": "month"}),
        label="Month",
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        error_messages={"invalid": "Give a month as YYYY-MM."},
    )


class CadenceForm(forms.Form):
    program = forms.ChoiceField(label="Programme", choices=Program.choices)
    acuity_tier = forms.TypedChoiceField(
        label="Acuity tier", coerce=int, choices=sorted(ACUITY_LABELS.items(), reverse=True)
    )
    interval_days = forms.IntegerField(label="Contact every (days)", min_value=1, max_value=366)
    mode = forms.ChoiceField(label="How", choices=ContactMode.choices)
    by_whom = forms.CharField(label="By whom", required=False, max_length=100, help_text="e.g. social worker")


class HolidayForm(forms.Form):
    date = forms.DateField(label="Day", widget=DateInput())
    name = forms.CharField(label="Name", max_length=100, help_text="e.g. Christmas Eve (offices closed)")
