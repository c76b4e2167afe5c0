"""`purgekit verify`: does the database hold what its installed revision installs? (Sqitch's verify)"""

from __future__ import annotations

import json

import typer

from purgekit.commands.common import DATABASE_VARIABLES, OUTPUT, URL_OPTION, checked_settings, environment


def register(app: typer.Typer) -> None:
    """Add `purgekit verify` to the CLI."""
    variables = (*DATABASE_VARIABLES, "PURGEKIT_ROUTINE_OWNER", "PURGEKIT_EXECUTE_GRANTEES")
    app.command(name="verify", epilog=environment(variables))(verify)


def verify(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of lines."),
    url: str | None = URL_OPTION,
) -> None:
    """Compare what is installed with what its revision installs.

    Routine bodies, foreign servers and their options, user mappings, foreign tables and their columns:
    one line per difference.

    Takes the settings the migration ran with (WA_DB_NAME_PREFIX, PURGEKIT_FDW_*, ...): run it as the
    role that ran the migration. Exit 0 when they match, 1 on any difference or when nothing is
    installed, 2 on bad configuration, an unreachable database or a failed preflight.
    """
    from purgekit.verify import verify as verify_database  # loads Alembic: only for this command

    result = verify_database(checked_settings(url))
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2))
    else:
        for line in result.lines(verbose=OUTPUT.verbose):
            typer.echo(line)
    raise typer.Exit(0 if result.ok else 1)
