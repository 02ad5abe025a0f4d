"""Invitation letters of an outreach campaign (population.campaigns), written in one batch: one letter a member,
in their language, mailed to the address on record, kept as any letter is (what went out is what is shown later).

The caller is the campaign's action, which has checked through the policy (policy.campaign_rows) that the user
runs the organisation's campaigns; these members have no case yet, so no one has a relationship with them. Each
letter is audited as made for its member, in one batch."""

from __future__ import annotations

from collections.abc import Sequence

from careconductor.accounts.models import Organization, User
from careconductor.core import clock
from careconductor.patients.models import Patient
from careconductor.privacy import audit
from careconductor.privacy.choices import AuditAction

from . import library, rules
from .choices import Delivery, LetterKind, RecipientKind
from .drafting import draft, patient_address
from .models import Letter


def do_write_invitations(
    user: User, organization: Organization, members: Sequence[Patient], *, program: str
) -> dict[int, Letter]:
    """A mailed invitation to `program` for each member (who must have a postal address); the letters by patient
    id. Call inside the campaign's transaction."""
    template = library.template(LetterKind.INVITATION)
    if template is None:  # a deployer's broken file replaced it: the check command says why
        raise LookupError(
            "The invitation letter's template cannot be read: run `careconductor letter_templates list`."
        )
    now, made = clock.now(), {}
    with audit.batched():
        for patient in members:
            language = rules.letter_language(patient.preferred_language, template.languages)
            written = draft(template, language, patient=patient, organization=organization, program=program)
            letter = Letter.objects.create(
                organization=organization,
                patient=patient,
                kind=LetterKind.INVITATION,
                language=written.language,
                recipient_kind=RecipientKind.PATIENT,
                recipient_name=patient.full_name,
                recipient_address=patient_address(patient),
                letterhead=written.letterhead,
                subject=written.subject or template.title,
                body=written.body,
                template_source=written.template_source,
                delivery=Delivery.MAIL,
                sent_at=now,
                sent_by=user,
            )
            audit.record(user, AuditAction.CREATE, patient=patient, obj=letter, detail="letter invitation")
            made[patient.pk] = letter
    return made
