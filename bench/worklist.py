"""The worklist at scale: a case manager's caseload of 150 in a demo of 100,000 patients.

    CARECONDUCTOR_HOME=/tmp/bench-worklist-home .venv/bin/python bench/worklist.py
    CARECONDUCTOR_HOME=/tmp/bench-worklist-home \\
      DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_worklist .venv/bin/python bench/worklist.py --fresh

SQLite always runs, on the database of the data folder CARECONDUCTOR_HOME (which must be set); PostgreSQL runs
too when DATABASE_URL is set (`--only sqlite|postgresql` picks one). Each backend runs in its own child process.
A database without the demo gets one first (`careconductor demo --patients N`, about 1.5-2 minutes at 100,000
patients); `--fresh` drops and creates the PostgreSQL database first, so its name must contain "bench".

Setup, stated because it changes the data: the measured user (`--user`, default the demo's `casemanager`) is
given a caseload of `--caseload` open cases (default 150) by reassigning active cases of other case managers
of the same team, lowest ids first, with an assignment row each and their open tasks; run again, nothing more
moves. The supervisor measured is the supervisor of that team.

Then, each warmed up once and timed `--repeat` times (default 20), in one process (no network), with the
queries of one run:
  (a) build_worklist(user) alone;
  (b) GET /worklist/ through django.test.Client (middleware, access policy, the audit of every patient shown,
      template rendering);
  (c) coordination.team.team_view(supervisor) alone (the counts per person and the urgent items; it replaced
      build_team_worklist, which built every item of the teams, in issue 18), and GET /worklist/team/ as the
      supervisor.
`--explain` prints the slowest queries of one build_worklist with their plans.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _postgres import recreate_postgres  # bench/ is on sys.path when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}


def _ensure_demo(patients: int) -> float | None:
    """Migrate, and build the demo when the database has none. Returns the build's seconds, or None."""
    from django.core.management import call_command

    from careconductor.accounts.models import Organization
    from careconductor.demo.generator import ORGANIZATION_NAME, build_demo

    call_command("migrate", interactive=False, verbosity=0)
    if Organization.objects.filter(name=ORGANIZATION_NAME).exists():
        return None
    started = time.perf_counter()
    build_demo(patients=patients, out=sys.stderr)
    return time.perf_counter() - started


def _fill_caseload(username: str, size: int) -> dict[str, Any]:
    """Give the user `size` open cases: active cases of colleagues in the same team move to them."""
    from django.db import transaction

    from careconductor.accounts.models import User
    from careconductor.cases.choices import CaseStatus
    from careconductor.cases.models import Case, CaseAssignment
    from careconductor.cases.rules import OPEN_STATUSES
    from careconductor.coordination.models import Task
    from careconductor.core import clock

    user = User.objects.select_related("profile__team").get(username=username)
    team = user.profile.team
    assert team is not None and team.supervisor_id is not None, f"{username} has no team with a supervisor"
    mine = Case.objects.filter(primary_case_manager=user, status__in=OPEN_STATUSES)
    before = mine.count()
    moved: list[tuple[int, int]] = []
    tasks = 0
    if before < size:
        moved = list(
            Case.objects.filter(team=team, status=CaseStatus.ACTIVE, primary_case_manager__isnull=False)
            .exclude(primary_case_manager=user)
            .order_by("pk")
            .values_list("pk", "primary_case_manager_id")[: size - before]
        )
        ids = [pk for pk, _ in moved]
        with transaction.atomic():
            Case.objects.filter(pk__in=ids).update(primary_case_manager=user)
            now = clock.now()
            CaseAssignment.objects.bulk_create(
                CaseAssignment(
                    case_id=pk,
                    case_manager=user,
                    assigned_by_id=team.supervisor_id,
                    assigned_at=now,
                    override_reason="bench/worklist.py: caseload for the benchmark",
                )
                for pk in ids
            )
            tasks = (
                Task.objects.open()
                .filter(case_id__in=ids, owner__isnull=False)
                .exclude(owner=user)
                .update(owner=user)
            )
    return {
        "user": user,
        "supervisor": team.supervisor,
        "team": team.name,
        "caseload_before": before,
        "caseload": mine.count(),
        "moved": len(moved),
        "moved_from": len({m for _, m in moved}),
        "tasks_moved": tasks,
    }


def _login(client: Any, user: Any) -> None:
    """Log in; with a verified second factor when the organisation requires one for the role."""
    client.force_login(user)
    if user.mfa_required:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


def _time(label: str, run: Callable[[], object], repeat: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    print(f"timing {label} ({repeat} times)", file=sys.stderr, flush=True)
    run()  # warm caches
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            run()
        times.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 2 else times[0]
    return {"median": statistics.median(times), "p95": p95, "queries": len(queries)}


def _get(client: Any, url: str) -> Callable[[], object]:
    def run() -> object:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get("Location"))
        return response

    return run


