"""HL7 v2 ADT over MLLP (issue 19): messages applied per second by `careconductor adt listen`, ACK latency.

    .venv/bin/python bench/adt.py --patients 10000 --keep /tmp/cc-bench-adt
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_adt .venv/bin/python bench/adt.py --patients 10000

A child process with a new, empty CARECONDUCTOR_HOME (DEBUG off) applies the migrations and builds the demo at the
size given (not timed here), and the demo administrator sets up a feed "Bench General Hospital" (MSH-4 BENCHGEN);
with DATABASE_URL set, the PostgreSQL database it names is dropped and created again first and dropped after, so
its name must contain "bench". `--keep DIR` keeps the data folder (and the PostgreSQL database) for another run,
which then skips the build.

Each run picks demo patients whom the feed's matching names exactly (one patient for their name, birth date and
sex, and no BENCHGEN MRN yet: checked with transitions.matching before the run, so each first message is matched
by name + birth date and the following ones by the MRN it leaves), and sends per patient an A01, every third an
A08, then an A03 (new control ids and visit numbers every run). `careconductor adt listen` runs as its own
process on the kept data folder; the clients are plain TCP sockets writing MLLP frames and waiting for each ACK
(a sender's messages in order), over 1 connection and then over 4 concurrent ones (each patient's messages on
one connection). Printed: messages/s applied (each with its audit events, the patient's MRN kept, the admission's
notifications), ACK p50 / p95 / max, the listener's CPU per message, outcomes by ACK code. Any AE or AR, or a
message held for matching, fails the run. The parser alone (hl7v2.parse over the same messages) is measured too.
`--profile N` instead runs N messages through do_receive in-process under cProfile and prints the top functions
(`--no-defer`: with the discharge's work done in the message's transaction, as the file drop does).

`--workers N` runs `adt listen --workers N` (the listener's CPU is then its own and its workers'). The listener
queues each discharge's work (risk scores, notices, referral: transitions.tasks.discharge_work), so each round
also runs `careconductor worker` beside it, as production does, and reports how long after the round's last ACK
the queue was empty, the worker's CPU per discharge, and how many A03s got their LACE; work left after 300 s
fails the run. `--connections 1,4` chooses the rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import _demo  # bench/ is on sys.path when a benchmark runs
from _server import free_port

ROOT = Path(__file__).resolve().parent.parent
FACILITY, HOSPITAL = "BENCHGEN", "Bench General Hospital"
VT, FS_CR = b"\x0b", b"\x1c\r"


# --- the child: demo, feed, the patients each run names ----------------------------------------------------------
def _django() -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _setup(args: argparse.Namespace) -> None:
    _django()
    from django.conf import settings
    from django.core.management import call_command

    from careconductor.accounts.models import User
    from careconductor.demo.generator import build_demo
    from careconductor.transitions.actions import do_create_feed

    assert not settings.DEBUG, "run the benchmark with DEBUG off (unset CARECONDUCTOR_DEBUG)"
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    rows = build_demo(patients=args.patients, seed=args.seed, out=sys.stderr)
    print(f"# demo built in {time.perf_counter() - started:.1f} s ({sum(rows.values()):,} rows)", flush=True)
    do_create_feed(User.objects.get(username="admin"), name=HOSPITAL, sending_facility=FACILITY)
    Path(os.environ["CARECONDUCTOR_HOME"], "bench-adt.json").write_text(json.dumps({"people": []}))


def _pick(args: argparse.Namespace) -> None:
    """Write the patients this run names: matched by name, birth date and sex alone, no BENCHGEN MRN yet."""
    _django()
    from django.db import connection

    from careconductor.patients.models import Patient, PatientIdentifier
    from careconductor.transitions import hl7v2
    from careconductor.transitions.matching import find_patient
    from careconductor.transitions.models import Feed

    feed = Feed.objects.select_related("account", "organization").get(sending_facility=FACILITY)
    known = PatientIdentifier.objects.filter(system=feed.mrn_system).values("patient_id")
    chosen: list[dict[str, str | int]] = []
    candidates = (
        Patient.objects.filter(organization_id=feed.organization_id, merged_into__isnull=True)
        .exclude(pk__in=known)
        .order_by("pk")
    )
    for patient in candidates.iterator(chunk_size=500):
        person = {
            "pk": patient.pk,
            "given": patient.given_name,
            "family": patient.family_name,
            "birth": f"{patient.birth_date:%Y%m%d}",
            "sex": {"female": "F", "male": "M"}.get(patient.sex, "U"),
        }
        event = hl7v2.parse(message("A01", "PICK", "PICK", person))
        if find_patient(feed, event).patient == patient:
            chosen.append(person)
            if len(chosen) == args.people:
                break
    facts = {"vendor": connection.vendor, "patients": Patient.objects.count(), "people": chosen}
    Path(os.environ["CARECONDUCTOR_HOME"], "bench-adt.json").write_text(json.dumps(facts))


def _report(args: argparse.Namespace) -> None:
    """The run's messages by outcome, and the audit events written since it began, as JSON."""
    _django()
    import datetime as dt

    from careconductor.privacy.models import AuditEvent
    from careconductor.transitions.models import AdtMessage

    since = dt.datetime.fromtimestamp(args.since, dt.UTC)
    mine = AdtMessage.objects.filter(sending_facility=FACILITY, control_id__startswith=args.run)
    outcomes = Counter(mine.values_list("outcome", flat=True))
    audits = AuditEvent.objects.filter(recorded_at__gte=since).count()
    lace = mine.filter(trigger="A03", effect__contains="LACE").count()
    print(json.dumps({"outcomes": dict(outcomes), "audit": audits, "lace": lace}))


