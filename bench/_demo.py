"""Shared by the benchmarks that build their data in a child process: the data folder (and PostgreSQL database)
of a run, and in the child, Django on it with the migrations and the demo at the size asked for."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from _postgres import recreate_postgres

ROOT = Path(__file__).resolve().parent.parent


def build(patients: int, seed: int) -> None:
    """Set Django up (DEBUG must be off), apply the migrations and build the demo unless the database has one;
    the build's time is printed."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from careconductor.demo.generator import build_demo

    assert not settings.DEBUG, "run the benchmark with DEBUG off (unset CARECONDUCTOR_DEBUG)"
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    rows = build_demo(patients=patients, seed=seed, out=sys.stderr)
    if rows:
        print(
            f"# demo built in {time.perf_counter() - started:.1f} s ({sum(rows.values()):,} rows)", flush=True
        )


@contextmanager
def data_folder(keep: str | None, facts: str, prefix: str) -> Iterator[tuple[str, dict[str, str], bool]]:
    """The data folder of a run and the environment of its children: `keep` (made if missing, reused when it
    holds the file `facts` a setup wrote) or a temporary folder; DEBUG off; with DATABASE_URL set, that
    PostgreSQL database is dropped and created again unless reused, and dropped after unless kept (so its name
    must contain "bench"). Yields (folder, environment, reused)."""
    database_url = os.environ.get("DATABASE_URL")
    reuse = bool(keep and Path(keep, facts).exists())
    with tempfile.TemporaryDirectory(prefix=prefix) as scratch:
        home = keep or scratch
        Path(home).mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CARECONDUCTOR_DEBUG")}
        env |= {"CARECONDUCTOR_HOME": home, "DJANGO_SETTINGS_MODULE": "careconductor.settings"}
        if database_url:
            env["DATABASE_URL"] = database_url
            if not reuse:
                recreate_postgres(database_url)
        try:
            yield home, env, reuse
        finally:
            if database_url and not keep:
                recreate_postgres(database_url, drop_only=True)
