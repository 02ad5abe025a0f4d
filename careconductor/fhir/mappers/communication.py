"""Communication, served from two models (registry.UnionMapper), read-only: secure portal messages
(engagement.Message, id `message-<pk>`, see message.py) and the contact log (coordination.Contact, id `<pk>`):
a contact with the patient or about them, or an attempt that did not reach anyone. Contacts are logged on the
screens. `category` portal-message finds messages only (contacts have no category).

Contacts:

- `status` is `completed` when the person was reached. A failed attempt (no answer, a message left) is
  `not-done` with `statusReason` recipient-unavailable (communication-not-done-reason): in R4's event status,
  not-done means the main activity never happened, and the main activity of a Communication is getting the
  message to the recipient, which a ringing phone does not; dialling was the preparation. `stopped` would say
  that some of the message got across, `entered-in-error` that the attempt never was, and attempts count (the
  unable-to-reach protocol is built on them), so they are served, with `sent` the time of the attempt.
- `medium` is how (v3 ParticipationMode, http://terminology.hl7.org/CodeSystem/v3-ParticipationMode): phone
  PHONE, video VIDEOCONF, in person FACE, portal message ONLINEWRIT, text message MSGWRIT, e-mail EMAILWRIT,
  letter MAILWRIT (MSGWRIT is in the code system as HL7 Terminology publishes it; the 2018 copy in the R4 core
  predates it, and the R4 binding is an example, so it is the right code rather than a looser one).
- `sender` and `recipient` follow the direction: the member of staff (Practitioner/N) and the party, which is
  the Patient, or for a caregiver, a provider or someone else a display-only Reference (with `type`
  RelatedPerson or Practitioner where we know it) naming them: they have no record on this server.
- `subject` the Patient; `about` the case (EpisodeOfCare/N) when the contact was logged on one; no `encounter`.
  `sent` is when it happened and, when the person was reached, `received` too.
- `payload`: one contentString per part of the contact that was said or given, labelled ("Patient's words: …",
  "Symptoms: …", "Medicines: …", "Goal progress: …", "Barriers: …", "Education: …", "Next steps: …").
  The teach-back result is a `note` (the staff member's judgement, not something communicated), and the minutes
  are the extension contact-minutes (valueDuration in UCUM min), as they count toward care-management time."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from careconductor.coordination.choices import (
    ContactDirection,
    ContactMode,
    ContactParty,
    MedsTaken,
    TeachBack,
)
from careconductor.coordination.models import Contact
from careconductor.core.ids import whole_number
from careconductor.engagement.models import Message

from .. import params
from ..auth import Caller
from ..registry import CREATE, READ_ONLY, Mapper, SearchParam, UnionMapper, declared, register
from .common import EXT, coding, compact, concept, moment, ref
from .condition import labelled
from .message import CATEGORY, PORTAL_MESSAGE, MessageCommunication, create_message

MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
NOT_DONE = "http://terminology.hl7.org/CodeSystem/communication-not-done-reason"
STATUS = "http://hl7.org/fhir/event-status"
UCUM = "http://unitsofmeasure.org"
MINUTES = EXT + "contact-minutes"
# Our modes as v3 ParticipationMode (code, display), each checked against the published code system.
MEDIUMS: dict[str, tuple[str, str]] = {
    ContactMode.PHONE: ("PHONE", "telephone"),
    ContactMode.VIDEO: ("VIDEOCONF", "videoconferencing"),
    ContactMode.IN_PERSON: ("FACE", "face-to-face"),
    ContactMode.PORTAL: ("ONLINEWRIT", "online written"),
    ContactMode.TEXT: ("MSGWRIT", "messaging"),
    ContactMode.EMAIL: ("EMAILWRIT", "email"),
    ContactMode.LETTER: ("MAILWRIT", "mail"),
}
FROM_MEDIUM = {code: stored for stored, (code, _) in MEDIUMS.items()}
# A party who is not the patient has no record here: a display, typed where the kind of person is known.
PARTY_TYPES = {ContactParty.CAREGIVER: "RelatedPerson", ContactParty.PROVIDER: "Practitioner"}
STATUSES = {"completed": True, "not-done": False}


def _party(*, sending: bool) -> SearchParam:
    """sender (sending) or recipient: Practitioner/N for the member of staff, Patient/N for the patient."""

    def build(modifier: str, value: str, caller: Caller) -> Q:
        parts = value.rstrip("/").split("/")
        number = whole_number(parts[-1])
        kind = parts[-2] if len(parts) >= 2 else modifier
        if (modifier and kind != modifier) or number is None:
            return Q(pk__in=[])
        key = str(number)
        staff_side = ContactDirection.OUTBOUND if sending else ContactDirection.INBOUND
        patient_side = ContactDirection.INBOUND if sending else ContactDirection.OUTBOUND
        found = Q(pk__in=[])
        if kind in ("", "Practitioner"):
            found |= Q(direction=staff_side, staff_id=int(key))
        if kind in ("", "Patient"):
            found |= Q(direction=patient_side, party=ContactParty.PATIENT, patient_id=int(key))
        return found

    who = "sent it" if sending else "it was for"
    return SearchParam(
        "reference",
        f"Who {who}: the member of staff (Practitioner/N) or the patient (Patient/N); caregivers and others "
        "are named only, and cannot be searched for",
        build,
        target="Practitioner",
        modifiers=frozenset({"Practitioner", "Patient"}),
    )


def _status(modifier: str, value: str, caller: Caller) -> Q:
    system, bar, code = value.rpartition("|")
    if (bar and system not in ("", STATUS)) or code not in STATUSES:
        matched = Q(pk__in=[])
    else:
        matched = Q(reached=STATUSES[code])
    return ~matched if modifier == "not" else matched


class ContactCommunication(Mapper):
    resource_type = "Communication"
    model = Contact
    interactions = READ_ONLY
    patient_field = "patient"
    sensitive = True  # a contact about a Part 2 or psychotherapy record carries its label
    params = {
        "patient": params.reference("patient_id", "Patient", "The patient the contact was about"),
        "subject": params.reference("patient_id", "Patient", "The patient the contact was about"),
        "sent": params.date("contact_at", "When the contact (or attempt) happened"),
        "medium": params.token(
            "mode",
            f"How: {', '.join(code for code, _ in MEDIUMS.values())} ({MODE})",
            system=MODE,
            codes=FROM_MEDIUM,
        ),
        "status": SearchParam(
            "token",
            f"completed (the person was reached) or not-done (an attempt) ({STATUS})",
            _status,
            modifiers=frozenset({"not"}),
        ),
        "sender": _party(sending=True),
        "recipient": _party(sending=False),
    }
    sorts = {"sent": "contact_at"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "staff")

    def party(self, row: Contact) -> dict[str, Any]:
        if row.party == ContactParty.PATIENT:
            return ref("Patient", row.patient_id, row.patient.full_name)
        party = ContactParty(row.party) if row.party in ContactParty.values else ContactParty.OTHER
        kind = PARTY_TYPES.get(party)
        return compact({"type": kind, "display": row.party_name or party.label})

    def payload(self, row: Contact) -> list[dict[str, Any]]:
        meds = (
            MedsTaken(row.meds_taken).label if row.meds_taken in MedsTaken.values and row.meds_taken else ""
        )
        parts = [
            ("Patient's words", row.patient_words),
            ("Symptoms", row.symptoms),
            ("Medicines", meds),
            ("Goal progress", row.goal_progress),
            ("Barriers", row.barriers),
            ("Education", row.education),
            ("Next steps", row.next_steps),
        ]
        return [{"contentString": f"{label}: {text.strip()}"} for label, text in parts if text.strip()]

    def render(self, row: Any) -> dict[str, Any]:
        return labelled(super().render(row), row.sensitivity)

    def to_fhir(self, row: Contact) -> dict[str, Any]:
        mode = ContactMode(row.mode)
        code, display = MEDIUMS[mode]
        staff = ref("Practitioner", row.staff_id, row.staff.display_name())
        party = self.party(row)
        outbound = row.direction == ContactDirection.OUTBOUND
        teach_back = (
            TeachBack(row.teach_back).label if row.teach_back in TeachBack.values and row.teach_back else ""
        )
        minutes = (
            [
                {
                    "url": MINUTES,
                    "valueDuration": {"value": row.minutes, "unit": "min", "system": UCUM, "code": "min"},
                }
            ]
            if row.minutes
            else []
        )
        return compact(
            {
                "extension": minutes,
                "status": "completed" if row.reached else "not-done",
                "statusReason": None
                if row.reached
                else {
                    "coding": [coding(NOT_DONE, "recipient-unavailable", "Recipient Unavailable")],
                    "text": f"Not reached ({mode.label.lower()})",
                },
                "medium": [concept(MODE, code, display, text=mode.label)],
                "subject": ref("Patient", row.patient_id, row.patient.full_name),
                "about": [ref("EpisodeOfCare", row.case_id)] if row.case_id else [],
                "sent": moment(row.contact_at),
                "received": moment(row.contact_at) if row.reached else None,
                "recipient": [party if outbound else staff],
                "sender": staff if outbound else party,
                "payload": self.payload(row),
                "note": [{"text": teach_back}] if teach_back else [],
            }
        )


@register
class CommunicationMapper(UnionMapper):
    resource_type = "Communication"
    model = Contact  # the first part's; search, versions and $everything go through parts()
    members = (ContactCommunication, MessageCommunication)
    interactions = READ_ONLY | {CREATE}
    patient_field = "patient"
    description = (
        "Of the patients the caller may see; create sends a portal message (2) as the screens do: "
        "(1) the contact log (id N), each contact with the "
        "patient or about them, and each attempt. status completed when the person was reached, not-done with "
        f"statusReason recipient-unavailable ({NOT_DONE}) for an attempt; medium in {MODE}; sender and "
        "recipient by direction (the member of staff as Practitioner, the patient as Patient, a caregiver or "
        "provider by name); about the case (EpisodeOfCare); payload the labelled parts of the conversation "
        f"(patient's words, symptoms, medicines, goal progress, barriers, education, next steps); {MINUTES} the "
        "minutes spent (valueDuration); the teach-back result as a note. (2) Secure portal messages (id "
        f"message-N): status completed, category {CATEGORY}|{PORTAL_MESSAGE}, medium ONLINEWRIT, topic the "
        "subject line; sender the Patient (a proxy by name, type RelatedPerson) or the member of staff "
        "(Practitioner); recipient the patient's CareTeam or the Patient; sent, received when the other side "
        "opened it; inResponseTo the message answered; payload the body (contentString) and each attachment "
        "(contentAttachment: contentType, size, title, url of the download page; no data)."
    )
    params = {
        "patient": declared("reference", "The patient", like=ContactCommunication.params["patient"]),
        "subject": declared("reference", "The patient", like=ContactCommunication.params["subject"]),
        "sent": declared("date", "When the message was sent, or the contact (or attempt) happened"),
        "medium": declared(
            "token",
            f"How: {', '.join(code for code, _ in MEDIUMS.values())} ({MODE}); messages are ONLINEWRIT",
            modifiers=frozenset({"not"}),
        ),
        "status": declared(
            "token",
            f"completed (a message; a contact that reached the person) or not-done (an attempt) ({STATUS})",
            modifiers=frozenset({"not"}),
        ),
        "category": declared("token", f"{CATEGORY}|{PORTAL_MESSAGE}: the secure portal messages"),
        "sender": declared(
            "reference",
            "Who sent it: the member of staff (Practitioner/N) or the patient (Patient/N); caregivers, proxies "
            "and others are named only, and cannot be searched for",
            like=ContactCommunication.params["sender"],
        ),
        "recipient": declared(
            "reference",
            "Who it was for: the member of staff (Practitioner/N) or the patient (Patient/N)",
            like=ContactCommunication.params["recipient"],
        ),
    }
    sorts = {"sent": "contact_at"}

    def create(self, caller: Caller, resource: dict[str, Any]) -> Message:
        return create_message(caller, resource)
