"""ADT messages for the tests, built field by field (HL7 v2.5.1 positions, docs/hl7v2.md)."""

from __future__ import annotations


def segment(name: str, fields: dict[int, str]) -> str:
    """A segment with the given fields at their numbers (the rest empty)."""
    last = max(fields, default=0)
    return "|".join([name, *(fields.get(n, "") for n in range(1, last + 1))])


def adt(
    trigger: str,
    control_id: str,
    *,
    mrn: str = "H100",
    facility: str = "STMARYS",
    family: str = "Reyes",
    given: str = "Paula",
    birth: str = "19560314",
    sex: str = "F",
    extra_ids: str = "",
    version: str = "2.5.1",
    pv1: dict[int, str] | None = None,
    more: tuple[str, ...] = (),
) -> str:
    """An ADT^<trigger> from STMARYS about the person given, with PV1 fields as given (class I, visit V1)."""
    msh = f"MSH|^~\\&|EPIC|{facility}|CC|CC|20261201083000||ADT^{trigger}^ADT_A01|{control_id}|P|{version}"
    ids = f"{mrn}^^^{facility}^MR" + (f"~{extra_ids}" if extra_ids else "")
    pid = segment("PID", {1: "1", 3: ids, 5: f"{family}^{given}", 7: birth, 8: sex, 13: "555-0100"})
    visit = {2: "I", 3: "4W^412^B", 7: "1234^Patel^Anil", 19: "V1", 44: "20261201080000"} | (pv1 or {})
    return "\r".join([msh, f"EVN|{trigger}|20261201083000", pid, segment("PV1", visit), *more]) + "\r"
