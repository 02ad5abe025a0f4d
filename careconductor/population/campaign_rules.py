"""An outreach campaign's rules (issue 22): who is left out of it and why, what a member's answer does to where
they stand, and the words of a text-message invitation. Pure; tested as tables and, for the answers, by a
hypothesis walk.

Where a member stands (STATUSES):
- waiting: invited (a call waits in the team's queue, a letter or text went out), no answer yet;
- no-answer: called, nobody answered; called again, up to MAX_CALLS calls, then not-reached;
- interested: said yes; referred into the programme by a population health analyst (then referred);
- declined, wrong-number, not-reached: the end of it for this campaign;
- opted-out: asked not to be contacted: later campaigns leave them out too.
"""

from __future__ import annotations

from typing import NamedTuple

from careconductor.letters.rules import PROGRAM_WORDS, words_for

WAITING = "waiting"
NO_ANSWER = "no-answer"
INTERESTED = "interested"
REFERRED = "referred"
DECLINED = "declined"
WRONG_NUMBER = "wrong-number"
NOT_REACHED = "not-reached"
OPTED_OUT = "opted-out"

STATUSES = {
    WAITING: "Waiting for an answer",
    NO_ANSWER: "Called, no answer yet",
    INTERESTED: "Said yes: to be referred",
    REFERRED: "Referred into the programme",
    DECLINED: "Said no",
    WRONG_NUMBER: "Wrong or disconnected number",
    NOT_REACHED: "Not reached",
    OPTED_OUT: "Asked not to be contacted",
}
# What staff record after a call or when a member calls back (the keys are also statuses, but for no-answer).
RESPONSES = {
    INTERESTED: "Yes, they want to join",
    DECLINED: "No, not now",
    NO_ANSWER: "Called: no answer, left a message",
    WRONG_NUMBER: "Wrong or disconnected number",
    OPTED_OUT: "Asked not to be contacted again",
}
OPEN = frozenset({WAITING, NO_ANSWER})  # the call stays in the queue
ANSWERABLE = OPEN | {INTERESTED}  # one who said yes may still change their mind before the referral
MAX_CALLS = 3
MAX_MEMBERS = 2_000  # a campaign's size: the calls are one queue's work, the letters one print run


class Standing(NamedTuple):
    status: str
    attempts: int


class AnswerRefused(ValueError):
    """An answer that cannot be recorded, in words for the person recording it."""


def after_answer(now: Standing, response: str, channel: str) -> Standing:
    """Where the member stands after the answer recorded."""
    if response not in RESPONSES:
        raise AnswerRefused(f"Choose one of: {', '.join(RESPONSES.values())}.")
    if now.status not in ANSWERABLE:
        raise AnswerRefused(f"This member's answer is recorded already ({STATUSES[now.status].lower()}).")
    if response == NO_ANSWER:
        if channel != "call":
            raise AnswerRefused("“No answer” is for calls: a letter or a text waits for the member to call.")
        if now.status == INTERESTED:
            raise AnswerRefused("This member said yes already.")
        attempts = now.attempts + 1
        return Standing(NOT_REACHED if attempts >= MAX_CALLS else NO_ANSWER, attempts)
    return Standing(response, now.attempts)


class Candidate(NamedTuple):
    """What decides whether a registry member is invited."""

    has_open_case: bool  # in the campaign's programme
    opted_out: bool  # asked an earlier campaign not to be contacted
    in_open_campaign: bool  # waiting in another campaign that is not closed
    phone: str
    address: str


def left_out_because(c: Candidate, channel: str, program_words: str) -> str:
    """Why a member is not invited ("" when they are)."""
    if c.has_open_case:
        return f"already has an open case in {program_words}"
    if c.opted_out:
        return "asked not to be contacted"
    if c.in_open_campaign:
        return "waits in another campaign"
    if channel in ("call", "sms") and not c.phone:
        return "no phone number on record"
    if channel == "letter" and not c.address:
        return "no postal address on record"
    return ""


TEXTS = {
    "en": "{organisation}: Hello {first_name}. You can join {program} at no cost to you. A nurse helps you with "
    "your health, medicines and care. Call {phone} to learn more. Reply STOP to stop these texts.",
    "es": "{organisation}: Hola, {first_name}. Puede unirse a {program} sin costo para usted. Una enfermera le "
    "ayuda con su salud, sus medicinas y su cuidado. Llame al {phone} para saber más. Responda STOP para no "
    "recibir estos mensajes.",
}


def invitation_text(language: str, *, organisation: str, first_name: str, phone: str, program: str) -> str:
    """The text-message invitation in the member's language (English when it is not written in theirs)."""
    chosen = language if language in TEXTS else "en"
    return TEXTS[chosen].format(
        organisation=organisation,
        first_name=first_name,
        phone=phone,
        program=words_for(PROGRAM_WORDS, chosen, program),
    )
