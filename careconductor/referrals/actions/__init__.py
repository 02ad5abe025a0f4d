"""The only code that changes referrals, by subject: making and sending them (referring), the receiving side's
answers (answers), the partner's single-use links (links) and what comes back onto the case (outcomes)."""

from .answers import do_answer_as_partner, do_answer_by_link, do_answer_from_fhir, do_record_answer
from .links import do_issue_link, open_link
from .outcomes import do_acknowledge
from .partners import do_end_partner_login, do_invite_partner
from .referring import do_add_attachments, do_cancel_referral, do_create_referral, do_send_referral

__all__ = [
    "do_acknowledge",
    "do_add_attachments",
    "do_answer_as_partner",
    "do_answer_by_link",
    "do_answer_from_fhir",
    "do_cancel_referral",
    "do_create_referral",
    "do_end_partner_login",
    "do_invite_partner",
    "do_issue_link",
    "do_record_answer",
    "do_send_referral",
    "open_link",
]