def _drain(args: argparse.Namespace) -> None:
    """Wait until no message of the run has its discharge work queued; when that was (time.time()), as JSON."""
    _django()
    from careconductor.transitions.models import AdtMessage
    from careconductor.transitions.work import QUEUED

    mine = AdtMessage.objects.filter(sending_facility=FACILITY, control_id__startswith=args.run)
    deadline = time.time() + 300
    while (left := mine.filter(effect__contains=QUEUED).count()) and time.time() < deadline:
        time.sleep(0.2)
    print(json.dumps({"empty_at": time.time(), "left": left}))


# --- the messages ------------------------------------------------------------------------------------------------
def message(
    trigger: str, control_id: str, visit: str, person: dict[str, str | int], hours_ago: float = 30
) -> str:
    """An ADT message from BENCHGEN about `person` (MRN BG<pk>), times in UTC relative to now."""
    now = time.time()
    stamp = lambda seconds: time.strftime("%Y%m%d%H%M%S+0000", time.gmtime(seconds))  # noqa: E731
    admitted, sent = stamp(now - hours_ago * 3600), stamp(now)
    pv1 = ["PV1", "1", "I", "5E^512^A", "E", "", "", "1234^Hughes^Ann", "", "", "MED"] + [""] * 8 + [visit]
    pv1 += [""] * (44 - len(pv1)) + [admitted]
    if trigger == "A03":
        pv1[36] = "01"
        pv1.append(stamp(now - 600))
    segments = [
        f"MSH|^~\\&|EPIC|{FACILITY}|CC|CC|{sent}||ADT^{trigger}^ADT_A01|{control_id}|P|2.5.1",
        f"EVN|{trigger}|{sent}",
        f"PID|1||BG{person['pk']}^^^{FACILITY}^MR||{person['family']}^{person['given']}||{person['birth']}|{person['sex']}",
        "|".join(pv1),
        "PV2|||^Shortness of breath",
        f"DG1|1||I50.9^Heart failure, unspecified^I10||{sent[:8]}|A",
    ]
    return "\r".join(segments) + "\r"


def workload(people: list[dict[str, str | int]], run: str) -> list[list[str]]:
    """Each patient's messages, in order: A01, every third an A08, A03."""
    traffic = []
    for n, person in enumerate(people):
        visit = f"{run}V{n}"
        mine = [message("A01", f"{run}-{n}-1", visit, person)]
        if n % 3 == 0:
            mine.append(message("A08", f"{run}-{n}-2", visit, person))
        mine.append(message("A03", f"{run}-{n}-3", visit, person))
        traffic.append(mine)
    return traffic


