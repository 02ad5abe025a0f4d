"""The chart's note form with its mentions: the note, its label, and colleagues to tell."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django import forms

from careconductor.accounts.choices import Discipline, Role
from careconductor.accounts.models import User
from careconductor.core.forms import set_choices
from careconductor.patients.forms import NoteForm
from careconductor.privacy.choices import Sensitivity


def candidate_label(user: User) -> str:
    """The name to recognise, the handle to type, what they do: "Dana Tester (@dana), physician"."""
    profile = getattr(user, "profile", None)
    what = (
        Discipline(profile.discipline).label.lower()
        if profile is not None and profile.discipline in Discipline.values and user.role == Role.CARE_TEAM
        else Role(user.role).label.lower()
    )
    return f"{user.display_name()} (@{user.username}), {what}"


class MentionNoteForm(NoteForm):
    """NoteForm plus the colleagues to tell (coordination.mentions.mention_candidates). Writing @username in
    the note does the same; the box is there so nobody has to remember a username."""

    mention = forms.MultipleChoiceField(
        label="Mention colleagues",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=(
            "Or write @username in the note. Each is told in their inbox. Only people who may read this note "
            "can be mentioned."
        ),
    )

    def __init__(
        self,
        *args: Any,
        sensitivities: Collection[str] = (Sensitivity.NORMAL,),
        candidates: Sequence[User] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, sensitivities=sensitivities, **kwargs)
        if candidates:
            set_choices(self, "mention", [(u.username, candidate_label(u)) for u in candidates])
        else:
            del self.fields["mention"]  # nobody to offer; @username in the note still works
