"""Population health at a plan's scale (issue 22): the import of FHIR Bulk Data NDJSON files, in resources per
second, and the risk stratification of every member, in seconds.

    CARECONDUCTOR_HOME=/tmp/bench-population .venv/bin/python bench/population.py --members 100000 --fresh
    CARECONDUCTOR_HOME=/tmp/bench-population-pg DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_population \\
      .venv/bin/python bench/population.py --members 100000 --fresh

`--fresh` starts from an empty database (the data folder's SQLite file is removed; the PostgreSQL database, whose
name must contain "bench", is dropped and created). A small demo (200 patients) gives the organisation and its
administrator. The synthetic population (careconductor/population/synthetic.py: members with their coverage, 0-8
chronic conditions and 1-6 encounters each) is written as one NDJSON file per type, then imported through
population.importing.do_import_files, as `careconductor import` does, and timed; then imported again (nothing to
write: every row is found kept) and timed. Without `--fresh`, a database that holds the members already skips the
import. Then population.stratify.do_stratify (the whole organisation: the members and the demo's patients) runs
`--repeat` times (default 3), timed: each run writes only the members whose facts changed (`--rewrite` removes the
results first, so every member is written, as at the first run). `--ndjson FOLDER` imports a folder an earlier run
wrote (its path is printed) instead of writing a new one. Prints the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _postgres import recreate_postgres  # bench/ is on sys.path when a benchmark runs

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--repeat", type=int, default=3, help="stratification runs")
    parser.add_argument(
        "--rewrite",
        action="store_true",
        help="remove the results before each stratification, so every member is written (the first run's cost); "
        "without it a run writes only the members whose facts changed since the last (the nightly cost)",
    )
    parser.add_argument(
        "--ndjson",
        type=Path,
        help="import this folder (written by an earlier run, same --members) instead of writing one",
    )
    args = parser.parse_args()
    home = Path(os.environ.get("CARECONDUCTOR_HOME", tempfile.mkdtemp(prefix="bench-population-")))
    os.environ["CARECONDUCTOR_HOME"] = str(home)
    if args.fresh:
        if url := os.environ.get("DATABASE_URL"):
            recreate_postgres(url)
        else:
            for name in ("careconductor.sqlite3", "careconductor.sqlite3-wal", "careconductor.sqlite3-shm"):
                (home / name).unlink(missing_ok=True)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careconductor.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from careconductor.accounts.choices import Role
    from careconductor.accounts.models import Organization, User
    from careconductor.demo.generator import ORGANIZATION_NAME, build_demo
    from careconductor.patients.models import PatientIdentifier
    from careconductor.population.importing import SOURCE_SYSTEM
    from careconductor.population.models import MemberRisk
    from careconductor.population.stratify import do_stratify

    call_command("migrate", interactive=False, verbosity=0)
    if not Organization.objects.filter(name=ORGANIZATION_NAME).exists():
        build_demo(patients=200, out=sys.stderr)
    admin = User.objects.filter(role=Role.ADMIN, organization__name=ORGANIZATION_NAME).order_by("pk").first()
    assert admin is not None, "the demo's administrator is missing"

    figures: dict[str, Any] = {}
    if PatientIdentifier.objects.filter(system=SOURCE_SYSTEM + "bench").count() < args.members:
        figures.update(_import(args, admin))
    runs, changed = [], []
    for _ in range(args.repeat):
        if args.rewrite:
            MemberRisk.objects.filter(organization_id=admin.organization_id).delete()
        started = time.perf_counter()
        run = do_stratify(admin)
        runs.append(time.perf_counter() - started)
        changed.append(run.changed)
    figures["stratified_members"] = run.members
    figures["stratify_s"] = [round(r, 1) for r in runs]
    figures["written"] = changed
    figures["tiers"] = run.tiers
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                "load_average_after": os.getloadavg(),
                "members": args.members,
                **figures,
            },
            indent=2,
        )
    )


def _import(args: argparse.Namespace, admin: Any) -> dict[str, Any]:
    """Write the population as NDJSON and import it twice (the second time nothing is written)."""
    from careconductor.core import clock
    from careconductor.population import synthetic
    from careconductor.population.importing import do_import_files

    started = time.perf_counter()
    counts = {}
    if args.ndjson:
        folder = args.ndjson
        for path in sorted(folder.glob("*.ndjson")):
            with path.open(encoding="utf-8") as lines:
                counts[path.stem] = sum(1 for _ in lines)
    else:
        folder = Path(tempfile.mkdtemp(prefix="population-ndjson-"))
        for kind, lines in synthetic.population(args.seed, args.members, today=clock.today()).items():
            with (folder / f"{kind}.ndjson").open("w", encoding="utf-8") as out:
                counts[kind] = 0
                for line in lines:
                    out.write(line + "\n")
                    counts[kind] += 1
    written_s = time.perf_counter() - started
    resources = sum(counts.values())

    started = time.perf_counter()
    first = do_import_files(admin, [folder], source="bench")
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    again = do_import_files(admin, [folder], source="bench")
    again_s = time.perf_counter() - started
    assert all(r.imported for r in first), [r for r in first if not r.imported]
    assert sum(r.new for r in again) == 0
    return {
        "resources": counts,
        "resources_total": resources,
        "ndjson_folder": str(folder),
        "ndjson_written_s": round(written_s, 1),
        "import_s": round(first_s, 1),
        "import_resources_per_s": round(resources / first_s),
        "again_s": round(again_s, 1),
        "again_resources_per_s": round(resources / again_s),
    }


if __name__ == "__main__":
    main()