def _explain(user: Any, top: int = 5) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from careconductor.coordination.worklist import build_worklist

    with CaptureQueriesContext(connection) as queries:
        build_worklist(user)
    slowest = sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:top]
    prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    for q in slowest:
        print(f"\n-- {float(q['time']) * 1000:.1f} ms: {q['sql'][:600]}", file=sys.stderr)
        with connection.cursor() as cursor:
            cursor.execute(prefix + q["sql"])
            for row in cursor.fetchall():
                print("   ", " | ".join(str(c) for c in row), file=sys.stderr)


def _database_mb() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            row = cursor.fetchone()
            return (row[0] if row else 0) / 1e6
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the file alone, as after a restart
    name = Path(str(connection.settings_dict["NAME"]))
    return sum(p.stat().st_size for p in name.parent.glob(name.name + "*")) / 1e6


def _child(args: argparse.Namespace) -> None:
    _setup_django()
    from django.db import connection
    from django.test import Client

    from careconductor.cases.models import Case
    from careconductor.coordination.models import Contact, Task
    from careconductor.coordination.team import team_view
    from careconductor.coordination.worklist import build_worklist, team_cases
    from careconductor.patients.models import Patient

    built = _ensure_demo(args.patients)
    setup = _fill_caseload(args.user, args.caseload)
    user, supervisor = setup.pop("user"), setup.pop("supervisor")
    mine = build_worklist(user)
    team = team_view(supervisor)
    kinds = Counter(f"{i.kind}{' overdue' if i.overdue else ''}" for i in mine.items)
    result: dict[str, Any] = {
        "backend": connection.vendor,
        "patients": Patient.objects.count(),
        "cases": Case.objects.count(),
        "contacts": Contact.objects.count(),
        "tasks": Task.objects.count(),
        "db_mb": round(_database_mb(), 1),
        "built_s": round(built, 1) if built is not None else None,
        **setup,
        "items": len(mine.items),
        "kinds": dict(sorted(kinds.items())),
        "team_cases": team_cases(supervisor).count(),
        "team_people": len(team.rows),
        "measures": {},
    }
    if args.explain:
        _explain(user)
    cm, sv = Client(), Client()
    _login(cm, user)
    _login(sv, supervisor)
    team_repeat = args.team_repeat or args.repeat
    runs: dict[str, tuple[Callable[[], object], int]] = {
        "build_worklist (case manager)": (lambda: build_worklist(user), args.repeat),
        "GET /worklist/ (case manager)": (_get(cm, "/worklist/"), args.repeat),
        "team_view (supervisor)": (lambda: team_view(supervisor), team_repeat),
        "GET /worklist/team/ (supervisor)": (_get(sv, "/worklist/team/"), team_repeat),
    }
    result["measures"] = {label: _time(label, run, n) | {"n": n} for label, (run, n) in runs.items()}
    print(json.dumps(result, default=str))


def _run(args: argparse.Namespace, database_url: str | None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "careconductor.settings"
    if database_url:
        env["DATABASE_URL"] = database_url
        if args.fresh:
            recreate_postgres(database_url)
    command = [sys.executable, __file__, "--child", "--repeat", str(args.repeat), "--user", args.user]
    command += ["--team-repeat", str(args.team_repeat)]
    command += ["--caseload", str(args.caseload), "--patients", str(args.patients)]
    command += ["--explain"] if args.explain else []
    done = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--team-repeat", type=int, default=0, help="repeats of the supervisor's measures (default --repeat)"
    )
    parser.add_argument("--caseload", type=int, default=150, help="open cases of the measured user")
    parser.add_argument("--user", default="casemanager")
    parser.add_argument("--patients", type=int, default=100_000, help="size of the demo built when none")
    parser.add_argument("--fresh", action="store_true", help="drop and create the PostgreSQL database first")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--explain", action="store_true", help="plans of the slowest worklist queries")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if not os.environ.get("CARECONDUCTOR_HOME"):
        sys.exit("Set CARECONDUCTOR_HOME to the data folder (its SQLite database holds or gets the demo).")
    targets: list[str | None] = []
    if args.only != "postgresql":
        targets.append(None)
    if args.only != "sqlite" and os.environ.get("DATABASE_URL"):
        targets.append(os.environ["DATABASE_URL"])
    load = os.getloadavg()
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")  # fmt: skip
    for url in targets:
        r = _run(args, url)
        built = f", demo built in {r['built_s']} s" if r["built_s"] else ""
        print(
            f"\n{r['backend']}: {r['patients']:,} patients, {r['cases']:,} cases, {r['contacts']:,} contacts, "
            f"{r['tasks']:,} tasks, {r['db_mb']} MB{built}"
        )
        print(
            f"{args.user} ({r['team']}): caseload {r['caseload']} open cases ({r['caseload_before']} before, "
            f"{r['moved']} moved from {r['moved_from']} colleagues with {r['tasks_moved']} open tasks); "
            f"{r['items']} work items: {', '.join(f'{k} {v}' for k, v in r['kinds'].items())}"
        )
        print(f"supervisor's teams: {r['team_cases']:,} open cases, {r['team_people']:,} people")
        print(f"{'measure':36} {'runs':>5} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
        for label, m in r["measures"].items():
            print(f"{label:36} {m['n']:5d} {m['median']:10.1f} {m['p95']:8.1f} {m['queries']:8d}", flush=True)
    print(f"# load after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
