"""The FHIR R4 API served for real: latency and throughput of reads, searches and transaction imports.

    .venv/bin/python bench/fhir_api.py --patients 10000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_fhir .venv/bin/python bench/fhir_api.py --patients 10000

A child process with a new, empty CARECONDUCTOR_HOME (DEBUG off) applies the migrations and builds the demo at the
size given (`careconductor.demo.generator.build_demo`, not timed here) and makes `user/*.*` bearer tokens for the
demo's case manager and admin; with DATABASE_URL set, the PostgreSQL database it names is dropped and created
again first and dropped after, so its name must contain "bench". `--keep DIR` keeps the data folder (and the
PostgreSQL database) for another run, which then skips the build.

It then serves the application as `careconductor serve` does (gunicorn, gthread, 2 workers x 4 threads, on
loopback) with one more URL, a bare Django view reading the same patient row (bench/_bare_site.py: the
framework's floor), and measures with real HTTP clients (http.client, keep-alive, one connection per client
thread):

  - the case manager's `GET Patient/<id>` with 1 and with 8 concurrent clients: p50 / p95 ms, requests/s, and the
    server's CPU per request (user + system time of the gunicorn processes; PostgreSQL's own CPU not counted),
  - the same read against the bare view, and the ratios,
  - a family-name search and `Patient/$everything` (1 client),
  - transaction imports as the admin: Bundles of 200 and of 1,000 entries (per patient: Patient, Coverage,
    RelatedPerson, a Condition and an Encounter, referring to the Patient by urn:uuid), posted by 2 concurrent
    clients while a third reads `Patient/<id>` over and over: resources/s, and the reader's p50 / p95.

Every answer's status is counted; any 500 is printed and makes the run fail. `--profile-ingest N` instead
profiles one N-entry Bundle in-process (cProfile, through Django's test client) and prints the top functions.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import _demo  # bench/ is on sys.path when a benchmark runs
from _server import free_port, server_cpu, start, stop

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
FHIR = "application/fhir+json"


# --- the child: demo and tokens ----------------------------------------------------------------------------------
def _setup(args: argparse.Namespace) -> None:
    _demo.build(args.patients, args.seed)
    from django.db import connection

    from careconductor.accounts.actions import do_create_token
    from careconductor.accounts.models import User
    from careconductor.cases.models import Case
    from careconductor.patients.models import Patient

    manager = User.objects.get(username="casemanager")
    admin = User.objects.get(username="admin")
    case = Case.objects.filter(primary_case_manager=manager, status="active").order_by("pk").first()
    assert case is not None, "the demo's case manager has no active case"
    patient = case.patient
    facts = {
        "vendor": connection.vendor,
        "patients": Patient.objects.count(),
        "patient": patient.pk,
        "family": patient.family_name[:3],
        "manager": do_create_token(manager, name="bench", scopes=("user/*.*",))[1],
        "admin": do_create_token(admin, name="bench import", scopes=("user/*.*",))[1],
    }
    Path(os.environ["CARECONDUCTOR_HOME"], "bench-fhir.json").write_text(json.dumps(facts))


def _profile(args: argparse.Namespace) -> None:
    """One Bundle of `args.profile_ingest` entries through the test client, under cProfile."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    facts = json.loads(Path(os.environ["CARECONDUCTOR_HOME"], "bench-fhir.json").read_text())
    client = Client(HTTP_AUTHORIZATION=f"Bearer {facts['admin']}")
    warm = client.post("/fhir/r4/", json.dumps(bundle(10)), content_type=FHIR)  # imports, first queries
    assert warm.status_code == 200, warm.content[:500]
    body = json.dumps(bundle(args.profile_ingest))
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    response = client.post("/fhir/r4/", body, content_type=FHIR)
    profiler.disable()
    took = time.perf_counter() - began
    assert response.status_code == 200, response.content[:500]
    print(f"# one Bundle of {args.profile_ingest} entries: {took:.2f} s under cProfile")
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats("careconductor|fhir/resources", args.profile_top)
    stats.sort_stats("tottime").print_stats(15)


# --- the server --------------------------------------------------------------------------------------------------
def _serve(
    env: dict[str, str], port: int, workers: int, *, own_group: bool = False
) -> subprocess.Popen[bytes]:
    """gunicorn as `careconductor serve` runs it, once /healthz answers. `own_group` starts it in a session of
    its own, so that the master and its workers can be killed together (os.killpg; bench/crash.py)."""
    return start(
        [sys.executable, "-m", "gunicorn", "careconductor.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", "4", "--worker-class", "gthread", "--timeout", "120",
         "--log-level", "warning", "--chdir", str(BENCH)],
        {**env, "DJANGO_SETTINGS_MODULE": "_bare_site", "PYTHONPATH": f"{BENCH}:{ROOT}"},
        port,
        start_new_session=own_group,
    )  # fmt: skip


# --- the clients -------------------------------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []

    def count(self, status: int, body: bytes, what: str) -> None:
        with self.lock:
            self.statuses[status] += 1
            if status >= 500 and status != 503:
                self.errors.append(f"{what}: {status} {body[:300]!r}")


