"""`purgekit doctor`: the schema check (preflight), then which of the erasure's deletes read whole tables,
and the index that fixes each. Plain lines, readable at 80 columns and through a pipe."""

from __future__ import annotations

import json
import textwrap

import typer
from sqlalchemy.exc import SQLAlchemyError

from purgekit import preflight
from purgekit.commands.common import DATABASE_VARIABLES, OUTPUT, URL_OPTION, environment, settings_from
from purgekit.doctor import Diagnosis, diagnose
from purgekit.errors import DatabaseProblem, reason


def register(app: typer.Typer) -> None:
    """Add `purgekit doctor` to the CLI."""
    app.command(name="doctor", epilog=environment(DATABASE_VARIABLES))(doctor)


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of lines."),
    url: str | None = URL_OPTION,
) -> None:
    """Check the schema, and the indexes the erasure needs.

    First the stores hold every table and column the routines use (the preflight); then EXPLAIN every
    delete of the erasure: those that read a whole table or index for every user erased, and the index
    that fixes each.

    Exit 0 when it could tell (whatever it found; -v shows each plan), 1 when it could not EXPLAIN, 2 on
    bad configuration, an unreachable database or a failed schema check.
    """
    settings = settings_from(url)
    schema = preflight.check(settings)
    try:
        results = diagnose(settings)
    except SQLAlchemyError as error:
        hint = "; nothing is installed: run `purgekit db upgrade`" if _nothing_installed(settings) else ""
        raise DatabaseProblem("cannot EXPLAIN the erasure's deletes", settings.url, reason(error) + hint) from None
    flagged = [r for r in results if r.flagged]
    if as_json:
        document = {
            "schema": {"ok": schema.ok, "tables": schema.tables, "columns": schema.columns},
            "tables": [r.as_dict() for r in results],
            "full_scans": len(flagged),
            "fixes": [fix for r in flagged for fix in r.fixes],
        }
        typer.echo(json.dumps(document, indent=2))
        return
    typer.echo(_wrapped(schema.summary(settings)))
    typer.echo("\nThe erasure's deletes, as the database plans them:")
    for r in results:
        typer.echo(_wrapped(f"{r.store}.{r.table}: {_verdict(r)}", indent="  "))
        if OUTPUT.verbose:
            typer.echo(_wrapped(f"plan: {r.plan}", indent="      "))
    if not flagged:
        typer.echo("Every delete finds the user's rows through an index.")
        return
    typer.echo(
        "\n"
        + _wrapped(
            f"{_counted(flagged)} for every user erased. The fix, one index each (online; or all at once"
            " from a clone: `alembic -n indexes upgrade head`):"
        )
    )
    for r in flagged:
        where = f"-- in database {r.store}\n" if settings.family.stores_are_databases else ""
        for fix in r.fixes:
            typer.echo(f"{where}{fix};")


# How each kind of full scan is named (purgekit.doctor.Diagnosis.scan).
SCANS = {"whole table": "the whole table", "whole index": "a whole index"}


def _wrapped(line: str, indent: str = "") -> str:
    """A line of prose at most 80 columns wide (statements to copy are never wrapped)."""
    return textwrap.fill(line, width=80, initial_indent=indent, subsequent_indent=indent + "    ")


def _verdict(r: Diagnosis) -> str:
    rows = "" if r.estimated_rows is None else f" (about {r.estimated_rows:,} rows)"
    if r.flagged:
        return f"reads {SCANS[r.scan]}{rows}: no index on {', '.join(s.column for s in r.missing)}"
    if r.full_scan:
        return f"reads {SCANS[r.scan]}{rows}, a small table: the indexes exist"
    return "finds the user's rows through an index"


def _counted(flagged: list[Diagnosis]) -> str:
    """'3 deletes read the whole table and 2 read a whole index', counting each kind of scan for what it is."""
    tables = sum(1 for r in flagged if r.scan == "whole table")
    indexes = len(flagged) - tables
    parts = []
    if tables:
        parts.append(f"{tables} {'delete reads' if tables == 1 else 'deletes read'} the whole table")
    if indexes:
        verb = "reads" if indexes == 1 else "read"
        noun = "" if tables else (" delete" if indexes == 1 else " deletes")
        parts.append(f"{indexes}{noun} {verb} a whole index")
    return " and ".join(parts)


def _nothing_installed(settings) -> bool:
    from purgekit import deploy

    try:
        return deploy.current_revision(settings) is None
    except SQLAlchemyError:
        return False
