"""Crash harness: `kill -9` of the whole server during FHIR writes, N times; does every acknowledged write survive?

    .venv/bin/python bench/crash.py --cycles 50
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_crash .venv/bin/python bench/crash.py --cycles 50

SQLite always runs; with DATABASE_URL set, PostgreSQL runs after it, in the database it names, dropped and
created again first and dropped after (so its name must contain "bench"). Each database gets a new, empty
CARECONDUCTOR_HOME (DEBUG off), set up once by bench/fhir_api.py's child: migrations, the demo at --patients
(20) and a `user/*.*` bearer token for the demo's case manager, whose visible patients are written to.

The server is gunicorn as `careconductor serve` runs it (gthread, 2 workers x 4 threads, on loopback; bench
/fhir_api.py's `_serve`), in a process group of its own. Each cycle:

1. --writers (3) threads write through the FHIR API as fast as they are answered: a body weight Observation
   (a reading) with a marker in its note, a Condition with a marker as its text, now and then a transaction
   Bundle of three Observations. A write is *acknowledged* when its whole answer (201, or 200 and every entry
   201) has been read; its id and what was written are kept.
2. A random 50-800 ms (--min-ms, --max-ms) after the cycle's first acknowledged write, the master and all its
   workers get SIGKILL at once (os.killpg), so requests die mid-transaction. Writes cut off are not acknowledged and may or may not exist.
3. On SQLite, the database file as the crash left it is opened (WAL recovery) and `PRAGMA integrity_check` must
   say ok.
4. The server is started again (the time until /healthz answers is "restart"), every write acknowledged in the
   cycle is read back (200, same value and marker) and `careconductor audit verify` must exit 0.

At the end every write acknowledged in the whole run is read back once more. Printed per database: cycles,
acknowledged writes checked, lost writes, answers 5xx (a 503 "busy, retry" is counted apart and is not an
error), writes cut off by the kill, integrity and audit-verify failures, and seconds per cycle with the time a
1,000-cycle run would take. Exits non-zero if a write was lost or anything else failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fhir_api
from _postgres import recreate_postgres
from _server import free_port  # bench/ is on sys.path when a benchmark runs

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CONDITIONS = (
    ("E11.9", "Type 2 diabetes"),
    ("I10", "Hypertension"),
    ("J44.9", "COPD"),
    ("F32.9", "Depression"),
)


@dataclass
class Write:
    """One acknowledged resource: where to read it and what it must hold."""

    path: str
    kind: str  # the resource type: Observation (a body weight) or Condition
    marker: str
    value: float = 0.0
    in_bundle: bool = False


@dataclass
class Totals:
    cycles: int = 0
    acknowledged: Counter[str] = field(default_factory=Counter)
    checked: int = 0
    lost: list[str] = field(default_factory=list)
    cut_off: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    integrity_failures: int = 0
    verify_failures: int = 0
    verify_line: str = ""
    seconds: list[float] = field(default_factory=list)
    restart: list[float] = field(default_factory=list)
    verify_seconds: list[float] = field(default_factory=list)


# --- the writes --------------------------------------------------------------------------------------------------
def _weight(patient: int, rng: random.Random) -> tuple[dict[str, Any], Write]:
    marker = f"crash-{uuid.uuid4().hex[:12]}"
    value = round(rng.uniform(40, 150), 1)
    taken = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
        "code": {"coding": [{"system": LOINC, "code": "29463-7"}]},
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": taken.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "valueQuantity": {"value": value, "unit": "kg", "system": UCUM, "code": "kg"},
        "note": [{"text": marker}],
    }  # fmt: skip
    return resource, Write("", "Observation", marker, value)


def _condition(patient: int, rng: random.Random) -> tuple[dict[str, Any], Write]:
    marker = f"crash-{uuid.uuid4().hex[:12]}"
    code, display = rng.choice(CONDITIONS)
    resource = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
        "code": {"coding": [{"system": ICD10, "code": code, "display": display}], "text": f"{display} {marker}"},
        "subject": {"reference": f"Patient/{patient}"},
    }  # fmt: skip
    return resource, Write("", "Condition", marker)


def _holds(resource: dict[str, Any], write: Write) -> bool:
    if write.kind == "Observation":
        value = (resource.get("valueQuantity") or {}).get("value")
        notes = [n.get("text") for n in resource.get("note") or []]
        return value is not None and abs(float(value) - write.value) < 1e-9 and write.marker in notes
    return write.marker in str((resource.get("code") or {}).get("text", ""))


class Writers:
    """`count` threads writing until the server dies under them."""

    def __init__(self, port: int, token: str, patients: list[int], count: int, seed: int) -> None:
        self.port, self.token, self.patients = port, token, patients
        self.killed = threading.Event()
        self.first = threading.Event()  # set at the first acknowledged write
        self.lock = threading.Lock()
        self.acknowledged: list[Write] = []
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.cut_off = 0
        self.threads = [threading.Thread(target=self._run, args=(seed + i,)) for i in range(count)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _run(self, seed: int) -> None:
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        while True:
            patient = rng.choice(self.patients)
            roll = rng.random()
            if roll < 0.15:
                made = [_weight(patient, rng) for _ in range(3)]
                body = {"resourceType": "Bundle", "type": "transaction", "entry": [
                    {"resource": r, "request": {"method": "POST", "url": "Observation"}} for r, _ in made]}  # fmt: skip
                path, writes = "/fhir/r4/", [w for _, w in made]
                for write in writes:
                    write.in_bundle = True
            else:
                resource, write = (_weight if roll < 0.7 else _condition)(patient, rng)
                body, path, writes = resource, f"/fhir/r4/{resource['resourceType']}", [write]
            try:
                status, answer = fhir_api._request(conn, "POST", path, self.token, json.dumps(body).encode())
            except (OSError, http.client.HTTPException) as exc:
                with self.lock:
                    if self.killed.is_set():
                        self.cut_off += 1
                    else:
                        self.errors.append(f"POST {path} failed before the kill: {exc!r}")
                return
            self._acknowledge(path, status, answer, writes)

    def _acknowledge(self, path: str, status: int, answer: bytes, writes: list[Write]) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status == 503:  # busy: not acknowledged, and not an error
                return
            if status not in (200, 201):
                self.errors.append(f"POST {path}: {status} {answer[:300]!r}")
                return
            try:
                reply = json.loads(answer)
                entries = reply["entry"] if reply["resourceType"] == "Bundle" else []
                ids = [e["response"]["location"].split("/")[1] for e in entries] or [reply["id"]]
                created = all(e["response"]["status"].startswith("201") for e in entries)
            except (ValueError, KeyError, IndexError) as exc:
                self.errors.append(
                    f"POST {path}: {status}, answer not understood ({exc!r}): {answer[:300]!r}"
                )
                return
            if len(ids) != len(writes) or not created:
                self.errors.append(f"POST {path}: {status} but not every entry created: {answer[:300]!r}")
                return
            for write, found in zip(writes, ids, strict=True):
                write.path = f"/fhir/r4/{write.kind}/{found}"
                self.acknowledged.append(write)
            self.first.set()


# --- checking ----------------------------------------------------------------------------------------------------
def _read_back(port: int, token: str, writes: list[Write], totals: Totals) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for write in writes:
        for _ in range(20):  # a 503 says "busy, retry": do
            status, body = fhir_api._request(conn, "GET", write.path, token)
            totals.statuses[status] += 1
            if status != 503:
                break
            time.sleep(0.2)
        totals.checked += 1
        if status >= 500 and status != 503:
            totals.errors.append(f"GET {write.path}: {status} {body[:300]!r}")
        if status != 200 or not _holds(json.loads(body), write):
            totals.lost.append(f"{write.path} ({write.kind} {write.marker}): {status} {body[:200]!r}")
    conn.close()


def _integrity(home: str) -> str:
    """The SQLite file as the crash left it: opened (which recovers from the WAL) and checked."""
    db = sqlite3.connect(Path(home, "careconductor.sqlite3"), timeout=30)
    try:
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        result = "; ".join(row[0] for row in db.execute("PRAGMA integrity_check"))
    finally:
        db.close()
    return "ok" if mode == "wal" and result == "ok" else f"journal_mode {mode}, integrity_check: {result}"


def _verify(env: dict[str, str], totals: Totals) -> None:
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "careconductor", "audit", "verify"], env=env, capture_output=True, text=True
    )
    totals.verify_seconds.append(time.perf_counter() - began)
    said = (done.stdout.strip() or done.stderr.strip()).splitlines()
    totals.verify_line = said[-1] if said else ""
    if done.returncode != 0:
        totals.verify_failures += 1
        totals.errors.append(f"audit verify exited {done.returncode}: {done.stdout}{done.stderr}")


def _gone(pgid: int, timeout: float = 10) -> None:
    """Wait until no process of the killed group is left (a dying worker still holds its locks)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    sys.exit(f"processes of group {pgid} still alive {timeout:.0f} s after SIGKILL")