def _request(conn: http.client.HTTPConnection, method: str, path: str, token: str, body: bytes | None = None) -> tuple[int, bytes]:  # fmt: skip
    headers = {"Accept": FHIR}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = FHIR
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    return response.status, response.read()


def _load(port: int, path: str, token: str, clients: int, per_client: int, tally: Tally) -> tuple[list[float], float]:  # fmt: skip
    """`clients` threads each make `per_client` GETs: every request's ms, and the wall time."""
    times: list[float] = []
    start = threading.Barrier(clients + 1)

    def run() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for _ in range(3):
            _request(conn, "GET", path, token)
        start.wait()
        mine = []
        for _ in range(per_client):
            began = time.perf_counter()
            status, body = _request(conn, "GET", path, token)
            mine.append((time.perf_counter() - began) * 1000)
            tally.count(status, body, path)
        with tally.lock:
            times.extend(mine)
        conn.close()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return times, time.perf_counter() - began


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _line(label: str, times: list[float], wall: float, cpu: float | None = None) -> dict[str, float]:
    rate = len(times) / wall
    per = f"  CPU {cpu * 1000 / len(times):5.2f} ms/req" if cpu is not None else ""
    print(f"{label:44} p50 {_p(times, 0.5):7.1f}  p95 {_p(times, 0.95):7.1f} ms  {rate:7.0f} req/s{per}", flush=True)  # fmt: skip
    return {"p50": _p(times, 0.5), "rate": rate, "cpu": (cpu or 0) * 1000 / len(times)}


