"""`purgekit verify`: does the database hold what its installed revision installs? (Sqitch's verify)"""

from __future__ import annotations

import typer

from purgekit.commands.common import URL_OPTION, settings_from
from purgekit.verify import verify as verify_database


def register(app: typer.Typer) -> None:
    """Add `purgekit verify` to the CLI."""
    app.command(name="verify")(verify)


def verify(url: str | None = URL_OPTION) -> None:
    """Compare what is installed (routine bodies, foreign servers and their options, user mappings,
    foreign tables and their columns) with what the installed revision installs; print each difference.

    Takes the settings the migration ran with (WA_DB_NAME_PREFIX, PURGEKIT_FDW_*, ...): run it as the
    role that ran the migration. Exit 0 when they match, 1 on any difference or when nothing is
    installed, 2 on bad configuration or an unreachable database.
    """
    result = verify_database(settings_from(url))
    for line in result.lines():
        typer.echo(line)
    raise typer.Exit(0 if result.ok else 1)