# --- the run -----------------------------------------------------------------------------------------------------
def _patients(port: int, token: str) -> list[int]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    status, body = fhir_api._request(conn, "GET", "/fhir/r4/Patient?_count=10", token)
    assert status == 200, body[:300]
    return [int(e["resource"]["id"]) for e in json.loads(body).get("entry", [])]


def _crash_cycles(args: argparse.Namespace, env: dict[str, str], home: str, sqlite: bool) -> Totals:
    facts = json.loads(Path(home, "bench-fhir.json").read_text())
    token = facts["manager"]
    port = free_port()
    rng = random.Random(args.seed)
    totals = Totals()
    everything: list[Write] = []
    server = fhir_api._serve(env, port, args.workers, own_group=True)
    patients = _patients(port, token)
    try:
        for cycle in range(args.cycles):
            began = time.perf_counter()
            writers = Writers(port, token, patients, args.writers, args.seed * 1000 + cycle * 10)
            writers.start()
            # The delay counts from the first acknowledged write, so that the kill falls among writes in full
            # flow and not only on the first requests of a server still starting its second worker.
            writers.first.wait(timeout=60)
            time.sleep(rng.uniform(args.min_ms, args.max_ms) / 1000)
            writers.killed.set()
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            writers.join()
            _gone(server.pid)
            totals.cycles += 1
            totals.acknowledged.update(
                ("Observation in a Bundle" if w.in_bundle else w.kind) for w in writers.acknowledged
            )
            totals.cut_off += writers.cut_off
            totals.statuses.update(writers.statuses)
            totals.errors += writers.errors
            if sqlite and (found := _integrity(home)) != "ok":
                totals.integrity_failures += 1
                totals.errors.append(f"cycle {cycle + 1}: {found}")
            restarted = time.perf_counter()
            server = fhir_api._serve(env, port, args.workers, own_group=True)
            totals.restart.append(time.perf_counter() - restarted)
            _read_back(port, token, writers.acknowledged, totals)
            everything += writers.acknowledged
            _verify(env, totals)
            totals.seconds.append(time.perf_counter() - began)
            if args.progress and (cycle + 1) % args.progress == 0:
                print(
                    f"  cycle {cycle + 1}: {totals.acknowledged.total()} acknowledged, {len(totals.lost)} lost, "
                    f"{len(totals.errors)} errors, {totals.seconds[-1]:.1f} s",
                    flush=True,
                )
        _read_back(port, token, everything, totals)  # the whole run's writes, once more at the end
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return totals


