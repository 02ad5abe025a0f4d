"""A load test with locust (issue 23): a mixed day of work by 50 people at once, served as in production.

    .venv/bin/python bench/load.py --patients 10000 --users 50 --duration 60s
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_load .venv/bin/python bench/load.py --patients 10000

Needs locust (`pip install -e ".[bench]"`, pinned in pyproject.toml). A child process with a new, empty
CARECONDUCTOR_HOME (DEBUG off) applies the migrations and builds the demo at the size given (not timed here);
with DATABASE_URL set, the PostgreSQL database it names is dropped and created again first and dropped after,
so its name must contain "bench". The child then writes the facts the simulated people need
(bench-load.json): the log-ins of the demo's case managers with active cases, each one's active cases (up to
20) and a `user/*.*` bearer token, and `--portal` portal log-ins it makes for patients of theirs through the
invitation actions (the demo has one). `--keep DIR` keeps the data folder (and the database) for another run,
which then skips all that.

The application is then served by `careconductor serve --workers N` (gunicorn, gthread, N workers x 4 threads,
its access log, and the background worker it starts for the queue in the data folder), on loopback, and locust
runs headless on the same machine (bench/locustfile.py says what each simulated person does):

    locust -f bench/locustfile.py --headless -u USERS -r SPAWN-RATE -t DURATION --csv ... --only-summary

Printed: per request kind, the number of requests, failures (%), p50 / p95 / p99 / max in ms and requests/s
(exact, from every request's time; locust's own figures round), and p50 / p95 again without the requests
that started before the last log-in was answered (all 50 log in within the first seconds, Argon2 included);
every failure with its count (locust's list); the CPU seconds used by the server (gunicorn and the background worker; PostgreSQL's own not counted)
and by locust; how busy the machine's cores were over the run (everyone's work, not only this test's); the load
average before and after; and whether the target of issue 23 was met: p95 of the worklist and of the chart
under 500 ms (set for PostgreSQL with 4 workers). Exits 1 when any request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import _demo  # bench/ is on sys.path when a benchmark runs
from _server import free_port, server_cpu, start, stop

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
FACTS = "bench-load.json"
TARGET_MS = 500
TARGET_PAGES = ("worklist", "chart")
ORDER = (
    "log-in form",
    "log in (POST)",
    "worklist",
    "chart",
    "log contact form",
    "log contact (POST)",
    "FHIR read Patient/<id>",
    "FHIR search Observation?patient",
    "FHIR create Observation",
    "portal home",
    "portal blood pressure form",
    "portal blood pressure (POST)",
    "portal readings",
)


# --- the child: demo, log-ins, tokens ----------------------------------------------------------------------------
def _setup(args: argparse.Namespace) -> None:
    _demo.build(args.patients, args.seed)
    from django.db import connection

    from careconductor.accounts.actions import do_create_token
    from careconductor.accounts.choices import Role
    from careconductor.accounts.models import User
    from careconductor.cases.models import Case
    from careconductor.coordination.models import Contact
    from careconductor.demo.staff import PASSWORD
    from careconductor.engagement.actions import do_accept_invitation, do_invite_patient
    from careconductor.patients.models import Patient

    staff = []
    for user in User.objects.filter(role=Role.CASE_MANAGER, is_active=True).order_by("pk"):
        cases = list(
            Case.objects.filter(primary_case_manager=user, status="active")
            .order_by("pk")
            .values_list("patient_id", "pk")[:20]
        )
        if not cases or not user.has_usable_password():
            continue
        assert not user.mfa_required, f"{user.username} would need a second factor"
        token = do_create_token(user, name="bench load", scopes=("user/*.*",))[1]
        staff.append({"username": user.username, "cases": cases, "token": token})
    portal = list(User.objects.filter(role=Role.PATIENT, patient_record__isnull=False).values_list("username", flat=True))  # fmt: skip
    for number, person in enumerate(staff[: max(0, args.portal - len(portal))], start=1):
        manager = User.objects.get(username=person["username"])
        patient = next(
            p
            for p in Patient.objects.filter(pk__in=[c[0] for c in person["cases"]], portal_user__isnull=True)
            if p.deceased_date is None
        )
        invitation = do_invite_patient(manager, patient)
        username = f"bench-portal-{number}"
        do_accept_invitation(invitation.secret, username=username, password=PASSWORD, birth_date=patient.birth_date)  # fmt: skip
        portal.append(username)
    facts = {
        "vendor": connection.vendor,
        "patients": Patient.objects.count(),
        "cases": Case.objects.count(),
        "active_cases": Case.objects.filter(status="active").count(),
        "contacts": Contact.objects.count(),
        "case_managers": User.objects.filter(role=Role.CASE_MANAGER).count(),
        "password": PASSWORD,
        "staff": staff,
        "portal": portal,
    }
    Path(os.environ["CARECONDUCTOR_HOME"], FACTS).write_text(json.dumps(facts))


# --- the run -----------------------------------------------------------------------------------------------------
def _busy() -> tuple[int, int]:
    """The machine's (busy, total) clock ticks since boot, all cores."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _p(times: list[float], q: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _report(prefix: str, wall: float) -> tuple[dict[str, tuple[float, float]], int]:
    """Print the figures per request kind, from every request's time (`prefix`_times.tsv), and locust's list of
    failures. *after log-ins* leaves out the requests that started before the last log-in was answered (the
    50 log-ins of the first seconds, ~0.2 s of CPU each for Argon2, queue everything behind them). Returns
    each kind's p95 (whole run, after log-ins) and the number of failed requests."""
    runs: dict[str, list[tuple[float, float, int]]] = defaultdict(list)
    with open(f"{prefix}_times.tsv") as f:
        for line in f:
            start, name, ms, failed = line.rstrip("\n").split("\t")
            runs[name].append((float(start), float(ms), int(failed)))
    logged_in = max((start + ms / 1000 for start, ms, _ in runs.get("log in (POST)", [])), default=0.0)
    first = min(start for kind in runs.values() for start, _, _ in kind)
    runs["all requests"] = [run for kind in list(runs.values()) for run in kind]
    names = (
        [n for n in ORDER if n in runs] + sorted(set(runs) - set(ORDER) - {"all requests"}) + ["all requests"]
    )
    print(f"# after log-ins: from {logged_in - first:.1f} s into the run (the last log-in's answer)")
    print(f"{'request':34} {'count':>7} {'failed':>6} {'error %':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} {'req/s':>6} {'p50 / p95 after log-ins':>24}")  # fmt: skip
    p95s: dict[str, tuple[float, float]] = {}
    for name in names:
        times = [ms for _, ms, _ in runs[name]]
        later = [ms for start, ms, _ in runs[name] if start >= logged_in]
        failed = sum(f for _, _, f in runs[name])
        p95s[name] = (_p(times, 0.95), _p(later, 0.95))
        after = f"{_p(later, 0.5):,.0f} / {_p(later, 0.95):,.0f}" if later else "-"
        print(
            f"{name:34} {len(times):7,} {failed:6,} {100 * failed / len(times):7.2f} {_p(times, 0.5):6,.0f} "
            f"{_p(times, 0.95):6,.0f} {_p(times, 0.99):6,.0f} {max(times):6,.0f} {len(times) / wall:6.1f} {after:>24}"
        )
    with open(f"{prefix}_failures.csv", newline="") as f:
        for failure in csv.DictReader(f):
            print(f"  failed {failure['Occurrences']}x {failure['Method']} {failure['Name']}: {failure['Error'][:300]}")  # fmt: skip
    return p95s, sum(f for _, _, f in runs["all requests"])


