"""Django's `migrate`, with one change for a new database: the libraries' migrations come first.

Each migration operation re-renders the models related to the one it changes. django-oauth-toolkit's 22
migrations change models that point at the user, and at their place in the default order (after most of ours)
every model of ours that points at the user was rendered again for each: 10 of the 35 s of CPU an empty
database took here. Applied first, while the project's models are not there yet, they cost 2 s. The order is
allowed: those migrations depend only on the user model's first migration.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections
from django.db.migrations.executor import MigrationExecutor

FIRST = ("oauth2_provider",)


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> None:
        modes = ("app_label", "fake", "fake_initial", "plan", "check_unapplied", "prune")
        if not any(options.get(mode) for mode in modes):
            self._libraries_first(options["database"], options["verbosity"])
        super().handle(*args, **options)

    def _libraries_first(self, database: str, verbosity: int) -> None:
        """Apply FIRST's pending migrations (and theirs) alone; Django's migrate then does the rest and sends
        post_migrate once, when every table is there."""
        executor = MigrationExecutor(connections[database])
        if executor.loader.applied_migrations:
            # Only on a new database: an upgrade's few migrations gain nothing, and Django's own pre_migrate
            # work (renamed models' content types) is kept for them.
            return
        targets = [node for node in executor.loader.graph.leaf_nodes() if node[0] in FIRST]
        if verbosity >= 1:
            self.stdout.write(f"Applying the migrations of {', '.join(FIRST)} first ...")
        executor.migrate(targets)
