"""The ``selforg-scheduler`` command line: solve, solve-many, validate, repair, explain, render,
ical, report, schema, generate, import-mankowska, pair-buddies, rotate-roles.

Bad input exits with code 2 and one line naming the file, the object id and the field; a rota
that breaks a hard rule makes ``validate`` exit 1. No traceback reaches the user unless asked for
with ``-vv``.

- :mod:`.common`: the typer app, the shared options and the error-handling wrapper;
- :mod:`.solving`: solve, solve-many, validate, explain;
- :mod:`.repairing`: repair (sick cover, told worker by worker);
- :mod:`.viewing`: render, ical, report, schema;
- :mod:`.data`: generate, import-mankowska;
- :mod:`.team`: pair-buddies, rotate-roles;
- :mod:`.tables`: the rich tables they print (figures read from ``outputs.reports``).
"""

from __future__ import annotations

from selforg_scheduler.cli.common import app

# Importing the command modules registers their commands, in this order in ``--help``.
# isort: off
from selforg_scheduler.cli import solving  # noqa: F401
from selforg_scheduler.cli import repairing  # noqa: F401
from selforg_scheduler.cli import viewing  # noqa: F401
from selforg_scheduler.cli import data  # noqa: F401
from selforg_scheduler.cli import team  # noqa: F401

# isort: on

__all__ = ["app", "main"]


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
