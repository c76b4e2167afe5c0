"""What every command shares: where the database is, how to connect to it, and the help's last section."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.table import Table

from purgekit import preflight
from purgekit.config import ENVIRONMENT, Settings, load_settings

URL_OPTION = typer.Option(
    None,
    "--url",
    metavar="URL",
    help="Database URL: postgresql://USER@HOST/contactStore or mysql://USER@HOST/ (default: $PURGEKIT_DATABASE_URL).",
)


@dataclass
class Output:
    """The global options: -v shows the SQL run (on stderr), -q prints only errors."""

    verbose: bool = False
    quiet: bool = False


OUTPUT = Output()

# The settings every command that connects reads (PostgreSQL's FDW settings reach the other stores).
DATABASE_VARIABLES = (
    "PURGEKIT_DATABASE_URL",
    "WA_DB_NAME_PREFIX",
    "PURGEKIT_FDW_HOST",
    "PURGEKIT_FDW_PORT",
    "PURGEKIT_FDW_USER",
    "PURGEKIT_FDW_PASSWORD",
    "PURGEKIT_SCHEMA",
)


def environment(names: Iterable[str], described: Mapping[str, str] = ENVIRONMENT) -> str:
    """The help's last section: the environment variables a command reads, one a line (kept as written);
    `described` says what each is (the settings', or more, such as the WhatsApp gateway's)."""
    names = list(names)
    width = max(map(len, names))
    lines = [f"  {name.ljust(width)}  {described[name]}" for name in names]
    return "\b\nEnvironment:\n" + "\n".join(lines)


def settings_from(url: str | None) -> Settings:
    return load_settings(overrides={"url": url} if url else None, url_option="--url")


def checked_settings(url: str | None, plans: Iterable[object] = preflight.PLANS) -> Settings:
    """The settings, after the preflight (exit 2 on a wrong database, store, table or column)."""
    settings = settings_from(url)
    preflight.check(settings, plans)
    return settings


def counts_table(report, title: str | None = None) -> Table:
    """A report's rows per store and table, and their total (`report`: a purgekit.report.CountedTables with
    `dry_run`)."""
    table = Table(title=title, title_justify="left")
    table.add_column("store")
    table.add_column("table")
    table.add_column("rows to delete" if report.dry_run else "rows deleted", justify="right")
    for count in report.tables:
        table.add_row(count.store, count.table, f"{count.rows:,}")
    table.add_row("", "total", f"{report.total:,}", style="bold")
    return table


class StopFlag:
    """First Ctrl-C (or SIGTERM): stop after the batch in flight, which commits with its checkpoint.
    A second Ctrl-C interrupts at once (that batch then rolls back, or commits unreported)."""

    def __init__(self, command: str = "gc") -> None:
        self.requested = False
        self.command = command

    def __call__(self) -> bool:
        return self.requested

    @contextmanager
    def installed(self) -> Iterator[None]:
        def handler(signum, frame):
            if self.requested and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.requested = True
            print(
                f"\npurgekit {self.command}: stopping after the batch in flight (Ctrl-C again to interrupt at once)",
                file=sys.stderr,
                flush=True,
            )

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
