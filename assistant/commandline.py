"""manage.py's entry point: Django's command line, saying in one line when migrate has not run.

A command that reads a table migrate has not created yet fails deep inside the ORM with a
database error and a long traceback. Caught here, once for every command, rather than in each
command: `migrate`, `check`, `showmigrations` and the like never read such a table, so they run as
before, and any database error on a fully migrated database is raised as usual.
"""

from __future__ import annotations

import sys

from django.db import DatabaseError

MIGRATE_FIRST = "run `make run` or `manage.py migrate` first"


def execute_from_command_line(argv: list[str]) -> None:
    """Run the command named in `argv`; exit 1 with one line if the database lacks migrations."""
    from django.core.management import execute_from_command_line as execute

    try:
        execute(argv)
    except DatabaseError:
        # --traceback asks for the real error, whatever its cause.
        if "--traceback" in argv:
            raise
        missing = unapplied_migrations()
        if not missing:
            raise
        command = argv[1] if len(argv) > 1 else "manage.py"
        sys.stderr.write(
            f"{command}: the database is not migrated ({missing} migration(s) not applied); "
            f"{MIGRATE_FIRST}\n"
        )
        sys.exit(1)


def unapplied_migrations() -> int:
    """How many migrations the default database lacks; 0 when that cannot be told."""
    from django.db import connections
    from django.db.migrations.executor import MigrationExecutor

    try:
        # The failed command may have left its connection in an aborted transaction.
        connections.close_all()
        executor = MigrationExecutor(connections["default"])
        return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    except DatabaseError:
        return 0
