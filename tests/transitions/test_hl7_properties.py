"""Properties of the ADT feed (issue 19), with hypothesis: the parser reads anything without an exception other
than Unreadable (arbitrary text, valid messages mutated, truncated, with other encoding characters); a batch
file splits into exactly its messages; do_receive answers anything with a well-formed ACK (AA / AE / AR) that
echoes MSH-10 and never raises; and a message applied twice, under the same control id or a new one, leaves the
database as applying it once did.

Database properties roll back each example (one savepoint per example inside the test's own), so every example
starts from the personas and a fresh feed."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import hl7
import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from careconductor.coordination.models import Notification, Task
from careconductor.core import clock
from careconductor.patients.models import Encounter, PatientIdentifier
from careconductor.transitions import hl7v2
from careconductor.transitions.actions import do_create_feed, do_receive
from careconductor.transitions.models import AdtMessage, HospitalVisit

from .messages import adt, segment

DB_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PURE_SETTINGS = settings(max_examples=200, deadline=None)

# --- building messages ------------------------------------------------------------------------------------

STANDARD = "|^~\\&"  # field, component, repetition, escape, subcomponent
WORD = st.text(alphabet=string.ascii_letters + " .-'", min_size=1, max_size=12).map(str.strip).filter(bool)
CODE = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=6)


def hl7_time(moment: dt.datetime, style: int) -> str:
    """An HL7 DTM: minutes, seconds, or seconds with an offset."""
    if style == 0:
        return f"{moment:%Y%m%d%H%M}"
    if style == 1:
        return f"{moment:%Y%m%d%H%M%S}"
    return moment.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S+0000")


def field_list(values: dict[int, str]) -> list[str]:
    last = max(values, default=0)
    return [values.get(n, "") for n in range(1, last + 1)]


@st.composite
def message_parts(
    draw: st.DrawFn,
    *,
    trigger: str | None = None,
    control_id: str | None = None,
    base: dt.datetime | None = None,
) -> list[list[str]]:
    """A valid ADT message about Paula (STMARYS MRN H100, visit V1) as segments of fields, with the standard
    delimiters; the fields each event may carry, some left out, at times `base` plus a few days."""
    base = base or dt.datetime(2026, 11, 20, 8, 0)
    trigger = trigger or draw(st.sampled_from(["A01", "A02", "A03", "A04", "A08", "A11", "A13"]))
    control_id = control_id or draw(CODE)
    admitted = base + dt.timedelta(minutes=draw(st.integers(0, 5 * 24 * 60)))
    discharged = admitted + dt.timedelta(minutes=draw(st.integers(-600, 5 * 24 * 60)))  # sometimes before
    style = draw(st.integers(0, 2))
    sent = discharged if trigger == "A03" else admitted
    msh = [
        "MSH",
        "^~\\&",
        draw(st.sampled_from(["EPIC", "CERNER", ""])),
        "STMARYS",
        "CC",
        "CC",
        draw(st.sampled_from([hl7_time(sent, style), ""])),
        "",
        f"ADT^{trigger}^ADT_A01",
        control_id,
        "P",
        draw(st.sampled_from(hl7v2.SUPPORTED_VERSIONS)),
    ]
    segments = [msh]
    if draw(st.booleans()):
        segments.append(["EVN", trigger, draw(st.sampled_from([hl7_time(sent, style), ""])), "", "", "", ""])
    ids = "H100^^^STMARYS^MR" + draw(st.sampled_from(["", "~999-00-1234^^^SSA^SS", "~X9^^^&1.2.3&ISO^PI"]))
    pid = {1: "1", 3: ids, 5: "Reyes^Paula", 7: "19560314", 8: draw(st.sampled_from(["F", "U", ""]))}
    if draw(st.booleans()):
        pid[11] = draw(WORD) + "^^Springfield^IL^62701"
    segments.append(["PID", *field_list(pid)])
    pv1: dict[int, str] = {
        2: draw(st.sampled_from(["I", "E", "O", "B", ""])),
        3: draw(st.sampled_from(["4W^412^B", "ED^^", "ICU^2^1", ""])),
        19: "V1",
    }
    if draw(st.booleans()):
        pv1[4] = draw(st.sampled_from(["E", "U", "R", "C", "Z"]))
    if draw(st.booleans()):
        pv1[7] = f"{draw(CODE)}^{draw(WORD)}^{draw(WORD)}"
    if draw(st.booleans()):
        pv1[10] = draw(st.sampled_from(["MED", "SUR", "CAR"]))
    if trigger == "A02":
        pv1[6] = draw(st.sampled_from(["ED", "4W^410^A"]))
    if draw(st.booleans()) or trigger != "A03":
        pv1[44] = hl7_time(admitted, style)
    if trigger == "A03":
        pv1[36] = draw(st.sampled_from(["01", "06", "03", "62", "20", "99", ""]))
        if draw(st.booleans()):
            pv1[45] = hl7_time(discharged, style)
    segments.append(["PV1", *field_list(pv1)])
    if draw(st.booleans()):
        segments.append(["PV2", "", "", f"^{draw(WORD)}"])
    for n in range(draw(st.integers(0, 2))):
        code = draw(st.sampled_from(["I50.9", "J44.1", "E11.65", "N17.9"]))
        segments.append(
            ["DG1", str(n + 1), "", f"{code}^{draw(WORD)}^I10", "", "", draw(st.sampled_from("AWF"))]
        )
    if draw(st.booleans()):
        segments.append(["IN1", "1", f"P1^{draw(WORD)}", "", draw(WORD)])
    if trigger == "A03":  # a discharge list: RXE / RXO with or without an ORC before them
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                segments.append(["ORC", draw(st.sampled_from(["NW", "DC", "XO", ""]))])
            give = f"{draw(st.sampled_from(['860975', '197361', '']))}^{draw(WORD)}^RXNORM"
            dose = draw(st.sampled_from(["500", "40", ""]))
            if draw(st.booleans()):
                segments.append(["RXE", "", give, dose, "", "mg", "^tablet"])
            else:
                segments.append(["RXO", give, dose, "", "mg"])
    return segments


def encode(segments: list[list[str]], delimiters: str = STANDARD, end: str = "\r") -> str:
    """The message with the given delimiters (field, component, repetition, escape, subcomponent)."""
    table = str.maketrans(dict(zip(STANDARD, delimiters, strict=True)))
    lines = []
    for fields in segments:
        if fields[0] == "MSH":
            lines.append(
                "MSH" + delimiters[0] + delimiters[1:] + delimiters[0] + "|".join(fields[2:]).translate(table)
            )
        else:
            lines.append("|".join(fields).translate(table))
    return end.join(lines) + end


DELIMITER_CHOICES = "|^~\\&#!*$%@"
OTHER_DELIMITERS = st.permutations(list(DELIMITER_CHOICES)).map(lambda chars: "".join(chars[:5]))
NOISE = "|^~\\&\r\n\x0b\x1c\x00 "


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid message, then broken: characters inserted, removed or replaced (delimiters and frame bytes
    above all), segments dropped, repeated or swapped, fields replaced by any text, the encoding characters
    changed alone, cut short."""
    segments = [list(s) for s in draw(message_parts())]
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["drop", "repeat", "swap", "field"]))
        i = draw(st.integers(0, len(segments) - 1))
        if kind == "drop" and len(segments) > 1:
            del segments[i]
        elif kind == "repeat":
            segments.insert(i, list(segments[i]))
        elif kind == "swap":
            j = draw(st.integers(0, len(segments) - 1))
            segments[i], segments[j] = segments[j], segments[i]
        elif kind == "field":
            f = draw(st.integers(1, max(1, len(segments[i]) - 1)))
            if f < len(segments[i]):
                segments[i][f] = draw(
                    st.text(max_size=20) | st.sampled_from(["^^^", "~", "\\", "\\X0D\\", "&&"])
                )
    text = encode(
        segments, draw(st.sampled_from([STANDARD, "#!*$%"])), draw(st.sampled_from(["\r", "\n", "\r\n"]))
    )
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["insert", "delete", "replace", "encoding"]))
        i = draw(st.integers(0, len(text)))
        if kind == "insert":
            text = (
                text[:i]
                + draw(st.text(alphabet=st.sampled_from(NOISE) | st.characters(), max_size=4))
                + text[i:]
            )
        elif kind == "delete":
            text = text[:i] + text[i + draw(st.integers(1, 12)) :]
        elif kind == "replace":
            text = text[:i] + draw(st.sampled_from(NOISE)) + text[i + 1 :]
        else:
            text = (
                text[:3] + draw(st.text(alphabet=st.sampled_from(NOISE + "#!*$%ab"), max_size=6)) + text[8:]
            )
    if draw(st.booleans()):
        text = text[: draw(st.integers(0, len(text)))]
    return text