def _reads(port: int, server: int, facts: dict[str, Any], repeat: int, tally: Tally) -> None:
    read = f"/fhir/r4/Patient/{facts['patient']}"
    bare = f"/bench/bare/{facts['patient']}"
    found: dict[str, dict[str, float]] = {}
    for label, path, token in (("FHIR read Patient/<id>", read, facts["manager"]), ("bare Django view, same row", bare, "")):  # fmt: skip
        for clients in (1, 8):
            cpu = server_cpu(server)
            times, wall = _load(port, path, token, clients, max(repeat // clients, 20) if clients == 1 else repeat // clients * 2, tally)  # fmt: skip
            found[f"{label} {clients}"] = _line(f"{label}, {clients} client{'s' if clients > 1 else ''}", times, wall, server_cpu(server) - cpu)  # fmt: skip
    fhir, floor = found["FHIR read Patient/<id> 1"], found["bare Django view, same row 1"]
    print(f"# FHIR read / bare view, 1 client: p50 {fhir['p50'] / floor['p50']:.1f}x, CPU {fhir['cpu'] / floor['cpu']:.1f}x")  # fmt: skip
    for label, path in (
        (
            "search Patient?family=<3 letters>&_count=20",
            f"/fhir/r4/Patient?family={facts['family']}&_count=20",
        ),
        ("Patient/<id>/$everything", f"/fhir/r4/Patient/{facts['patient']}/$everything"),
    ):
        times, wall = _load(port, path, facts["manager"], 1, max(repeat // 4, 20), tally)
        _line(f"{label}, 1 client", times, wall)


def _ingest(port: int, facts: dict[str, Any], size: int, per_client: int, tally: Tally) -> None:
    """2 clients post `per_client` Bundles of `size` entries each while a reader reads one patient."""
    bodies = [[json.dumps(bundle(size)).encode() for _ in range(per_client)] for _ in range(2)]
    done = threading.Event()
    took: list[float] = []
    read_times: list[float] = []
    created = Counter[int]()

    def post(mine: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        for body in mine:
            began = time.perf_counter()
            status, answer = _request(conn, "POST", "/fhir/r4/", facts["admin"], body)
            tally.count(status, answer, f"Bundle of {size}")
            with tally.lock:
                took.append(time.perf_counter() - began)
                created[status] += size

    def read() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        path = f"/fhir/r4/Patient/{facts['patient']}"
        while not done.is_set():
            began = time.perf_counter()
            status, body = _request(conn, "GET", path, facts["manager"])
            read_times.append((time.perf_counter() - began) * 1000)
            tally.count(status, body, "read during ingest")

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=post, args=(mine,)) for mine in bodies]
    reader.start()
    began = time.perf_counter()
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    wall = time.perf_counter() - began
    done.set()
    reader.join()
    print(
        f"ingest {2 * per_client} Bundles of {size:,}, 2 clients: {created[200] / wall:7.0f} resources/s "
        f"(bundle p50 {statistics.median(took) * 1000:,.0f} ms, max {max(took) * 1000:,.0f} ms; answers "
        f"{dict(sorted((s, n // size) for s, n in created.items()))}); reader alongside: p50 "
        f"{_p(read_times, 0.5):.1f} p95 {_p(read_times, 0.95):.1f} max {max(read_times):.0f} ms "
        f"({len(read_times)} reads)",
        flush=True,
    )


# --- the Bundles -------------------------------------------------------------------------------------------------
LETTERS = "bcdfghjklmnprstvz"


def _name(number: int) -> str:
    word = ""
    while True:
        number, digit = divmod(number, len(LETTERS))
        word += LETTERS[digit] + "aeiou"[digit % 5]
        if not number:
            return word.capitalize()


def bundle(size: int) -> dict[str, Any]:
    """`size` entries, five per person (Patient, Coverage, RelatedPerson, Condition, Encounter). Each person's
    name, birth date and phone are new (the Patient create refuses probable duplicates)."""
    run = uuid.uuid4().int
    entries: list[dict[str, Any]] = []
    for i in range(size // 5):
        seed = (run + i * 7919) % 10**12
        ref = f"urn:uuid:{uuid.uuid4()}"
        subject = {"reference": ref}

        def entry(resource: dict[str, Any], full_url: str | None = None) -> dict[str, Any]:
            kind = resource["resourceType"]
            return {"fullUrl": full_url or f"urn:uuid:{uuid.uuid4()}", "resource": resource, "request": {"method": "POST", "url": kind}}  # fmt: skip

        entries += [
            entry({"resourceType": "Patient", "identifier": [{"system": "urn:bench:import", "value": f"{run:x}-{i}"}],
                   "name": [{"use": "official", "family": _name(seed), "given": [_name(seed // 7 + 11)]}],
                   "gender": ("female", "male")[i % 2], "birthDate": f"19{30 + seed % 60:02d}-{1 + seed % 12:02d}-{1 + seed % 28:02d}",
                   "telecom": [{"system": "phone", "value": f"({200 + seed % 700}) {seed % 1000:03d}-{seed // 1000 % 10000:04d}"}]}, ref),
            entry({"resourceType": "Coverage", "status": "active", "beneficiary": subject, "subscriberId": f"M{seed}",
                   "type": {"coding": [{"system": "urn:careconductor:coverage-kind", "code": "commercial"}]},
                   "period": {"start": "2024-01-01"}, "payor": [{"display": "Blue Cross"}],
                   "class": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/coverage-class", "code": "plan"}]}, "value": "PPO 500", "name": "PPO 500"}]}),
            entry({"resourceType": "RelatedPerson", "patient": subject,
                   "relationship": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "CHILD"}]}],
                   "name": [{"given": [_name(seed // 3)], "family": _name(seed)}], "telecom": [{"system": "phone", "value": "555-0102"}]}),
            entry({"resourceType": "Condition", "subject": subject, "onsetDateTime": "2020-06-01",
                   "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                   "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "E11.9", "display": "Type 2 diabetes mellitus without complications"}]}}),
            entry({"resourceType": "Encounter", "status": "finished", "subject": subject,
                   "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "EMER"},
                   "period": {"start": "2026-05-01T22:15:00Z", "end": "2026-05-02T03:40:00Z"}, "reasonCode": [{"text": "Fall at home"}]}),
        ]  # fmt: skip
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


# --- the run -----------------------------------------------------------------------------------------------------
def _measure(args: argparse.Namespace, env: dict[str, str], home: str) -> None:
    facts = json.loads(Path(home, "bench-fhir.json").read_text())
    load = os.getloadavg()
    print(
        f"# {facts['vendor']}, {facts['patients']:,} patients; {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average before the run {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; "
        f"gunicorn gthread {args.workers} workers x 4 threads",
        flush=True,
    )
    port = free_port()
    server = _serve(env, port, args.workers)
    tally = Tally()
    try:
        _reads(port, server.pid, facts, args.repeat, tally)
        for size, per_client in ((200, args.bundles), (1000, max(1, args.bundles // 2))):
            _ingest(port, facts, size, per_client, tally)
    finally:
        stop(server)
    print(f"# answers: {dict(sorted(tally.statuses.items()))}; load average after {os.getloadavg()[0]:.1f}")
    if tally.errors:
        print("\n".join(tally.errors[:10]))
        sys.exit(f"{len(tally.errors)} answers were server errors")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=400, help="requests per read measure (default 400)")
    parser.add_argument(
        "--bundles", type=int, default=4, help="200-entry Bundles per import client (default 4)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", metavar="DIR", help="data folder to keep (reused if it holds a demo)")
    parser.add_argument("--profile-ingest", type=int, metavar="N", help="profile one N-entry Bundle instead")
    parser.add_argument("--profile-top", type=int, default=25)
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        _setup(args)
        return
    if args.profile_child:
        _profile(args)
        return
    with _demo.data_folder(args.keep, "bench-fhir.json", "cc-bench-fhir-") as (home, env, reused):
        if not reused:
            subprocess.run([sys.executable, __file__, "--setup", "--patients", str(args.patients), "--seed", str(args.seed)], env=env, check=True)  # fmt: skip
        if args.profile_ingest:
            subprocess.run([sys.executable, __file__, "--profile-child", "--profile-ingest", str(args.profile_ingest), "--profile-top", str(args.profile_top)], env=env, check=True)  # fmt: skip
        else:
            _measure(args, env, home)


if __name__ == "__main__":
    main()
