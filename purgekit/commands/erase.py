"""`purgekit erase PHONE... [--dry-run] [--json] [--from-file FILE]`: erase users from the terminal.

Every phone number (arguments and file) is checked before any database work: one bad input and
nothing is erased, exit 2, with a line per bad input naming it and the rule it breaks. Then the users
are erased set-wise (purgekit.erase), with a receipt each; exit 0 when all are erased (or skipped, or not
found, each with a line saying so), 1 when the erasure stops (the line says at which user; a re-run finishes
the job), 3 with --fail-if-not-found when a number matched nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from purgekit import preflight, receipts
from purgekit.commands.common import DATABASE_VARIABLES, URL_OPTION, checked_settings, counts_table, environment
from purgekit.erase import BATCH_SIZE, ErasureFailed, erase_users
from purgekit.errors import BadInputError
from purgekit.phones import Phone, parse_arguments, read_file
from purgekit.plans import ERASURE_PLAN_V2
from purgekit.report import ErasureReport
from purgekit.sql import engine_for

# With --fail-if-not-found: some number matched no row of any store (the others are erased).
EXIT_NOT_FOUND = 3


def register(app: typer.Typer) -> None:
    """Add `purgekit erase` to the CLI."""
    variables = (*DATABASE_VARIABLES, receipts.SALT_VARIABLE)
    app.command(name="erase", epilog=environment(variables))(erase)


def erase(
    phones: list[str] | None = typer.Argument(None, metavar="PHONE", hidden=True),
    from_file: Path | None = typer.Option(
        None, "--from-file", metavar="FILE", help="One phone number a line (blank lines and # comments skipped)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Count what would be deleted, with the erasure's own predicates; delete nothing."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of tables."),
    batch_size: int = typer.Option(
        BATCH_SIZE, "--batch-size", metavar="N", min=1, help="Users erased per statement and transaction."
    ),
    fail_if_not_found: bool = typer.Option(
        False, "--fail-if-not-found", help=f"Exit {EXIT_NOT_FOUND} when a number matches no row of any store."
    ),
    url: str | None = URL_OPTION,
) -> None:
    """Erase users' data from the four stores.

    Each PHONE in international form (+1 365 555 9020, 1-365-555-9020, 13655559020), or each line of
    --from-file FILE.

    Exit 0 done, 1 failed (the line names the user it stopped at; a re-run finishes the job), 2 bad input,
    configuration or connection problem (nothing erased), 3 with --fail-if-not-found when a number matched
    no row of any store. A real erasure writes a receipt per user, salted with PURGEKIT_RECEIPT_SALT; a dry
    run needs no salt.
    """
    targets = _phones(phones or [], from_file)
    # Everything that can be refused is refused before the first connection.
    salt = receipts.salt_if_set() if dry_run else receipts.salt_from_environment()
    settings = checked_settings(url, (ERASURE_PLAN_V2,))
    preflight.require_installed(settings)
    engine = engine_for(settings.url)
    console = Console(highlight=False)
    failure: ErasureFailed | None = None
    users = len({phone.wa_id for phone in targets})  # the same number twice is erased once
    try:
        with _ProgressBar(console, users, dry_run, enabled=not as_json and sys.stdout.isatty()) as advance:
            reports = erase_users(
                engine, targets, dry_run=dry_run, settings=settings, salt=salt, batch_size=batch_size, progress=advance
            )
    except ErasureFailed as error:
        failure, reports = error, error.done
    finally:
        engine.dispose()
    by_wa_id = {phone.wa_id: phone for phone in targets}
    for report in reports:
        where = f"+{report.wa_id} ({by_wa_id[report.wa_id].source})"
        if report.skipped:
            print(f"purgekit: {where} skipped: {report.skipped}", file=sys.stderr)
        elif report.status == "not found":
            print(f"purgekit: {where} not found: no row of any store matches {report.jid}", file=sys.stderr)
        elif report.status == "erased before":
            print(f"purgekit: {where}: nothing left to erase; its receipts show it was erased before", file=sys.stderr)
    if as_json:
        print(json.dumps(_document(reports, by_wa_id, dry_run, failure), indent=2))
    elif from_file is None:
        for report in reports:
            console.print(_user_table(report))
    else:
        console.print(_summary_table(reports, dry_run))
    if failure is not None:
        print(f"purgekit: {failure}", file=sys.stderr)
        raise typer.Exit(failure.exit_code)
    if fail_if_not_found and any(report.status == "not found" for report in reports):
        raise typer.Exit(EXIT_NOT_FOUND)


def _phones(arguments: list[str], from_file: Path | None) -> list[Phone]:
    phones = parse_arguments(arguments)
    if from_file is not None:
        phones += read_file(from_file)
    if not phones:
        raise BadInputError("no phone number given: pass PHONE arguments or --from-file FILE")
    return phones


class _ProgressBar:
    """A progress bar on a terminal; elsewhere (pipes, --json) nothing at all."""

    def __init__(self, console: Console, total: int, dry_run: bool, enabled: bool) -> None:
        self.enabled = enabled and total > 1
        self.total = total
        self.bar = (
            RichProgress(
                TextColumn("counting (dry run)" if dry_run else "erasing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=console,
                transient=True,
            )
            if self.enabled
            else None
        )

    def __enter__(self):
        if self.bar is None:
            return None
        self.bar.start()
        task = self.bar.add_task("erase", total=self.total)
        return lambda users: self.bar.advance(task, users)

    def __exit__(self, *exc_info: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _rows(count: int, dry_run: bool) -> str:
    verb = "to delete (dry run)" if dry_run else "deleted"
    return f"{count:,} {'row' if count == 1 else 'rows'} {verb}"


def _title(report: ErasureReport) -> str:
    if report.skipped:
        return f"+{report.wa_id}: skipped, {report.skipped}"
    if report.status in ("not found", "erased before"):
        return f"+{report.wa_id} ({report.jid}): {report.status}, 0 rows"
    return f"+{report.wa_id} ({report.jid}): {_rows(report.total, report.dry_run)}"


def _user_table(report: ErasureReport) -> Table:
    return counts_table(report, _title(report))


def _summary_table(reports: list[ErasureReport], dry_run: bool) -> Table:
    statuses = [r.status for r in reports]
    title = f"{len(reports):,} users: {_rows(sum(r.total for r in reports), dry_run)}" + "".join(
        f", {statuses.count(status):,} {status}"
        for status in ("not found", "erased before", "skipped")
        if status in statuses
    )
    table = Table(title=title, title_justify="left")
    table.add_column("store")
    table.add_column("table")
    table.add_column("rows", justify="right")
    totals: dict[tuple[str, str], int] = {}
    for report in reports:
        for count in report.tables:
            totals[(count.store, count.table)] = totals.get((count.store, count.table), 0) + count.rows
    for (store, name), rows in totals.items():
        table.add_row(store, name, f"{rows:,}")
    table.add_row("", "total", f"{sum(totals.values()):,}", style="bold")
    return table


def _document(
    reports: list[ErasureReport], phones: dict[int, Phone], dry_run: bool, failure: ErasureFailed | None
) -> dict:
    users = [{"phone": f"+{r.wa_id}", "source": phones[r.wa_id].source, **r.as_dict()} for r in reports]
    error = None
    if failure is not None:
        error = {"phone": failure.phone.display, "source": failure.phone.source, "message": failure.reason}
    not_found = sum(1 for r in reports if r.status == "not found")
    return {
        "dry_run": dry_run,
        "users": users,
        "total": sum(r.total for r in reports),
        "not_found": not_found,
        "error": error,
    }
