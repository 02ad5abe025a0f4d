"""Fast inserts, for the demo generator and bulk imports (population/importing.py).

`bulk_create` runs every value of every row through the field's preparation chain and compiles a new
statement per batch; at 100,000 patients (about 1.5 million rows) that was two thirds of the run. A `Table`
fixes its columns once, passes values through the backend's adapter only where the driver needs one (dates
and times on SQLite, JSON), fills the columns it is not given with the field defaults (timestamps: the time
of the run), and hands each chunk to `executemany` (SQLite) or `COPY` (PostgreSQL). Rows that other rows
point at get ids reserved up front.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.backends.utils import CursorWrapper

Adapter = Callable[[Any], Any]


def _column(field: models.Field[Any, Any]) -> str:
    if field.column is None:
        raise TypeError(f"{field} has no column")
    return field.column


def _sqlite_datetime(value: dt.datetime, zone: dt.tzinfo) -> str:
    """What SQLite's adapt_datetimefield_value stores (the UTC wall time as text), without its checks: it was a
    tenth of the generator's profile."""
    return str(value.astimezone(zone).replace(tzinfo=None) if value.tzinfo is not None else value)


def _adapter(field: models.Field[Any, Any]) -> Adapter | None:
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        if connection.vendor == "sqlite" and settings.USE_TZ and connection.timezone is not None:
            return partial(_sqlite_datetime, zone=connection.timezone)
        return connection.ops.adapt_datetimefield_value
    if kind == "DateField":
        return connection.ops.adapt_datefield_value
    if kind == "JSONField":
        return partial(field.get_db_prep_save, connection=connection)
    return None


class Table:
    """Rows for one model: `add` a row by column name, `flush` the rows in one statement."""

    def __init__(
        self, model: type[models.Model], columns: str, moment: dt.datetime, *, ready: str = ""
    ) -> None:
        """`ready`: columns whose values the caller gives as the database takes them (a JSON text, a moment
        adapted once with `adapt`), so no adapter runs per row."""
        meta = model._meta
        self.model_name = meta.label
        self.names = columns.split()
        named: list[models.Field[Any, Any]] = []
        for name in self.names:  # field names or attnames (patient_id)
            f = meta.get_field(name)
            if not isinstance(f, models.Field) or not f.concrete:
                raise TypeError(f"{self.model_name}.{name} is not a column")
            named.append(f)
        rest = [f for f in meta.concrete_fields if f not in named and not f.primary_key]
        skip = set(ready.split())
        self.adapters = [
            (i, a) for i, f in enumerate(named) if f.name not in skip and (a := _adapter(f)) is not None
        ]
        self.constants = tuple(self._default(f, moment) for f in rest)
        quote = connection.ops.quote_name
        fields = [*named, *rest]
        into = f"{quote(meta.db_table)} ({', '.join(quote(_column(f)) for f in fields)})"
        self.sql = f"INSERT INTO {into} VALUES ({', '.join(['%s'] * len(fields))})"
        self.copy_sql = f"COPY {into} FROM STDIN"
        self.rows: list[tuple[Any, ...]] = []
        self.inserted = 0

    @staticmethod
    def _default(field: Any, moment: dt.datetime) -> Any:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value = moment
        else:
            value = field.get_default()
        adapt = _adapter(field)
        return adapt(value) if adapt is not None and value is not None else value

    def add(self, **values: Any) -> None:
        if len(values) != len(self.names):
            raise TypeError(f"{self.model_name} rows take {self.names}, not {sorted(values)}")
        self.rows.append(tuple(values[name] for name in self.names))

    def flush(self, cursor: CursorWrapper) -> None:
        if not self.rows:
            return
        batch: list[tuple[Any, ...]] = []
        for row in self.rows:
            if self.adapters:
                values = list(row)
                for i, adapt in self.adapters:
                    if values[i] is not None:
                        values[i] = adapt(values[i])
                row = tuple(values)
            batch.append(row + self.constants)
        if connection.vendor == "postgresql":  # COPY: several times faster than pipelined INSERTs
            with cursor.cursor.copy(self.copy_sql) as copy:
                for row in batch:
                    copy.write_row(row)
        else:
            cursor.executemany(self.sql, batch)
        self.inserted += len(batch)
        self.rows.clear()


def adapt(field: models.Field[Any, Any], value: Any) -> Any:
    """A value as the database takes it, for a `ready` column (adapted once, not per row)."""
    adapter = _adapter(field)
    return adapter(value) if adapter is not None and value is not None else value


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """Primary keys for `count` new rows, so that rows pointing at them can be built before the insert.

    PostgreSQL draws them from the table's sequence (safe with other writers); SQLite continues after the
    highest id, which is safe because the generator holds the write lock for its whole transaction (the
    settings begin transactions IMMEDIATE)."""
    assert model._meta.pk is not None
    table, pk = model._meta.db_table, _column(model._meta.pk)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # AUTOINCREMENT never reuses the id of a deleted row: start after what sqlite_sequence remembers too.
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT MAX(COALESCE(MAX({quote(pk)}), 0), "
            f"COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0)) FROM {quote(table)}",
            [table],
        )
        row = cursor.fetchone()
        start = (row[0] if row else 0) + 1
        return list(range(start, start + count))