def _locust(
    args: argparse.Namespace, env: dict[str, str], home: str, port: int, duration: str, prefix: str
) -> None:
    """locust headless for `duration`, its files at `prefix`; its own output goes to locust.log."""
    Path(f"{prefix}_times.tsv").unlink(missing_ok=True)
    with open(Path(home, "locust.log"), "a") as log:
        done = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(BENCH / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", duration,
             "--host", f"http://127.0.0.1:{port}", "--csv", prefix, "--only-summary"],
            env={**env, "LOAD_FACTS": str(Path(home, FACTS)), "LOAD_THINK": args.think, "LOAD_TIMES": f"{prefix}_times.tsv"},
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    if done.returncode not in (0, 1):  # 1: some requests failed, which the report shows
        sys.exit(f"locust stopped with {done.returncode}: see {log.name}")


def _measure(args: argparse.Namespace, env: dict[str, str], home: str) -> int:
    facts = json.loads(Path(home, FACTS).read_text())
    load = os.getloadavg()
    print(
        f"# {facts['vendor']}: {facts['patients']:,} patients, {facts['cases']:,} cases ({facts['active_cases']:,} "
        f"active), {facts['contacts']:,} contacts, {facts['case_managers']} case managers ({len(facts['staff'])} "
        f"with log-ins used), {len(facts['portal'])} portal log-ins\n"
        f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; load average "
        f"before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}\n"
        f"# careconductor serve --workers {args.workers} (gthread, 4 threads each); locust -u {args.users} "
        f"-r {args.spawn_rate} -t {args.duration}, think time {args.think} s, after a warm-up run of {args.warm_up}",
        flush=True,
    )
    port = free_port()
    log = open(Path(home, "serve.log"), "ab")  # noqa: SIM115 (the server's access log, for the whole run)
    server = start(
        [sys.executable, "-m", "careconductor", "serve", "--port", str(port), "--workers", str(args.workers)],
        {**env, "PYTHONPATH": str(ROOT)},
        port,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    prefix = str(Path(home, "locust"))
    try:
        if args.warm_up not in ("", "0"):
            _locust(args, env, home, port, args.warm_up, str(Path(home, "warm-up")))
        cpu, children, busy = server_cpu(server.pid), _children_cpu(), _busy()
        began = time.monotonic()
        _locust(args, env, home, port, args.duration, prefix)
        wall = time.monotonic() - began
        server_s, locust_s = server_cpu(server.pid) - cpu, _children_cpu() - children
        after = _busy()
    finally:
        stop(server)
        log.close()
    p95s, failed = _report(prefix, wall)
    busy_share = (after[0] - busy[0]) / max(after[1] - busy[1], 1)
    print(
        f"# CPU over the run ({wall:.0f} s): server {server_s:.0f} s ({server_s / wall:.2f} cores; PostgreSQL's "
        f"own not counted), locust {locust_s:.0f} s ({locust_s / wall:.2f} cores); the machine's {os.cpu_count()} "
        f"cores {100 * busy_share:.0f}% busy (everyone's work); load average after "
        + " ".join(f"{x:.2f}" for x in os.getloadavg())
    )
    verdicts = []
    for page in TARGET_PAGES:
        whole, later = p95s.get(page, (float("nan"), float("nan")))
        met = "met" if max(whole, later) < TARGET_MS else "NOT met"
        verdicts.append(f"{page} p95 {whole:,.0f} ms ({later:,.0f} after log-ins): {met}")
    print(f"# target p95 < {TARGET_MS} ms: " + "; ".join(verdicts))
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50, help="simulated people at once (default 50)")
    parser.add_argument("--spawn-rate", type=float, default=10, help="people started per second (default 10)")
    parser.add_argument("--duration", default="60s", help="locust's run time, e.g. 60s or 5m (default 60s)")
    parser.add_argument(
        "--think", default="1,5", help="think time between tasks: MIN,MAX seconds (default 1,5)"
    )
    parser.add_argument(
        "--warm-up", default="15s", help="a locust run first, not counted (default 15s; 0 for none)"
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--portal", type=int, default=10, help="portal log-ins to use (default 10)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", metavar="DIR", help="data folder to keep (reused if it holds the facts)")
    parser.add_argument("--setup", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        _setup(args)
        return
    with _demo.data_folder(args.keep, FACTS, "cc-bench-load-") as (home, env, reused):
        if not reused:
            subprocess.run([sys.executable, __file__, "--setup", "--patients", str(args.patients), "--seed", str(args.seed), "--portal", str(args.portal)], env=env, check=True)  # fmt: skip
        failed = _measure(args, env, home)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
