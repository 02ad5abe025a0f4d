"""Time the demo generator (`careconductor demo`) on a fresh database for each size.

    .venv/bin/python bench/demo_timing.py 10000 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_demo .venv/bin/python bench/demo_timing.py 10000 100000

Every run happens in a child process with a new, empty CARECONDUCTOR_HOME, so the settings, the secret key and
the SQLite file are fresh; migrations are applied first and not timed. SQLite always runs; PostgreSQL runs too
when DATABASE_URL is set, and the database it names is dropped and created again before each run (and dropped
after it) - which is why its name must contain "bench". Prints seconds, patients per second, rows per second,
the database size and the child's peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _postgres import recreate_postgres  # bench/ is on sys.path when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent


def _child(patients: int, seed: int) -> None:
    """Runs inside the child process: migrate, then build the demo and report as one JSON line."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from careconductor.demo.generator import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    rows = build_demo(patients=patients, seed=seed, out=sys.stderr)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            row = cursor.fetchone()
            size = row[0] if row else 0
        else:
            name = Path(str(connection.settings_dict["NAME"]))
            size = sum(p.stat().st_size for p in name.parent.glob(name.name + "*"))
    result = {
        "backend": connection.vendor,
        "patients": patients,
        "seconds": round(seconds, 2),
        "rows": sum(rows.values()),
        "db_mb": round(size / 1e6, 1),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(result))


def _run(patients: int, seed: int, database_url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="cc-bench-demo-") as home:
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env |= {"CARECONDUCTOR_HOME": home, "DJANGO_SETTINGS_MODULE": "careconductor.settings"}
        if database_url:
            env["DATABASE_URL"] = database_url
            recreate_postgres(database_url)
        try:
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(patients), "--seed", str(seed)],
                env=env,
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
        finally:
            if database_url:
                recreate_postgres(database_url, drop_only=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000], help="patients per run")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.seed)
        return
    targets: list[str | None] = [None]
    if os.environ.get("DATABASE_URL"):
        targets.append(os.environ["DATABASE_URL"])
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"{'backend':<10} {'patients':>9} {'seconds':>8} {'patients/s':>11} {'rows':>10} {'rows/s':>8} "
          f"{'db MB':>7} {'peak MB':>8}")  # fmt: skip
    for url in targets:
        for size in args.sizes:
            r = _run(size, args.seed, url)
            seconds, rows = float(str(r["seconds"])), int(str(r["rows"]))
            print(
                f"{r['backend']!s:<10} {size:>9,} {seconds:>8.1f} {size / seconds:>11,.0f} {rows:>10,} "
                f"{rows / seconds:>8,.0f} {r['db_mb']!s:>7} {r['peak_mb']!s:>8}",
                flush=True,
            )


if __name__ == "__main__":
    main()
