"""Query rows as Polars frames, for population health's batch work (stratify.py, registry_actions.py): through
the request's own database connection, so a batch sees what its transaction sees, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

import polars as pl
from django.db import connection

FETCH = 100_000


def frame_of(sql: str, params: list[Any], schema: dict[str, Any]) -> pl.DataFrame:
    """The rows of a query as a frame, fetched in chunks."""
    chunks = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(FETCH):
            chunks.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return pl.concat(chunks) if chunks else pl.DataFrame(schema=schema)
