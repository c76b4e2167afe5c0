"""`purgekit db upgrade|downgrade|current|history`: deploy without a clone.

The same revisions, version table (purgekit_version) and offline scripts as `alembic` run from a
clone: the migrations ship with the package (purgekit.deploy), and these are Alembic's own commands.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import typer

from purgekit.commands.common import DATABASE_VARIABLES, OUTPUT, URL_OPTION, environment, settings_from
from purgekit.config import SETTINGS_ATTRIBUTE
from purgekit.errors import DatabaseFailed, reason

app = typer.Typer(
    name="db",
    help="Install, remove and inspect purgekit's revisions. Alembic's commands, without a clone.",
    no_args_is_help=True,
)

ENVIRONMENT = environment((*DATABASE_VARIABLES, "PURGEKIT_ROUTINE_OWNER", "PURGEKIT_EXECUTE_GRANTEES"))
SQL_OPTION = typer.Option(
    False, "--sql", help="Print the offline script to review and run yourself; connect to nothing."
)


def register(parent: typer.Typer) -> None:
    """Add `purgekit db ...` to the CLI."""
    parent.add_typer(app)


class _Messages(logging.Filter):
    """Alembic's lines worth a DBA's eyes: which revision runs ("Running upgrade 0002 -> 0003, ...")."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage().startswith("Running ")


def _alembic_messages() -> None:
    """Alembic's own messages on stderr, as the alembic command prints them (none with -q)."""
    if OUTPUT.quiet:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_Messages())
    migration_log = logging.getLogger("alembic.runtime.migration")
    migration_log.addHandler(handler)
    migration_log.setLevel(logging.INFO)


@contextmanager
def _migrating(config) -> Iterator[None]:
    """A statement that fails during a migration: one line with the URL, exit 1 (as from alembic)."""
    from sqlalchemy.exc import SQLAlchemyError

    try:
        yield
    except SQLAlchemyError as error:
        url = config.attributes[SETTINGS_ATTRIBUTE].url
        raise DatabaseFailed("migration failed", url, reason(error)) from None


def _config(url: str | None, sql: bool = False):
    from purgekit import deploy  # Alembic loads slowly: only the db commands need it

    settings = settings_from(url)
    config = deploy.alembic_config(settings, sys.stdout if sql else None)
    _alembic_messages()
    return config


@app.command(epilog=ENVIRONMENT)
def upgrade(
    revision: str = typer.Argument("head", metavar="REV", hidden=True),
    sql: bool = SQL_OPTION,
    url: str | None = URL_OPTION,
) -> None:
    """Install purgekit's revisions up to REV (default: head).

    With --sql, print the script instead, to review and run yourself. Online, the preflight checks
    first that the URL is the prefixed contactStore and that the stores hold every table and column the
    routines use (exit 2, nothing installed, if not). Same as `alembic upgrade REV`.
    """
    from alembic import command

    config = _config(url, sql)
    with _migrating(config):
        command.upgrade(config, revision, sql=sql)


@app.command(epilog=ENVIRONMENT)
def downgrade(
    revision: str = typer.Argument(..., metavar="REV", hidden=True),
    sql: bool = SQL_OPTION,
    drop_receipts: bool = typer.Option(
        False,
        "--drop-receipts",
        help="Let a downgrade past revision 0002 drop the receipts, the record of every erasure (export them first).",
    ),
    drop_jobs: bool = typer.Option(
        False, "--drop-jobs", help="Let a downgrade past revision 0009 drop purgekit serve's jobs (export them first)."
    ),
    url: str | None = URL_OPTION,
) -> None:
    """Remove purgekit's revisions above REV (base: all).

    base removes everything purgekit installed. While receipts exist, a downgrade past revision 0002
    stops (exit 2, nothing changed) unless --drop-receipts; while jobs exist, one past revision 0009 unless
    --drop-jobs. With --sql, print the script from head down to REV instead (`alembic downgrade head:REV
    --sql`). Same as `alembic downgrade REV` (`-x drop_receipts=yes`, `-x drop_jobs=yes`).
    """
    if sql and ":" not in revision:
        revision = f"head:{revision}"
    from alembic import command

    from purgekit import deploy

    config = deploy.downgrading(_config(url, sql), drop_receipts, drop_jobs)
    with _migrating(config):
        command.downgrade(config, revision, sql=sql)


@app.command(epilog=environment(DATABASE_VARIABLES))
def current(url: str | None = URL_OPTION) -> None:
    """Print the revision installed (nothing when none is). Same as `alembic current`."""
    from alembic import command

    command.current(_config(url))


@app.command()
def history() -> None:
    """List purgekit's revisions, newest first; connects to nothing. Same as `alembic history`."""
    from alembic import command

    from purgekit import deploy

    command.history(deploy.alembic_config(None))