ANY_TEXT = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(max_size=200).map(lambda t: "MSH|^~\\&|" + t),
    mutated(),
)


# --- the parser alone ----------------------------------------------------------------------------------------


def parse_or_none(text: str) -> hl7v2.AdtEvent | None:
    try:
        return hl7v2.parse(text)
    except hl7v2.Unreadable:
        return None


@PURE_SETTINGS
@given(text=ANY_TEXT)
@example(text="MSH\r")
@example(text="MSH|")
@example(text="MSH|^~\\&|A|STMARYS|||x||ADT^A01|\x00|P|2.5.1\rPID|||H1")
def test_parse_reads_anything_into_an_event_or_unreadable(text: str) -> None:
    event = parse_or_none(text)  # any other exception fails the test
    hl7v2.header(text)
    if event is not None:
        assert event.trigger in (*hl7v2.ADT_EVENTS, "R01") and event.control_id and event.identifiers
        assert event.version in hl7v2.SUPPORTED_VERSIONS


@PURE_SETTINGS
@given(parts=message_parts(), delimiters=OTHER_DELIMITERS, end=st.sampled_from(["\r", "\n", "\r\n"]))
def test_a_valid_message_reads_the_same_whatever_its_encoding_characters_and_segment_ends(
    parts: list[list[str]], delimiters: str, end: str
) -> None:
    standard = hl7v2.parse(encode(parts))
    assert hl7v2.parse(encode(parts, delimiters, end)) == standard
    framed = hl7v2.START_BLOCK + encode(parts, delimiters, end) + hl7v2.END_BLOCK + "\r"
    assert hl7v2.parse(framed) == standard


