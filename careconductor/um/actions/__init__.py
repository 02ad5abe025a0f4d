"""The actions of utilisation management, one module per subject: intake (taking a request in), review (taking
it up, pends, criteria, to a physician, peer-to-peer, extensions, withdrawal), decisions (deciding, appeals), notices (the
letters they send), escalation (breaches, telling physicians, referring to case management). This package names
the do_* other apps and the screens call."""

from .decisions import Decision, do_decide, do_decide_appeal, do_file_appeal
from .escalation import do_mark_breaches, do_refer_to_case_management
from .intake import Line, NewRequest, do_receive_request
from .plan_settings import do_set_um_settings
from .review import (
    do_answer_criteria,
    do_extend,
    do_pend,
    do_record_peer_to_peer,
    do_resume,
    do_review_stay,
    do_send_to_physician,
    do_take_review,
    do_withdraw,
)

__all__ = [
    "Decision",
    "Line",
    "NewRequest",
    "do_answer_criteria",
    "do_decide",
    "do_decide_appeal",
    "do_extend",
    "do_file_appeal",
    "do_mark_breaches",
    "do_pend",
    "do_receive_request",
    "do_record_peer_to_peer",
    "do_refer_to_case_management",
    "do_resume",
    "do_review_stay",
    "do_send_to_physician",
    "do_set_um_settings",
    "do_take_review",
    "do_withdraw",
]