def _report(label: str, totals: Totals) -> bool:
    mean = sum(totals.seconds) / max(1, len(totals.seconds))
    fives = sum(n for status, n in totals.statuses.items() if status >= 500 and status != 503)
    print(
        f"{label}: {totals.cycles} cycles, {totals.acknowledged.total()} writes acknowledged "
        f"({', '.join(f'{n} {kind}' for kind, n in sorted(totals.acknowledged.items()))}), {totals.checked} reads "
        f"of them checked (each once after its crash and once at the end), LOST {len(totals.lost)}; "
        f"{totals.cut_off} writes failed at the kill (in flight, or sent as it fell; not acknowledged); answers 5xx {fives}, "
        f"503 {totals.statuses[503]}; integrity failures {totals.integrity_failures}; audit verify failures "
        f"{totals.verify_failures} of {totals.cycles} (last: {totals.verify_line})\n"
        f"{label}: {mean:.2f} s per cycle (restart to /healthz {sum(totals.restart) / max(1, len(totals.restart)):.2f} s, "
        f"audit verify {sum(totals.verify_seconds) / max(1, len(totals.verify_seconds)):.2f} s); 1,000 cycles "
        f"would take about {mean * 1000 / 60:.0f} min; answers {dict(sorted(totals.statuses.items()))}",
        flush=True,
    )  # fmt: skip
    for line in (totals.lost + totals.errors)[:10]:
        print(f"  {line}")
    return not (totals.lost or totals.errors or totals.integrity_failures or totals.verify_failures)


