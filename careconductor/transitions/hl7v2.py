"""HL7 v2 ADT messages (and ORU^R01 lab results and RDS^O13 pharmacy dispenses on the same feed) as this app reads them: framing, parsing into
an `AdtEvent`, and acknowledgements.

Pure: text in, values out, no database. python-hl7 splits the message (`hl7.parse`, which unescapes \\F\\ \\S\\
and the rest as it extracts a field); this module says which fields mean what (positions from HL7 v2.5.1,
docs/hl7v2.md and ../shared/reference/interop.md §5) and turns anything it cannot read into `Unreadable`,
which the caller answers with AR. Versions 2.3 to 2.8 put the fields read here in the same places."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import hl7

START_BLOCK, END_BLOCK = "\x0b", "\x1c"
SUPPORTED_VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7", "2.7.1", "2.8", "2.8.1", "2.8.2")
ADT_EVENTS = ("A01", "A02", "A03", "A04", "A08", "A11", "A13", "A40")
OTHER_MESSAGES = (("ORU", "R01"), ("RDS", "O13"))  # lab results; a pharmacy's dispenses
MAX_CONTROL_ID = 64  # what AdtMessage keeps; HL7 v2.5 allows 20, later versions 199
STOPPING_ORDER_CONTROLS = ("DC", "OD", "CA")  # ORC-1: discontinue, discontinued as requested, cancel


class Unreadable(ValueError):
    """The text is not an ADT message this app can read (answered AR, with this message as the reason)."""


@dataclass(frozen=True)
class Identifier:
    """One repetition of PID-3 or MRG-1 (CX): the value, its assigning authority and its type (MR, SS …)."""

    value: str
    authority: str = ""  # the namespace id, or the universal id (an OID) when there is no namespace
    authority_oid: str = ""
    type_code: str = ""


@dataclass(frozen=True)
class Diagnosis:
    code: str
    text: str = ""
    system: str = ""  # I10 (ICD-10-CM) or I9 as the sender names it
    kind: str = ""  # DG1-6: A admitting, W working, F final


@dataclass(frozen=True)
class LabResult:
    """One OBX of a result message: the code (LOINC when OBX-3.3 is LN), the value as sent, its units, the
    result status (F final, C corrected, P preliminary …) and when it was observed (OBX-14, else OBR-7)."""

    code: str
    system: str
    text: str
    value: str
    units: str
    status: str
    observed_at: dt.datetime | None


@dataclass(frozen=True)
class MedicationOrder:
    """One RXE (encoded order) or RXO (order) of a discharge message: the medicine (RXE-2 / RXO-1 give code:
    RxNorm when its system is RXNORM), the dose (give amount and units, with the dosage form), the
    administration instructions, and whether its ORC says to stop it (ORC-1 DC, OD or CA)."""

    code: str
    system: str
    text: str
    dose: str
    instructions: str
    says_stop: bool


@dataclass(frozen=True)
class Dispense:
    """One RXD of a pharmacy dispense message (RDS^O13): the medicine (RXD-2), when it was dispensed (RXD-3),
    the amount and units (RXD-4, RXD-5) and the prescription number (RXD-7)."""

    code: str
    system: str
    text: str
    dispensed_at: dt.datetime | None
    amount: str
    units: str
    prescription: str


@dataclass(frozen=True)
class AdtEvent:
    """What an ADT message says, in the words the rest of the app uses."""

    trigger: str  # MSH-9.2: A01, A03 …
    control_id: str  # MSH-10: the sender's id for the message; a message sent again repeats it
    version: str  # MSH-12
    sending_application: str  # MSH-3
    sending_facility: str  # MSH-4
    sent_at: dt.datetime | None  # MSH-7
    occurred_at: dt.datetime | None  # EVN-6, else EVN-2
    identifiers: tuple[Identifier, ...]  # PID-3
    family_name: str
    given_name: str
    birth_date: dt.date | None
    sex: str  # PID-8: F M O U A N
    phone: str
    address: str
    patient_class: str  # PV1-2: I E O P R B …
    location: str  # PV1-3 point of care / room / bed, as one line
    prior_location: str  # PV1-6
    attending: str  # PV1-7 family, given
    hospital_service: str  # PV1-10
    admission_type: str  # PV1-4
    visit_number: str  # PV1-19
    discharge_disposition: str  # PV1-36
    admitted_at: dt.datetime | None  # PV1-44
    discharged_at: dt.datetime | None  # PV1-45
    admit_reason: str  # PV2-3 text
    diagnoses: tuple[Diagnosis, ...] = ()
    coverage_plan: str = ""  # IN1-4 insurer name, else IN1-2 plan
    merged_identifiers: tuple[Identifier, ...] = field(default=())  # MRG-1 (A40)
    results: tuple[LabResult, ...] = ()  # OBX (ORU^R01)
    medications: tuple[MedicationOrder, ...] = ()  # RXE / RXO (the discharge list of an A03)
    dispenses: tuple[Dispense, ...] = ()  # RXD (RDS^O13)

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


def split_batch(text: str) -> Iterator[str]:
    """The messages in a file: MLLP-framed or not, with FHS/BHS batch headers or not, segments ended by CR,
    LF or CRLF. Each message is returned with CR segment ends and starts at its MSH."""
    text = text.replace("\x00", "").replace(START_BLOCK, "\r").replace(END_BLOCK, "\r")
    segments = [s for s in re.split(r"\r\n|\r|\n", text) if s.strip()]
    current: list[str] = []
    for segment in segments:
        name = segment[:3]
        if name in ("FHS", "BHS", "BTS", "FTS"):
            continue
        if name == "MSH" and current:
            yield "\r".join(current) + "\r"
            current = []
        current.append(segment)
    if current:
        yield "\r".join(current) + "\r"


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def normalise(text: str) -> str:
    """One message with CR segment ends, MLLP framing and blank lines removed, and no NUL characters (never
    HL7 text, and PostgreSQL cannot keep them) nor lone surrogates (no database can store them: a caller handing
    in a string not decoded from bytes could carry one; the listener's decoding cannot)."""
    text = _LONE_SURROGATE.sub("\ufffd", text.replace("\x00", "")).strip(START_BLOCK + END_BLOCK + "\r\n ")
    return "\r".join(s for s in re.split(r"\r\n|\r|\n", text) if s.strip()) + "\r"


def header(text: str) -> tuple[str, str, str, str, str]:
    """MSH-3, MSH-4, MSH-9.2, MSH-10 and MSH-12 read without the parser, for an answer to a message it cannot
    read (the field separator is MSH's fourth character); blanks where the text does not have them."""
    first = normalise(text).split("\r", 1)[0]
    if not first.startswith("MSH") or len(first) < 4:
        return "", "", "", "", ""
    fields = first.split(first[3])
    get = lambda n: fields[n - 1].strip() if len(fields) > n - 1 else ""  # noqa: E731 - MSH-1 is the separator
    components = first[4:5] or "^"
    return get(3), get(4), get(9).split(components)[1] if components in get(9) else "", get(10), get(12)


def parse(text: str) -> AdtEvent:
    """Read one ADT message (see the module's docstring); Unreadable when it cannot be."""
    text = normalise(text)
    if not text.startswith("MSH"):
        raise Unreadable("The message does not start with an MSH segment.")
    try:
        message = hl7.parse(text)
        return _event(message)
    except Unreadable:
        raise
    except Exception as exc:  # python-hl7 raises IndexError, KeyError and its own errors on malformed text
        raise Unreadable(f"The message cannot be parsed: {type(exc).__name__}.") from exc


def _event(message: hl7.Message) -> AdtEvent:
    f = _Fields(message)
    kind, trigger = f.get("MSH", 9, comp=1), f.get("MSH", 9, comp=2)
    if kind == "ADT" and trigger not in ADT_EVENTS:
        raise Unreadable(f"ADT^{trigger} is not one of the events read here ({', '.join(ADT_EVENTS)}).")
    if kind != "ADT" and (kind, trigger) not in OTHER_MESSAGES:  # results and dispenses come on the same feed
        raise Unreadable(
            f"Only ADT, ORU^R01 and RDS^O13 messages are read here, not {kind or 'an empty type'}"
            + (f"^{trigger}." if trigger else ".")
        )
    control_id = f.get("MSH", 10)
    if not control_id:
        raise Unreadable("MSH-10 (the message control id) is empty.")
    if len(control_id) > MAX_CONTROL_ID:
        # Cut short, two messages could share an id and the second be taken for a resend of the first.
        raise Unreadable(f"MSH-10 (the message control id) is longer than {MAX_CONTROL_ID} characters.")
    version = f.get("MSH", 12)
    if version not in SUPPORTED_VERSIONS:
        raise Unreadable(f"HL7 version {version or '(none)'} is not read here (2.3 to 2.8).")
    if not f.has("PID"):
        raise Unreadable("The message has no PID segment.")
    identifiers = tuple(_identifiers(f, "PID", 3))
    if not identifiers:
        raise Unreadable("PID-3 (the patient's identifiers) is empty.")
    street, city, state, postal = (f.get("PID", 11, comp=c) for c in (1, 3, 4, 5))
    return AdtEvent(
        trigger=trigger,
        control_id=control_id,
        version=version,
        sending_application=f.get("MSH", 3)[:100],
        sending_facility=f.get("MSH", 4)[:100],
        sent_at=f.time("MSH", 7),
        occurred_at=f.time("EVN", 6) or f.time("EVN", 2),
        identifiers=identifiers,
        family_name=f.get("PID", 5, comp=1)[:100],
        given_name=f.get("PID", 5, comp=2)[:100],
        birth_date=_date(f.get("PID", 7)),
        sex=f.get("PID", 8)[:1].upper(),
        phone=f.get("PID", 13)[:40],
        address=", ".join(p for p in (street, city, f"{state} {postal}".strip()) if p)[:200],
        patient_class=f.get("PV1", 2)[:1].upper(),
        location=_location(f, 3),
        prior_location=_location(f, 6),
        attending=" ".join(p for p in (f.get("PV1", 7, comp=3), f.get("PV1", 7, comp=2)) if p)[:100],
        hospital_service=f.get("PV1", 10)[:40],
        admission_type=f.get("PV1", 4)[:2].upper(),
        visit_number=f.get("PV1", 19)[:64],
        discharge_disposition=f.get("PV1", 36)[:8],
        admitted_at=f.time("PV1", 44),
        discharged_at=f.time("PV1", 45),
        admit_reason=(f.get("PV2", 3, comp=2) or f.get("PV2", 3, comp=1))[:200],
        diagnoses=tuple(_diagnoses(f)),
        coverage_plan=(f.get("IN1", 4) or f.get("IN1", 2, comp=2) or f.get("IN1", 2))[:200],
        merged_identifiers=tuple(_identifiers(f, "MRG", 1)),
        results=tuple(_results(f)),
        medications=tuple(_medications(f)),
        dispenses=tuple(_dispenses(f)),
    )


class _Fields:
    """Fields by segment, number, repetition and component; "" where the message does not have them."""

    def __init__(self, message: hl7.Message) -> None:
        self.message = message

    def get(self, segment: str, number: int, rep: int = 1, comp: int = 1, num: int = 1) -> str:
        try:
            value = self.message.extract_field(segment, num, number, rep, comp, 1)
        except (IndexError, KeyError):
            return ""
        return str(value).strip()

    def has(self, segment: str) -> bool:
        try:
            return bool(self.message.segments(segment))
        except KeyError:
            return False

    def count(self, segment: str) -> int:
        return len(self.message.segments(segment)) if self.has(segment) else 0

    def repetitions(self, segment: str, number: int, most: int = 20) -> Iterator[int]:
        """The repetition numbers the field has (1, 2 …), at most `most`."""
        for rep in range(1, most + 1):
            try:
                self.message.extract_field(segment, 1, number, rep, 1, 1)
            except (IndexError, KeyError):
                return
            yield rep

    def time(self, segment: str, number: int) -> dt.datetime | None:
        value = self.get(segment, number)
        if not value:
            return None
        try:
            return hl7.parse_datetime(value)
        except (ValueError, TypeError) as exc:
            raise Unreadable(f"{segment}-{number} is not a time: {value[:30]!r}.") from exc


def _identifiers(f: _Fields, segment: str, number: int) -> Iterator[Identifier]:
    for rep in f.repetitions(segment, number):
        value = f.get(segment, number, rep=rep)
        if value:
            namespace = _subcomponent(f, segment, number, rep, comp=4, sub=1)
            oid = _subcomponent(f, segment, number, rep, comp=4, sub=2)
            yield Identifier(
                value[:100], (namespace or oid)[:100], oid[:100], f.get(segment, number, rep, 5)[:10]
            )


def _subcomponent(f: _Fields, segment: str, number: int, rep: int, comp: int, sub: int) -> str:
    try:
        return str(f.message.extract_field(segment, 1, number, rep, comp, sub)).strip()
    except (IndexError, KeyError):
        return ""


def _diagnoses(f: _Fields) -> Iterator[Diagnosis]:
    for n in range(1, f.count("DG1") + 1):
        code = f.get("DG1", 3, comp=1, num=n)
        if code:
            yield Diagnosis(
                code[:20],
                (f.get("DG1", 3, comp=2, num=n) or f.get("DG1", 4, num=n))[:200],
                f.get("DG1", 3, comp=3, num=n)[:10],
                f.get("DG1", 6, num=n)[:1].upper(),
            )


def _results(f: _Fields) -> Iterator[LabResult]:
    observed = f.time("OBR", 7)
    for n in range(1, f.count("OBX") + 1):
        code = f.get("OBX", 3, comp=1, num=n)
        if code:
            yield LabResult(
                code=code[:20],
                system=f.get("OBX", 3, comp=3, num=n)[:20],
                text=f.get("OBX", 3, comp=2, num=n)[:100],
                value=f.get("OBX", 5, num=n)[:40],
                units=f.get("OBX", 6, comp=1, num=n)[:20],
                status=f.get("OBX", 11, num=n)[:1].upper(),
                observed_at=_obx_time(f, n) or observed,
            )


def _medications(f: _Fields) -> Iterator[MedicationOrder]:
    """RXE and RXO in message order, each with the ORC before it (an RXO followed by its RXE is one order:
    the RXE, which is the encoded form, is read)."""
    seen = {"ORC": 0, "RXO": 0, "RXE": 0}
    control = ""
    pending: MedicationOrder | None = None
    for segment in f.message:
        name = str(segment[0]).strip()
        if name not in seen:
            continue
        seen[name] += 1
        n = seen[name]
        if name == "ORC":
            if pending is not None:
                yield pending
                pending = None
            control = f.get("ORC", 1, num=n).upper()
            continue
        if name == "RXO" and pending is not None:
            yield pending
        stop = control in STOPPING_ORDER_CONTROLS
        if name == "RXO":
            code = (1, 2, 4, 5)  # give code, amount, units, form
            instructions = f.get("RXO", 7, comp=2, num=n) or f.get("RXO", 7, num=n) or f.get("RXO", 6, num=n)
        else:
            code = (2, 3, 5, 6)
            instructions = f.get("RXE", 7, comp=2, num=n) or f.get("RXE", 7, num=n)
        give, amount, units, form = code
        order = MedicationOrder(
            code=f.get(name, give, comp=1, num=n)[:20],
            system=f.get(name, give, comp=3, num=n).upper()[:20],
            text=f.get(name, give, comp=2, num=n)[:200],
            dose=" ".join(
                p
                for p in (
                    f.get(name, amount, num=n),
                    f.get(name, units, num=n) or f.get(name, units, comp=2, num=n),  # the code: "mg"
                    f.get(name, form, comp=2, num=n) or f.get(name, form, num=n),
                )
                if p
            )[:200],
            instructions=instructions[:300],
            says_stop=stop,
        )
        # An RXE right after its RXO replaces it; an RXO waits to see whether its RXE follows.
        if name == "RXE":
            pending = None
            yield order
        else:
            pending = order
    if pending is not None:
        yield pending


def _dispenses(f: _Fields) -> Iterator[Dispense]:
    for n in range(1, f.count("RXD") + 1):
        value = f.get("RXD", 3, num=n)
        try:
            dispensed = hl7.parse_datetime(value) if value else None
        except (ValueError, TypeError) as exc:
            raise Unreadable(f"RXD-3 of dispense {n} is not a time: {value[:30]!r}.") from exc
        yield Dispense(
            code=f.get("RXD", 2, comp=1, num=n)[:20],
            system=f.get("RXD", 2, comp=3, num=n).upper()[:20],
            text=f.get("RXD", 2, comp=2, num=n)[:200],
            dispensed_at=dispensed,
            amount=f.get("RXD", 4, num=n)[:20],
            units=(f.get("RXD", 5, comp=2, num=n) or f.get("RXD", 5, num=n))[:20],
            prescription=f.get("RXD", 7, num=n)[:40],
        )


def _obx_time(f: _Fields, n: int) -> dt.datetime | None:
    value = f.get("OBX", 14, num=n)
    if not value:
        return None
    try:
        return hl7.parse_datetime(value)
    except (ValueError, TypeError) as exc:
        raise Unreadable(f"OBX-14 of result {n} is not a time: {value[:30]!r}.") from exc


def _location(f: _Fields, number: int) -> str:
    unit, room, bed = (f.get("PV1", number, comp=c) for c in (1, 2, 3))
    return " ".join(p for p in (unit, room and f"room {room}", bed and f"bed {bed}") if p)[:100]


def _date(value: str) -> dt.date | None:
    if len(value) < 8 or not value[:8].isdigit():
        return None
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None


def ack(
    code: str,
    *,
    control_id: str,
    trigger: str,
    version: str,
    to_application: str,
    to_facility: str,
    text: str,
    now: dt.datetime,
    ack_id: str,
) -> str:
    """The acknowledgement (original mode): MSH (ACK^<trigger>^ACK) and MSA with the code (AA, AE or AR), the
    acknowledged message's MSH-10 and the reason; an ERR segment with the reason for AE and AR."""
    esc = _escape
    msh = "|".join(
        [
            "MSH",
            "^~\\&",
            "CareConductor",
            "CareConductor",
            esc(to_application),
            esc(to_facility),
            now.strftime("%Y%m%d%H%M%S"),
            "",
            f"ACK^{esc(trigger)}^ACK" if trigger else "ACK",
            ack_id,
            "P",
            version if version in SUPPORTED_VERSIONS else "2.5.1",
        ]
    )
    segments = [msh, f"MSA|{code}|{esc(control_id)}|{esc(text[:80])}"]
    if code != "AA":
        severity = "E"
        segments.append(f"ERR||||{severity}|||{esc(text[:200])}")
    return "\r".join(segments) + "\r"


def _escape(value: str) -> str:
    """HL7 escapes for the delimiters (\\E\\ first, so the others are not escaped twice), and control characters
    as \\Xhh\\: a 0x0B or 0x1C echoed from a sender's MSH-10 would otherwise break the ACK's MLLP frame."""
    for raw, escaped in (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("&", "\\T\\"), ("~", "\\R\\")):
        value = value.replace(raw, escaped)
    value = value.replace("\r", " ").replace("\n", " ")
    return re.sub(r"[\x00-\x1f\x7f]", lambda c: f"\\X{ord(c.group()):02X}\\", value)
