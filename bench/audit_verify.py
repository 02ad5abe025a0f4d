"""Time `careconductor audit verify` (`careconductor.privacy.chain.verify`) on a chain of N audit events.

    .venv/bin/python bench/audit_verify.py 100000 1000000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_audit .venv/bin/python bench/audit_verify.py 100000 1000000

For each size, in a new, empty CARECONDUCTOR_HOME (and, when DATABASE_URL is set, also in the PostgreSQL
database it names, dropped and created again first and dropped after - which is why its name must contain
"bench"), three child processes run one after the other:

1. build: apply migrations, insert one organisation, 300 staff users and 5,000 patients (so every user and
   patient id is a real row: SQLite enforces foreign keys), then N audit events generated through
   `chain.append` in batches of 10,000, so the hashes and the chain head are the real ones. Its time is
   printed as "gen" and is not the figure this benchmark is about.
2. verify: `chain.verify()` timed alone, in a fresh process, so its peak memory (ru_maxrss) belongs to that
   step only; "base MB" is the same process's peak just before the call (Django loaded, connection open).
   Repeated --repeat times (3), each in its own process: the fastest time and the highest peak are shown.
3. the real command, `careconductor audit verify`, whose printed line is shown as it is.

Prints events, seconds, events per second, microseconds per event (flat when time is linear in N), the verify
process's own CPU time per event (user + system; steadier than wall time on a shared machine, and on PostgreSQL
it leaves out the server's work) and peak memory (flat when verification streams).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from _postgres import recreate_postgres  # bench/ is on sys.path when a benchmark runs

if TYPE_CHECKING:
    from careconductor.privacy.models import AuditEvent

ROOT = Path(__file__).resolve().parent.parent
BATCH = 10_000
USERS = 300
PATIENTS = 5_000

# (action, weight, on a patient?, object types) - a case-management day: mostly chart reads.
ACTIONS = [
    ("read", 70, True, ("Patient", "Case", "Encounter", "Condition", "CarePlan")),
    ("update", 10, True, ("Case", "Patient", "CarePlan", "Encounter")),
    ("create", 8, True, ("Encounter", "Case", "Condition", "Consent")),
    ("login", 5, False, ("",)),
    ("logout", 4, False, ("",)),
    ("login_failed", 1, False, ("",)),
    ("export", 1, True, ("Patient",)),
    ("print", 0.5, True, ("CarePlan",)),
    ("refused", 0.5, True, ("Patient",)),
]
AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "careconductor-cli",
]


def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django

    django.setup()


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _seed_people(rng: random.Random) -> tuple[list[tuple[int, str, str, int]], list[int]]:
    """One organisation, USERS staff users (id, username, role, org id) and PATIENTS patients (ids)."""
    from careconductor.accounts.choices import Role
    from careconductor.accounts.models import Organization, User
    from careconductor.patients.choices import Sex
    from careconductor.patients.models import Patient

    org = Organization.objects.create(name="Bench Health")
    roles = [Role.CASE_MANAGER] * 8 + [Role.CARE_TEAM] * 4 + [Role.SUPERVISOR, Role.UM_REVIEWER]
    User.objects.bulk_create(
        User(username=f"staff{i:04d}", password="!bench", role=rng.choice(roles), organization=org)
        for i in range(USERS)
    )
    Patient.objects.bulk_create(
        (
            Patient(
                organization=org,
                given_name=f"Given{i}",
                family_name=f"Family{i}",
                birth_date=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(30_000)),
                sex=rng.choice([Sex.FEMALE, Sex.MALE]),
            )
            for i in range(PATIENTS)
        ),
        batch_size=1_000,
    )
    users = list(User.objects.values_list("id", "username", "role", "organization_id"))
    return users, list(Patient.objects.values_list("id", flat=True))


def _events(
    n: int, seed: int, users: list[tuple[int, str, str, int]], patients: list[int]
) -> Iterator[AuditEvent]:
    """Yield N unsaved AuditEvents, one year of activity in time order."""
    from careconductor.privacy.audit import _address
    from careconductor.privacy.models import AuditEvent

    rng = random.Random(seed)
    weights = [a[1] for a in ACTIONS]
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    step = 365 * 86_400 / n
    addresses = [f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}" for _ in range(400)]
    addresses += ["2001:db8:0:0:0:0:0:1", "2001:DB8::a:1", "fd00::42"]
    for i in range(n):
        action, _, on_patient, types = rng.choices(ACTIONS, weights)[0]
        user_id, username, role, org_id = rng.choice(users)
        failed = action == "login_failed"
        patient = rng.choice(patients) if on_patient else None
        object_type = rng.choice(types)
        object_id = "" if patient is None else str(patient) if object_type == "Patient" else str(i + 1)
        yield AuditEvent(
            recorded_at=start + dt.timedelta(seconds=i * step + rng.random() * step),
            user_id=None if failed else user_id,
            username=username if rng.random() > 0.3 or not failed else f"{username}x",
            role="" if failed else role,
            organization_id_value=None if failed else org_id,
            patient_id=patient,
            action=action,
            object_type=object_type,
            object_id=object_id,
            purpose="OPERATIONS" if action in ("export", "print") else "TREAT",
            client_address=_address(rng.choice(addresses)),
            user_agent=rng.choice(AGENTS),
            outcome="4" if action in ("login_failed", "refused") else "0",
            detail={"login_failed": "bad password", "refused": "no relationship"}.get(action, ""),
        )


def _child_build(n: int, seed: int) -> None:
    _setup()
    from django.core.management import call_command
    from django.db import connection

    from careconductor.privacy import chain

    call_command("migrate", interactive=False, verbosity=0)
    users, patients = _seed_people(random.Random(seed))
    events = _events(n, seed, users, patients)
    started = time.perf_counter()
    done = 0
    while done < n:
        batch = [next(events) for _ in range(min(BATCH, n - done))]
        chain.append(batch)
        done += len(batch)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
            cursor.execute("SELECT pg_database_size(current_database())")
            row = cursor.fetchone()
            size = row[0] if row else 0
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            name = Path(str(connection.settings_dict["NAME"]))
            size = sum(p.stat().st_size for p in name.parent.glob(name.name + "*"))
    print(json.dumps({"events": done, "gen_seconds": round(seconds, 2), "db_mb": round(size / 1e6, 1)}))


def _child_verify() -> None:
    _setup()
    from django.db import connection

    from careconductor.privacy import chain
    from careconductor.privacy.models import AuditChainHead

    AuditChainHead.objects.filter(pk=1).exists()  # open the connection before the baseline
    base = _peak_mb()
    cpu_started, started = _cpu_seconds(), time.perf_counter()
    result = chain.verify()
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    result_json = {
        "backend": connection.vendor,
        "checked": result.checked,
        "ok": result.ok,
        "problem": result.problem,
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu, 3),
        "base_mb": base,
        "peak_mb": _peak_mb(),
    }
    print(json.dumps(result_json))


def _last_json(args: list[str], env: dict[str, str]) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, __file__, *args], env=env, stdout=subprocess.PIPE, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _run(n: int, seed: int, repeat: int, database_url: str | None) -> tuple[dict[str, object], str]:
    with tempfile.TemporaryDirectory(prefix="cc-bench-audit-") as home:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env |= {"CARECONDUCTOR_HOME": home, "DJANGO_SETTINGS_MODULE": "careconductor.settings"}
        if database_url:
            env["DATABASE_URL"] = database_url
            recreate_postgres(database_url)
        try:
            built = _last_json(["--build", str(n), "--seed", str(seed)], env)
            runs = [_last_json(["--verify"], env) for _ in range(repeat)]
            verified = min(runs, key=lambda v: float(str(v["seconds"])))
            verified["cpu_seconds"] = min(float(str(v["cpu_seconds"])) for v in runs)
            verified["peak_mb"] = max(float(str(v["peak_mb"])) for v in runs)
            command = subprocess.run(
                [str(Path(sys.executable).parent / "careconductor"), "audit", "verify"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
            )
        finally:
            if database_url:
                recreate_postgres(database_url, drop_only=True)
    if not verified["ok"] or verified["checked"] != n:
        sys.exit(f"verify did not pass on a fresh chain: {verified}")
    return built | verified, f"$ careconductor audit verify  ->  {command.stdout.strip()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[1_000_000], help="audit events per run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=3, help="verify runs per size; the fastest is shown")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--verify", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        _child_build(args.build, args.seed)
        return
    if args.verify:
        _child_verify()
        return
    targets: list[str | None] = [None]
    if os.environ.get("DATABASE_URL"):
        targets.append(os.environ["DATABASE_URL"])
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'backend':<10} {'events':>10} {'gen s':>7} {'gen ev/s':>9} {'verify s':>9} {'events/s':>9} "
          f"{'us/event':>9} {'cpu us/ev':>10} {'base MB':>8} {'peak MB':>8} {'db MB':>7}")  # fmt: skip
    commands = []
    for url in targets:
        for size in args.sizes:
            r, command = _run(size, args.seed, args.repeat, url)
            gen, seconds = float(str(r["gen_seconds"])), float(str(r["seconds"]))
            cpu = float(str(r["cpu_seconds"]))
            print(
                f"{r['backend']!s:<10} {size:>10,} {gen:>7.1f} {size / gen:>9,.0f} {seconds:>9.2f} "
                f"{size / seconds:>9,.0f} {seconds / size * 1e6:>9.2f} {cpu / size * 1e6:>10.2f} {r['base_mb']!s:>8} "
                f"{r['peak_mb']!s:>8} {r['db_mb']!s:>7}",
                flush=True,
            )
            commands.append(f"{r['backend']!s:<10} {size:>10,}  {command}")
    print("\n".join(commands))


if __name__ == "__main__":
    main()