@PURE_SETTINGS
@given(name=st.text(alphabet=string.ascii_letters + " |^~&\\", min_size=1, max_size=15))
def test_escaped_delimiters_in_a_field_read_back_as_themselves(name: str) -> None:
    escaped = hl7v2._escape(name)
    event = hl7v2.parse(adt("A01", "M1", family=escaped))
    assert event.family_name == name.strip()[:100]


@PURE_SETTINGS
@given(parts=message_parts(), cut=st.integers(0, 2000))
def test_a_message_cut_short_is_read_or_unreadable(parts: list[list[str]], cut: int) -> None:
    text = encode(parts)
    event = parse_or_none(text[:cut])
    if cut >= len(text):
        assert event == hl7v2.parse(text)


# --- batches -------------------------------------------------------------------------------------------------


def msh_count(text: str) -> int:
    return sum(1 for s in hl7v2.normalise(text).split("\r") if s.startswith("MSH"))


@PURE_SETTINGS
@given(
    messages=st.lists(message_parts().map(encode), min_size=0, max_size=5),
    framed=st.booleans(),
    batch=st.booleans(),
    end=st.sampled_from(["\r", "\n", "\r\n"]),
)
def test_a_batch_file_splits_into_exactly_its_messages(
    messages: list[str], framed: bool, batch: bool, end: str
) -> None:
    pieces = [m.replace("\r", end) for m in messages]
    if framed:
        pieces = [hl7v2.START_BLOCK + p + hl7v2.END_BLOCK + "\r" for p in pieces]
    body = "".join(pieces)
    if batch:
        body = f"FHS|^~\\&{end}BHS|^~\\&{end}" + body + f"BTS|{len(messages)}{end}FTS|1{end}"
    assert list(hl7v2.split_batch(body)) == [hl7v2.normalise(m) for m in messages]


