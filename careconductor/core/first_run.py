"""Commands on a database that is not ready: a fresh data folder is prepared at once, an older database is
named with the one command to run, never a traceback ("no such table")."""

from __future__ import annotations

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

# Commands that manage the schema themselves, or never touch the database.
NO_DATABASE = frozenset(
    {"migrate", "makemigrations", "showmigrations", "sqlmigrate", "squashmigrations", "help", "version",
     "check", "collectstatic", "test", "shell", "dbshell", "startapp", "startproject", "diffsettings",
     "compilemessages", "makemessages", "serve",
     # A backup is taken before an upgrade's `migrate`; a restore replaces the database (and says if it is behind).
     "backup", "restore"}
)  # fmt: skip


def pending_migrations() -> tuple[bool, int]:
    """(whether the database is empty, how many migrations are not applied yet)."""
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    empty = not executor.loader.applied_migrations
    return empty, len(plan)


def prepare_database(command: str) -> str | None:
    """Migrate an empty database before `command` runs; return a one-line refusal when an existing database is
    behind this version (an operator upgrades on purpose, after a backup), None when all is ready."""
    import sys

    from django.core.management import call_command

    if command in NO_DATABASE or command.startswith("-"):
        return None
    empty, pending = pending_migrations()
    if not pending:
        return None
    if empty:
        print("Preparing a new database (first run) ...", file=sys.stderr)
        call_command("migrate", interactive=False, verbosity=0)
        return None
    return f"The database is {pending} migration(s) behind this version: run `careconductor migrate` first."
