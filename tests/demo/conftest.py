"""The demo, built once for all of this package's modules (tests that read what `careconductor demo` makes).

Building it costs 10-20 s here; once per module it was a twelfth of the suite's database tests. One transaction
holds it for the package; each module's own data (module_db) and each test run in savepoints inside it and are
rolled back, so no module sees another's changes. Tests of the demo command on an empty database live in
tests/demo_command/, outside this package."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from careconductor.demo.generator import build_demo

from ..conftest import DEMO_PATIENTS
from ..shared import module_transaction


@pytest.fixture(scope="package")
def shared_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    with module_transaction(django_db_blocker, enabled=True) as package_db:
        out = io.StringIO()
        package_db.build(build_demo, patients=DEMO_PATIENTS, seed=7, out=out)
        yield out.getvalue()