@PURE_SETTINGS
@given(text=ANY_TEXT | st.lists(mutated(), max_size=4).map("".join))
@example(text=adt("A01", "M1") + "\x00" + adt("A03", "M2"))  # a NUL before an MSH hid it from the split
def test_split_batch_never_loses_or_invents_an_msh(text: str) -> None:
    split = list(hl7v2.split_batch(text))
    framed = text.replace("\x00", "").replace("\x0b", "\r").replace("\x1c", "\r")
    segments = [s for s in re.split(r"\r\n|\r|\n", framed) if s.strip()]
    assert sum(msh_count(m) for m in split) == sum(1 for s in segments if s.startswith("MSH"))
    for n, m in enumerate(split):
        assert msh_count(m) <= 1
        assert m.startswith("MSH") or n == 0  # only text before the first MSH comes without one


# --- do_receive on anything ----------------------------------------------------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    """One example's changes, undone at its end (the test's own savepoint stays)."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def feed(world):  # type: ignore[no-untyped-def]
    return do_create_feed(world.adam, name="St. Mary's Hospital", sending_facility="STMARYS")


def answered(ack: str) -> tuple[str, str]:
    """MSA-1 and MSA-2 of an ACK, read by python-hl7 (MSA-2 unescaped)."""
    parsed = hl7.parse(ack)
    msa = parsed.segment("MSA")
    return str(msa[1]), parsed.unescape(str(msa[2]))


def control_id_of(text: str) -> str:
    """MSH-10 of what was sent, as the app reads it (parsed and unescaped when it can be, else as written)."""
    event = parse_or_none(hl7v2.normalise(text))
    return event.control_id if event else hl7v2.header(text)[3][:64]


@pytest.mark.django_db
@DB_SETTINGS
@given(text=ANY_TEXT)
@example(text="MSH|^~\\&|EPIC|STMARYS|CC|CC|20261201||ADT^A01|\x00M1|P|2.5.1\rPID|1||H100")
@example(text="MSH|^~\\&|EP\x1cIC|STMARYS|CC|CC|20261201||ADT^A99|M\x0b1|P|2.5.1\rPID|1||H100")
# A lone surrogate (found by this test in the suite): no database can store one; kept as U+FFFD.
@example(text="MSH|^\ud800~\\&|EPIC|STMARYS|CC|CC|202611200800||ADT^A01^ADT_A01|0|P|2.3\rPV1||I")
def test_do_receive_answers_anything_with_a_well_formed_ack(world, feed, text: str) -> None:
    expected = control_id_of(text)
    with rolled_back():
        receipt = do_receive(text)  # never raises
        code, echoed = answered(receipt.ack)
        assert code in ("AA", "AE", "AR")
        assert code == receipt.message.ack_code
        assert echoed == expected.strip()
        assert hl7v2.START_BLOCK not in receipt.ack and hl7v2.END_BLOCK not in receipt.ack  # frames cleanly
        assert parse_or_none(text) is not None or code == "AR"


# --- applying twice ------------------------------------------------------------------------------------------

SNAPSHOT_MODELS = (Encounter, HospitalVisit, AdtMessage, PatientIdentifier, Notification, Task)
MOVING = {"updated_at", "version"}  # a row saved again with the same content moves only these


def snapshot(*, skip: tuple[type, ...] = (), content_only: bool = False) -> dict[str, list[dict[str, Any]]]:
    taken = {}
    for model in SNAPSHOT_MODELS:
        if model in skip:
            continue
        rows = list(model.objects.order_by("pk").values())
        if content_only:
            rows = [{k: v for k, v in row.items() if k not in MOVING} for row in rows]
        taken[model.__name__] = rows
    return taken


def sequence(base: dt.datetime) -> st.SearchStrategy[list[str]]:
    """A few messages about Paula's visit V1, each with its own control id (M1, M2 …)."""
    return st.lists(
        st.sampled_from(["A01", "A02", "A03", "A08", "A11", "A13"]), min_size=1, max_size=6
    ).flatmap(
        lambda triggers: st.tuples(
            *(message_parts(trigger=t, control_id=f"M{n}", base=base) for n, t in enumerate(triggers, 1))
        ).map(lambda parts: [encode(p) for p in parts])
    )


