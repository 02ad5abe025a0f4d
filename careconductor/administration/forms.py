from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

from careconductor.accounts.choices import STAFF_ROLES, Discipline, ExperienceLevel, Role
from careconductor.accounts.models import Team, User
from careconductor.cases.choices import Program
from careconductor.core import zones
from careconductor.core.languages import LANGUAGE_CHOICES

from .actions import LEADING_ROLES

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in Role if r in STAFF_ROLES]


class OrganizationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    phone = forms.CharField(
        label="Main phone", max_length=40, required=False, help_text="Printed on patients' plans."
    )
    after_hours_phone = forms.CharField(label="Phone at night and at weekends", max_length=40, required=False)
    address = forms.CharField(
        label="Postal address",
        max_length=300,
        required=False,
        help_text="Printed on letters, e.g. 120 Main Street, Riverside, OR 97901.",
    )
    time_zone = forms.ChoiceField(
        label="Time zone",
        choices=lambda: [
            ("", f"The installation's ({settings.TIME_ZONE})"),
            *((name, name.replace("_", " ")) for name in zones.zone_names()),
        ],
        required=False,
        help_text="Days, due times and the times on every page are in it.",
    )


class _StaffChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name()} ({obj.get_role_display()})"


class TeamForm(forms.Form):
    name = forms.CharField(label="Team name", max_length=200)
    supervisor = _StaffChoice(
        label="Supervisor",
        queryset=User.objects.none(),
        required=False,
        help_text="Assigns the team's referrals and approves what the programme asks to be approved.",
    )
    programs = forms.MultipleChoiceField(
        label="Receives referrals for",
        choices=Program.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            organization_id=organization_id, is_active=True, role__in=LEADING_ROLES
        ).order_by("last_name", "first_name")


class StaffForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    email = forms.EmailField(label="E-mail", help_text="The invitation and notifications go here.")
    role = forms.ChoiceField(label="Role", choices=STAFF_ROLE_CHOICES)
    discipline = forms.ChoiceField(label="Discipline", choices=Discipline.choices)
    credentials = forms.CharField(
        label="Licence and credentials", max_length=100, required=False, help_text="e.g. RN, CCM, LCSW"
    )
    experience_level = forms.ChoiceField(
        label="Experience",
        choices=ExperienceLevel.choices,
        initial=ExperienceLevel.COMPETENT,
        help_text="Tier 3 and 4 cases go only to proficient or expert staff.",
    )
    caseload_capacity = forms.IntegerField(
        label="Capacity (acuity points)",
        min_value=0,
        max_value=500,
        initial=0,
        help_text="0 for people who carry no cases. Tier 1 counts 1 point, tier 4 counts 8.",
    )
    languages = forms.MultipleChoiceField(
        label="Languages spoken",
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    work_phone = forms.CharField(
        label="Work phone", max_length=40, required=False, help_text="Given to patients on their plan."
    )
    team = forms.ModelChoiceField(label="Team", queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, organization_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(organization_id=organization_id)  # type: ignore[attr-defined]


class InviteForm(StaffForm):
    username = forms.CharField(
        label="User name", max_length=150, help_text="What they type to log in, e.g. maria.lopez."
    )

    field_order = ["first_name", "last_name", "username", "email"]


class DeactivateForm(forms.Form):
    hand_over_to = _StaffChoice(
        label="Hand their open cases and tasks to",
        queryset=User.objects.none(),
        required=False,
        help_text="Cases go to case managers and supervisors with capacity.",
    )
    reason = forms.CharField(label="Why", max_length=150)

    def __init__(self, *args: Any, member: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hand_over_to"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(organization_id=member.org_id, is_active=True, is_system=False)
            .exclude(pk=member.pk)
            .exclude(role=Role.PATIENT)
            .order_by("last_name", "first_name")
        )


class ProgramRulesForm(forms.Form):
    program = forms.ChoiceField(label="Programme", choices=Program.choices, widget=forms.HiddenInput)
    plan_approval = forms.BooleanField(
        label="A supervisor approves each care plan and revision", required=False
    )
    closure_approval = forms.BooleanField(label="A supervisor approves closing a case", required=False)
    phq_9 = forms.IntegerField(
        label="PHQ-9 every (days, while depression is on the plan)", min_value=7, max_value=730
    )
    icm_complexity_grid = forms.IntegerField(label="Complexity grid every (days)", min_value=7, max_value=730)
    ahc_hrsn = forms.IntegerField(label="Social needs screening every (days)", min_value=7, max_value=730)
    discharge_referral_lace = forms.IntegerField(
        label="Refer patients discharged from hospital without a case when LACE is at least",
        help_text="0 to 19; leave empty and this programme takes no discharges (ADT feed)",
        min_value=0,
        max_value=19,
        required=False,
    )

    SLUG_FIELDS = {"phq-9": "phq_9", "icm-complexity-grid": "icm_complexity_grid", "ahc-hrsn": "ahc_hrsn"}

    def reassessment_days(self) -> dict[str, int]:
        return {slug: self.cleaned_data[name] for slug, name in self.SLUG_FIELDS.items()}
