"""Communication from a secure portal message (engagement.Message), between the patient (or their proxy) and the
care team. One part of the Communication type (communication.py); ids are `message-<pk>`.

- `status` completed (a message exists only once sent); `category` portal-message in this server's own
  CodeSystem (HL7's communication-category has alert, notification, reminder and instruction, none of which
  a conversation with the care team is); `medium` ONLINEWRIT (v3 ParticipationMode), as for contacts logged
  as portal messages; `topic` the subject line.
- `sender`: the Patient for their own log-in, a proxy by name (type RelatedPerson: proxies have no record
  here), a member of staff as Practitioner. `recipient`: the patient's CareTeam (same id as the Patient) for
  a message from the patient's side, the Patient for one from staff.
- `sent`, and `received` when the other side opened it. `inResponseTo` the message it answers.
- `payload`: the body as contentString, then one contentAttachment per attachment (contentType, size, title)
  with no data: `url` is the staff download page, which checks access itself."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet

from careconductor.core.ids import whole_number
from careconductor.engagement.actions.messages import do_send_message
from careconductor.engagement.models import Message

from .. import params
from ..auth import Caller
from ..registry import READ_ONLY, Mapper, SearchParam, prefixed_id, prefixed_id_param
from .common import compact, concept, moment, ref, refused, visible_patient
from .reporters import person

PREFIX = "message-"
CATEGORY = "https://careconductor.org/fhir/CodeSystem/communication-category"
PORTAL_MESSAGE = "portal-message"
MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"
STATUS = "http://hl7.org/fhir/event-status"
_pk = prefixed_id(PREFIX)


def _every_row_if(matches: bool) -> Q:
    # Not Q(): an empty Q vanishes when ORed with another.
    return Q(pk__isnull=False) if matches else Q(pk__in=[])


def _category(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    return _every_row_if(system in ("", CATEGORY) and code == PORTAL_MESSAGE)


def _medium(modifier: str, value: str, caller: Caller) -> Q:
    system, _, code = value.rpartition("|")
    matched = _every_row_if(system in ("", MODE) and code == "ONLINEWRIT")
    return ~matched if modifier == "not" else matched


def _status(modifier: str, value: str, caller: Caller) -> Q:
    system, bar, code = value.rpartition("|")
    matched = _every_row_if(not (bar and system not in ("", STATUS)) and code == "completed")
    return ~matched if modifier == "not" else matched


def _key(modifier: str, value: str) -> tuple[str, int] | None:
    parts = value.rstrip("/").split("/")
    key = parts[-1]
    kind = parts[-2] if len(parts) >= 2 else modifier
    number = whole_number(key)
    if (modifier and kind != modifier) or number is None:
        return None
    return kind, number


def _sender(modifier: str, value: str, caller: Caller) -> Q:
    found = _key(modifier, value)
    if found is None:
        return Q(pk__in=[])
    kind, key = found
    matched = Q(pk__in=[])
    if kind in ("", "Practitioner"):
        matched |= Q(from_patient=False, sender_id=key)
    if kind in ("", "Patient"):
        matched |= Q(from_patient=True, patient_id=key, sender_id=F("patient__portal_user_id"))
    return matched


def _recipient(modifier: str, value: str, caller: Caller) -> Q:
    found = _key(modifier, value)
    if found is None:
        return Q(pk__in=[])
    kind, key = found
    return Q(from_patient=False, patient_id=key) if kind in ("", "Patient") else Q(pk__in=[])


def attachment_url(attachment_id: int) -> str:
    return f"{settings.SITE_URL}/message-attachments/{attachment_id}/"


class MessageCommunication(Mapper):
    resource_type = "Communication"
    model = Message
    interactions = READ_ONLY
    patient_field = "patient"
    params = {
        "_id": prefixed_id_param(PREFIX),
        "patient": params.reference("patient_id", "Patient", "The patient the message is with"),
        "subject": params.reference("patient_id", "Patient", "The patient the message is with"),
        "sent": params.date("sent_at", "When it was sent"),
        "received": params.date("read_at", "When the other side opened it"),
        "category": SearchParam("token", PORTAL_MESSAGE, _category),
        "medium": SearchParam("token", "ONLINEWRIT", _medium, modifiers=frozenset({"not"})),
        "status": SearchParam("token", "completed", _status, modifiers=frozenset({"not"})),
        "sender": SearchParam(
            "reference", "Who sent it", _sender, modifiers=frozenset({"Practitioner", "Patient"})
        ),
        "recipient": SearchParam(
            "reference", "Who it was for", _recipient, modifiers=frozenset({"Practitioner", "Patient"})
        ),
    }
    sorts = {"sent": "sent_at"}

    def with_related(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        return qs.select_related("patient", "sender").prefetch_related("attachments")

    def pk_from_id(self, resource_id: str) -> Any:
        return _pk(resource_id)

    def resource_id(self, row: Message) -> str:
        return f"{PREFIX}{row.pk}"

    def payload(self, row: Message) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [{"contentString": row.body}]
        for item in sorted(row.attachments.all(), key=lambda a: a.pk):
            found.append(
                {
                    "contentAttachment": compact(
                        {
                            "contentType": item.content_type,
                            "size": item.size,
                            "title": item.name,
                            "url": attachment_url(item.pk),
                        }
                    )
                }
            )
        return found

    def to_fhir(self, row: Message) -> dict[str, Any]:
        sender = person(row.sender, row.patient)
        patient = ref("Patient", row.patient_id, row.patient.full_name)
        recipient = ref("CareTeam", row.patient_id, "Care team") if row.from_patient else patient
        return compact(
            {
                "inResponseTo": [ref("Communication", f"{PREFIX}{row.reply_to_id}")]
                if row.reply_to_id
                else [],
                "status": "completed",
                "category": [concept(CATEGORY, PORTAL_MESSAGE, "Portal message")],
                "medium": [concept(MODE, "ONLINEWRIT", "online written", text="Portal message")],
                "subject": patient,
                "topic": {"text": row.subject},
                "sent": moment(row.sent_at),
                "received": moment(row.read_at),
                "recipient": [recipient],
                "sender": sender,
                "payload": self.payload(row),
            }
        )


def create_message(caller: Caller, resource: dict[str, Any]) -> Message:
    """A secure portal message sent through the API, as on the screens (engagement.do_send_message): from staff
    who may message the patient to the patient, or from a patient's own app to their care team. The body is the
    payload's text; topic.text the subject line; inResponseTo the message answered. Pictures are sent in the
    portal (a payload attachment is refused)."""
    categories = resource.get("category") or []
    codes = {
        (c.get("system"), c.get("code"))
        for item in categories if isinstance(item, dict)
        for c in item.get("coding") or [] if isinstance(c, dict)
    }  # fmt: skip
    if (CATEGORY, PORTAL_MESSAGE) not in codes:
        raise refused(
            "Communication.category",
            f"Only portal messages are sent through the API: category {CATEGORY}|{PORTAL_MESSAGE} "
            "(contacts are logged on the screens).",
        )
    if resource.get("status") not in (None, "completed"):
        raise refused("Communication.status", "A message sent is completed.")
    patient = visible_patient(caller, resource.get("subject"), "Communication.subject")
    parts = [p for p in resource.get("payload") or [] if isinstance(p, dict)]
    if any("contentString" not in p for p in parts):
        raise refused("Communication.payload", "Send text (contentString); pictures are sent in the portal.")
    body = "\n\n".join(str(p["contentString"]) for p in parts)
    found = resource.get("topic")
    topic: dict[str, Any] = found if isinstance(found, dict) else {}
    reply_to = None
    answered = resource.get("inResponseTo") or []
    if answered:
        reference = str((answered[0] or {}).get("reference", "")) if isinstance(answered[0], dict) else ""
        key = _pk(reference.removeprefix("Communication/"))
        reply_to = Message.objects.filter(pk=key, patient=patient).first() if key else None
        if reply_to is None:
            raise refused("Communication.inResponseTo", "Answer a portal message of the same patient.")
    return do_send_message(
        caller.user, patient, subject=str(topic.get("text") or "")[:200], body=body, reply_to=reply_to
    )
