"""Letters for the demo (issue 20): `casemanager` welcomed the three patients she enrolled last, by post in each
one's language, sent the unable-to-reach letter to the patient not reached after three tries (the coordination
scenarios), which is that protocol's letter step (her worklist's next step is the caregiver), and wrote to the
organisation of a referral sent with the patient's consent (the referral scenarios), a disclosure."""

from __future__ import annotations

from typing import Protocol

from careconductor.accounts.models import Organization, User
from careconductor.cases.choices import CaseStatus
from careconductor.cases.models import Case
from careconductor.coordination.models import OutreachAttempt
from careconductor.coordination.reach import reach_state_for
from careconductor.core.errors import ActionRefused, NotVisible
from careconductor.letters.actions import LetterRequest, do_send_letter
from careconductor.letters.choices import Delivery, LetterKind, RecipientKind
from careconductor.letters.drafting import patient_address, referral_address
from careconductor.letters.models import Letter
from careconductor.referrals.choices import ReferralStatus
from careconductor.referrals.models import Referral

WELCOMED = 3
SENT_ON = (ReferralStatus.SENT, ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED, ReferralStatus.SCHEDULED)


class Out(Protocol):
    def write(self, text: str, /) -> object: ...


def _send(manager: User, case: Case, kind: str) -> Letter | None:
    patient = case.patient
    delivery = Delivery.MAIL if patient_address(patient) else Delivery.HAND
    try:
        return do_send_letter(
            manager,
            patient,
            LetterRequest(kind=kind, language=patient.preferred_language, delivery=delivery, case=case),
        )
    except ActionRefused:
        return None


def _referral_letter(manager: User, org: Organization) -> Letter | None:
    """To the organisation of the first referral sent under the patient's consent to a service with an address
    (a ride by phone has none), by post or e-mail."""
    referrals = (
        Referral.objects.filter(
            organization=org, consent__isnull=False, service__isnull=False, status__in=SENT_ON
        )
        .select_related("patient", "case", "service", "service__provider")
        .order_by("pk")
    )
    for referral in referrals[:10]:
        address = referral_address(referral)
        if not address:
            continue
        request = LetterRequest(
            kind=LetterKind.REFERRAL,
            language="en",
            case=referral.case,
            referral=referral,
            recipient_kind=RecipientKind.THIRD_PARTY,
            recipient_name=referral.recipient,
            recipient_address=address,
            delivery=Delivery.EMAIL if "@" in address else Delivery.MAIL,
        )
        try:
            return do_send_letter(manager, referral.patient, request)
        except (ActionRefused, NotVisible):
            continue
    return None


def add_letters(org: Organization, out: Out) -> int:
    """How many letters were sent; none when the demo has them already or has no `casemanager`."""
    manager = User.objects.filter(organization=org, username="casemanager").first()
    if manager is None or Letter.objects.filter(organization=org).exists():
        return 0
    cases = list(
        Case.objects.filter(primary_case_manager=manager, status=CaseStatus.ACTIVE)
        .select_related("patient", "primary_case_manager")
        .order_by("-referred_at", "-pk")
    )
    sent = 0
    unreached = [
        c
        for c in cases
        if not OutreachAttempt.objects.filter(case=c).exists() and reach_state_for(c).next_step
    ]
    for case in unreached[:1]:
        sent += _send(manager, case, LetterKind.UNABLE_TO_REACH) is not None
    for case in [c for c in cases if c not in unreached][:WELCOMED]:
        sent += _send(manager, case, LetterKind.WELCOME) is not None
    sent += _referral_letter(manager, org) is not None
    out.write(
        f"Letters: {sent} (welcome letters in each patient's language, an unable-to-reach letter, a referral "
        "letter to a community organisation).\n"
    )
    return sent
