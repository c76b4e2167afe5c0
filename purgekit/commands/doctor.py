"""`purgekit doctor`: which of the erasure's deletes read whole tables, and the index that fixes each."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from purgekit.commands.common import URL_OPTION, settings_from
from purgekit.doctor import diagnose
from purgekit.errors import PurgekitError


def register(app: typer.Typer) -> None:
    """Add `purgekit doctor` to the CLI."""
    app.command(name="doctor")(doctor)


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of tables."),
    url: str | None = URL_OPTION,
) -> None:
    """EXPLAIN every delete of the erasure; name those that scan whole tables and the index that fixes each.

    Exit 0 when it could tell (whatever it found), 1 when it could not, 2 on bad input.
    """
    settings = settings_from(url)
    try:
        results = diagnose(settings)
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise PurgekitError(
            f"cannot EXPLAIN the erasure's deletes: {reason} (is purgekit installed? `alembic upgrade head`)"
        ) from None
    flagged = [r for r in results if r.flagged]
    if as_json:
        print(
            json.dumps(
                {
                    "tables": [r.as_dict() for r in results],
                    "full_scans": len(flagged),
                    "fixes": [fix for r in flagged for fix in r.fixes],
                },
                indent=2,
            )
        )
        return
    console = Console(highlight=False)
    table = Table(title="The erasure's deletes, as the database plans them", title_justify="left")
    for column in ("store", "table", "rows (est.)", "plan", "verdict"):
        table.add_column(column, justify="right" if column == "rows (est.)" else "left")
    for r in results:
        if r.flagged:
            verdict = f"[bold red]reads the {r.scan}[/]: no index on " + ", ".join(s.column for s in r.missing)
        elif r.full_scan:
            verdict = f"reads the {r.scan} (a small table: the indexes exist)"
        else:
            verdict = "index"
        table.add_row(r.store, r.table, "-" if r.estimated_rows is None else f"{r.estimated_rows:,}", r.plan, verdict)
    console.print(table)
    if not flagged:
        console.print("Every delete finds the user's rows through an index.")
        return
    console.print(
        f"\n{len(flagged)} delete(s) read the whole table for every user erased. The fix, one index each"
        " (online; or all at once: `alembic -n indexes upgrade head`):"
    )
    for r in flagged:
        where = f"-- in database {r.store}\n" if settings.dialect == "postgresql" else ""
        for fix in r.fixes:
            console.print(f"{where}{fix};", soft_wrap=True, markup=False)