# --- the listener and the senders --------------------------------------------------------------------------------
def _listen(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[str]:
    listener = subprocess.Popen(
        [sys.executable, "-m", "careconductor.cli", "adt", "listen", "--port", str(port), "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert listener.stdout is not None
    line = listener.stdout.readline()
    if "Receiving" not in line:
        listener.kill()
        sys.exit(f"the listener did not start: {line!r}")
    return listener


def _cpu(pid: int) -> float:
    """User + system CPU of the listener and of its worker processes (adt listen --workers N), in seconds."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):  # the listener, or a child of it
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _send(
    port: int, sequences: list[list[str]], times: list[float], codes: Counter[str], held: list[str]
) -> None:
    """One connection: every message in turn, each ACK awaited."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as conn:
        buffer = b""
        for text in (m for sequence in sequences for m in sequence):
            began = time.perf_counter()
            conn.sendall(VT + text.encode() + FS_CR)
            while FS_CR not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    raise ConnectionError("the listener closed the connection")
                buffer += chunk
            ack, buffer = buffer.split(FS_CR, 1)
            times.append((time.perf_counter() - began) * 1000)
            msa = next(s for s in ack.decode().split("\r") if s.startswith("MSA"))
            code = msa.split("|")[1]
            codes[code] += 1
            if code != "AA" or "Held for patient matching" in msa:
                held.append(msa[:200])


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _round(port: int, listener: int, traffic: list[list[str]], connections: int) -> list[str]:
    shares = [traffic[i::connections] for i in range(connections)]
    times: list[float] = []
    codes: Counter[str] = Counter()
    bad: list[str] = []
    cpu = _cpu(listener)
    threads = [threading.Thread(target=_send, args=(port, share, times, codes, bad)) for share in shares]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    used = _cpu(listener) - cpu
    n = len(times)
    print(
        f"{connections} connection{'s' if connections > 1 else ' '}: {n:5,} messages in {wall:6.1f} s = {n / wall:6.0f}"
        f" messages/s applied; ACK p50 {_p(times, 0.5):6.1f}  p95 {_p(times, 0.95):6.1f}  max {max(times):6.0f} ms;"
        f" listener CPU {used * 1000 / n:5.1f} ms/message; ACKs {dict(sorted(codes.items()))}",
        flush=True,
    )
    return bad


def _parser_alone(traffic: list[list[str]]) -> None:
    sys.path.insert(0, str(ROOT))
    from careconductor.transitions import hl7v2

    texts = [m for sequence in traffic for m in sequence]
    for text in texts[:50]:
        hl7v2.parse(text)
    began = time.perf_counter()
    rounds = max(1, 3000 // len(texts))
    for _ in range(rounds):
        for text in texts:
            hl7v2.parse(text)
    took = time.perf_counter() - began
    print(
        f"parser alone (hl7v2.parse, same messages): {rounds * len(texts) / took:,.0f} messages/s", flush=True
    )


# --- the profile ---------------------------------------------------------------------------------------------------
def _profile(args: argparse.Namespace) -> None:
    import cProfile
    import pstats

    _django()
    from careconductor.transitions.actions import do_receive

    facts = json.loads(Path(os.environ["CARECONDUCTOR_HOME"], "bench-adt.json").read_text())
    texts = [m for sequence in workload(facts["people"], f"P{int(time.time())}") for m in sequence][
        : args.profile
    ]
    do_receive(texts[0], defer_work=not args.no_defer)  # imports, first queries
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for text in texts[1:]:
        do_receive(text, defer_work=not args.no_defer)  # as the listener does
    profiler.disable()
    took = time.perf_counter() - began
    print(
        f"# {len(texts) - 1} messages through do_receive in-process: {(len(texts) - 1) / took:.0f}/s under cProfile"
    )
    stats = pstats.Stats(profiler)
    if args.profile_out:
        stats.dump_stats(args.profile_out)  # for pstats' callers and callees views
    stats.sort_stats("cumulative").print_stats("careconductor", args.profile_top)
    stats.sort_stats("tottime").print_stats(15)


# --- the run -----------------------------------------------------------------------------------------------------
def _child(env: dict[str, str], *extra: str) -> str:
    done = subprocess.run([sys.executable, __file__, *extra], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(extra)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def _measure(args: argparse.Namespace, env: dict[str, str], home: str) -> None:
    failures: list[str] = []
    for connections in map(int, args.connections.split(",")):
        run = f"B{int(time.time())}C{connections}"
        _child(env, "--pick", "--people", str(args.people))
        facts = json.loads(Path(home, "bench-adt.json").read_text())
        if len(facts["people"]) < args.people:
            sys.exit(f"only {len(facts['people'])} patients left that match by name alone; build a new demo")
        traffic = workload(facts["people"], run)
        if connections == int(args.connections.split(",")[0]):
            load = os.getloadavg()
            print(
                f"# {facts['vendor']}, {facts['patients']:,} patients; {platform.platform()}, {os.cpu_count()} CPUs,"
                f" Python {platform.python_version()}; load average before the run {load[0]:.1f} {load[1]:.1f}"
                f" {load[2]:.1f}; {sum(map(len, traffic)):,} messages a round ({len(traffic)} patients: A01,"
                f" every third an A08, A03); listener with {args.workers} worker process(es)",
                flush=True,
            )
            _parser_alone(traffic)
        # The task queue's worker (the discharges' work) runs beside the listener, as in production.
        worker = subprocess.Popen(
            [sys.executable, "-m", "careconductor.cli", "worker"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port = free_port()
        listener = _listen(env, port, args.workers)
        since = time.time()
        worker_cpu = _cpu(worker.pid)
        try:
            failures += _round(port, listener.pid, traffic, connections)
        finally:
            ended = time.time()
            listener.terminate()
            listener.wait(timeout=30)
        drained = json.loads(_child(env, "--drain", "--run", run))
        worker_cpu = _cpu(worker.pid) - worker_cpu
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=60)
        report = json.loads(_child(env, "--report", "--run", run, "--since", str(since)))
        discharges = len(traffic)
        print(
            f"  kept: {report['outcomes']}; audit events written {report['audit']:,}; discharges' work (queued, done"
            f" by the worker): {report['lace']} of {discharges} with LACE, {drained['left']} left, queue empty"
            f" {max(0.0, drained['empty_at'] - ended):.1f} s after the round's last ACK (at most; polled by a"
            f" process started then); worker CPU {worker_cpu * 1000 / discharges:.1f} ms per discharge",
            flush=True,
        )
        if drained["left"]:
            failures.append(f"round {run}: {drained['left']} discharges' work still queued after 300 s")
        if set(report["outcomes"]) != {"applied"}:
            failures.append(f"round {run}: outcomes {report['outcomes']}")
    print(f"# load average after {os.getloadavg()[0]:.1f}")
    if failures:
        print("\n".join(failures[:10]))
        sys.exit(f"{len(failures)} messages were not applied")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=400, help="patients each round names (default 400)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", metavar="DIR", help="data folder to keep (reused if it holds a demo)")
    parser.add_argument("--workers", type=int, default=1, help="adt listen --workers (default 1)")
    parser.add_argument("--connections", default="1,4", help="the rounds' connection counts (default 1,4)")
    parser.add_argument("--profile", type=int, metavar="N", help="profile N messages in-process instead")
    parser.add_argument("--profile-top", type=int, default=30)
    parser.add_argument("--profile-out", metavar="FILE", help="--profile: also write the stats to FILE")
    parser.add_argument("--no-defer", action="store_true", help="--profile: the discharge's work in-process")
    for hidden in ("--setup", "--pick", "--report", "--profile-child", "--drain"):
        parser.add_argument(hidden, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--since", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    for flag, step in ((args.setup, _setup), (args.pick, _pick), (args.report, _report), (args.profile_child, _profile), (args.drain, _drain)):  # fmt: skip
        if flag:
            step(args)
            return
    with _demo.data_folder(args.keep, "bench-adt.json", "cc-bench-adt-") as (home, env, reused):
        if reused:  # a kept demo follows the code's migrations (other apps add theirs)
            subprocess.run([sys.executable, "-m", "careconductor.cli", "migrate", "-v", "0"], env=env, cwd=ROOT, check=True)  # fmt: skip
        else:
            subprocess.run([sys.executable, __file__, "--setup", "--patients", str(args.patients), "--seed", str(args.seed)], env=env, check=True)  # fmt: skip
        if args.profile:
            _child(env, "--pick", "--people", str(args.profile))
            subprocess.run([sys.executable, __file__, "--profile-child", "--profile", str(args.profile), "--profile-top", str(args.profile_top), *(["--no-defer"] if args.no_defer else []), *(["--profile-out", args.profile_out] if args.profile_out else [])], env=env, check=True)  # fmt: skip
        else:
            _measure(args, env, home)


if __name__ == "__main__":
    main()