def _database(args: argparse.Namespace, database_url: str | None) -> bool:
    label = "PostgreSQL" if database_url else "SQLite"
    with tempfile.TemporaryDirectory(prefix="cc-bench-crash-") as home:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CARECONDUCTOR_DEBUG")}
        env |= {"CARECONDUCTOR_HOME": home, "DJANGO_SETTINGS_MODULE": "careconductor.settings"}
        # `audit verify` checks with this checkout's code, wherever the script is started from.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(fhir_api.ROOT), env.get("PYTHONPATH")]))
        if database_url:
            env["DATABASE_URL"] = database_url
            recreate_postgres(database_url)
        try:
            setup = [sys.executable, fhir_api.__file__, "--setup", "--patients", str(args.patients)]
            built = subprocess.run(
                [*setup, "--seed", str(args.seed)], env=env, capture_output=True, text=True
            )
            if built.returncode:
                sys.exit(f"the setup failed:\n{built.stdout}{built.stderr}")
            totals = _crash_cycles(args, env, home, sqlite=not database_url)
        finally:
            if database_url:
                recreate_postgres(database_url, drop_only=True)
    return _report(label, totals)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--cycles", type=int, default=1000, help="kill -9 cycles per database (default 1,000)"
    )
    parser.add_argument("--writers", type=int, default=3, help="concurrent writer threads (default 3)")
    parser.add_argument("--min-ms", type=float, default=50, help="shortest time before the kill (50 ms)")
    parser.add_argument("--max-ms", type=float, default=800, help="longest time before the kill (800 ms)")
    parser.add_argument("--patients", type=int, default=20, help="demo size (default 20)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--progress", type=int, default=10, help="print a line every N cycles (0: none)")
    parser.add_argument(
        "--only",
        choices=("sqlite", "postgresql"),
        help="one database (PostgreSQL needs DATABASE_URL); default: SQLite, then PostgreSQL if DATABASE_URL is set",
    )
    args = parser.parse_args()
    load = os.getloadavg()
    print(
        f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}; load average before the run {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
        f"{args.cycles} cycles per database, {args.writers} writers, kill after {args.min_ms:.0f}-{args.max_ms:.0f} ms",
        flush=True,
    )  # fmt: skip
    database_url = os.environ.get("DATABASE_URL")
    if args.only == "postgresql" and not database_url:
        sys.exit("--only postgresql needs DATABASE_URL")
    ok = _database(args, None) if args.only != "postgresql" else True
    if database_url and args.only != "sqlite":
        ok = _database(args, database_url) and ok
    print(f"# load average after {os.getloadavg()[0]:.1f}")
    if not ok:
        sys.exit("FAILED: a write was lost or something else went wrong (see above)")


if __name__ == "__main__":
    main()