def recent_base() -> dt.datetime:
    """Ten days before now, in the organisation's time as the hospital writes it (no test hangs on a date)."""
    return (clock.now() - dt.timedelta(days=10)).replace(tzinfo=None, second=0, microsecond=0)


@contextmanager
def moving_clock() -> Iterator[None]:
    """The clock ticking from a fixed point, so an answer that depended on when it came would differ."""
    with time_machine.travel(clock.now(), tick=True):
        yield


@pytest.mark.django_db
@DB_SETTINGS
@given(data=st.data())
def test_a_sequence_sent_again_leaves_the_database_as_the_first_time(
    world, feed, data: st.DataObject
) -> None:
    messages = data.draw(sequence(recent_base()))
    with moving_clock(), rolled_back():
        first = [do_receive(m) for m in messages]
        after_once = snapshot()
        again = [do_receive(m) for m in messages]
        assert snapshot() == after_once
        assert [answered(a.ack)[0] for a in again] == [answered(f.ack)[0] for f in first]


@pytest.mark.django_db
@DB_SETTINGS
@given(data=st.data())
def test_a_message_sent_twice_under_new_control_ids_equals_sending_it_once(
    world, feed, data: st.DataObject
) -> None:
    base = recent_base()
    before = data.draw(sequence(base))
    parts = data.draw(message_parts(control_id="X1", base=base))
    repeat = [list(s) for s in parts]
    repeat[0][9] = "X2"
    with moving_clock(), rolled_back():
        for m in before:
            do_receive(m)
        once = do_receive(encode(parts))
        after_once = snapshot(skip=(AdtMessage,), content_only=True)
        twice = do_receive(encode(repeat))
        assert snapshot(skip=(AdtMessage,), content_only=True) == after_once, (once.ack, twice.ack)


@pytest.mark.django_db
def test_a_discharge_without_a_time_sent_again_keeps_the_first_discharge_time(world, feed) -> None:
    """Found by the property above: an A03 with neither PV1-45 nor EVN nor MSH-7 took the time it arrived, so
    the same discharge sent again under a new control id moved the stay's end."""
    base = recent_base()
    do_receive(adt("A01", "M1", pv1={44: f"{base:%Y%m%d%H%M}"}))
    untimed = [  # no MSH-7, no EVN, no PV1-45
        "MSH|^~\\&|EPIC|STMARYS|CC|CC|||ADT^A03^ADT_A01|{}|P|2.3",
        segment("PID", {1: "1", 3: "H100^^^STMARYS^MR", 5: "Reyes^Paula", 7: "19560314", 8: "F"}),
        segment("PV1", {2: "I", 19: "V1", 36: "01"}),
    ]
    discharge = "\r".join(untimed) + "\r"
    with time_machine.travel(clock.now(), tick=False) as traveller:
        assert do_receive(discharge.format("X1")).message.outcome == "applied"
        ended = Encounter.objects.get(source="hl7v2").end
        traveller.shift(dt.timedelta(hours=2))
        assert do_receive(discharge.format("X2")).message.outcome == "applied"
    assert Encounter.objects.get(source="hl7v2").end == ended


def test_a_control_id_too_long_to_keep_is_unreadable_not_cut_short() -> None:
    # Cut to 64 characters, two different messages could share an id: the second would be dropped as a resend.
    long_id = "X" * 65
    text = encode(
        [["MSH", "|", "EPIC", "STMARYS", "CC", "CC", "20261201083000", "", "ADT^A01", long_id, "P", "2.5.1"],
         ["PID", "1", "", "H100^^^STMARYS^MR"]]
    )  # fmt: skip
    with pytest.raises(hl7v2.Unreadable, match="longer than 64"):
        hl7v2.parse(text)
    assert hl7v2.parse(text.replace(long_id, "X" * 64)).control_id == "X" * 64
