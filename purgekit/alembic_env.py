"""What purgekit's Alembic environments (migrations/, migrations_indexes/) share.

Settings come from purgekit.deploy (handed in through Config.attributes) or from the environment and
`alembic -x`. Failures follow purgekit's one contract: from the alembic command line, one line per
problem on stderr (`purgekit: <what> (<url>): <reason>`) and exit 2 for configuration and connection
problems, 1 for a migration that fails; from purgekit (`purgekit db`, purgekit.deploy) the same error
is raised for the caller to report. Never a traceback.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable

from alembic.environment import EnvironmentContext
from sqlalchemy import pool
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable

from purgekit import preflight
from purgekit.config import SETTINGS_ATTRIBUTE, VERSION_TABLE, Settings, load_settings
from purgekit.errors import DatabaseFailed, DatabaseProblem, PurgekitError, connection_failed, reason
from purgekit.sql import engine_for

# purgekit's Alembic version tables (purgekit.indexes has the index chain's; kept literal: no import cycle).
VERSION_TABLES = {VERSION_TABLE, "purgekit_index_version"}


@compiles(CreateTable)
def _create_version_table(create: CreateTable, compiler, **kw) -> str:
    """CREATE TABLE IF NOT EXISTS for purgekit's version tables, so an offline upgrade script also runs
    where `alembic downgrade base` left the (empty) version table. Any other table compiles as ever."""
    if create.element.name in VERSION_TABLES:
        create.if_not_exists = True
    return compiler.visit_create_table(create, **kw)


def run(context: EnvironmentContext, body: Callable[[], None]) -> None:
    """Run an environment's body under purgekit's failure contract. From purgekit (purgekit.deploy,
    `purgekit db`) errors go to the caller as they are; the alembic command line gets the lines."""
    try:
        body()
    except (PurgekitError, SQLAlchemyError) as error:
        settings = context.config.attributes.get(SETTINGS_ATTRIBUTE)
        if context.config.cmd_opts is None or (settings is None and not isinstance(error, PurgekitError)):
            raise
        if not isinstance(error, PurgekitError):
            error = DatabaseFailed("migration failed", settings.url, reason(error))
        for line in str(error).splitlines():
            print(f"purgekit: {line}", file=sys.stderr)
        raise SystemExit(error.exit_code) from None


def configure_logging(context: EnvironmentContext) -> None:
    """alembic.ini's logging, for the alembic command line; `alembic -q` keeps only warnings and errors."""
    config = context.config
    if config.config_file_name is not None and not config.attributes.get("purgekit_quiet_logging"):
        import logging
        from logging.config import fileConfig

        fileConfig(config.config_file_name, disable_existing_loggers=False)
        if getattr(config.cmd_opts, "quiet", False):
            logging.getLogger("alembic").setLevel(logging.WARNING)


def run_settings(context: EnvironmentContext) -> Settings:
    """purgekit.deploy hands in Settings directly; the alembic command line reads the environment and -x."""
    config = context.config
    settings = config.attributes.get(SETTINGS_ATTRIBUTE)
    if settings is None:
        settings = load_settings(overrides=context.get_x_argument(as_dictionary=True))
        config.attributes[SETTINGS_ATTRIBUTE] = settings
    return settings


def connect(settings: Settings, **engine_options) -> tuple[Engine, Connection]:
    engine = engine_for(settings.url, poolclass=pool.NullPool, **engine_options)
    try:
        return engine, engine.connect()
    except DBAPIError as error:
        # A database that does not exist: the preflight says which do, and asks about the prefix.
        found = preflight.examine(settings)
        if not found.ok:
            raise DatabaseProblem("preflight", settings.url, list(found.problems)) from None
        raise connection_failed(settings.url, error) from None


def planned_steps(context: EnvironmentContext) -> list:
    """The steps (Alembic's MigrationStep: .is_upgrade, .revision) this run will take: the work Alembic's
    command handed the migration context (its `fn` option, which run_migrations runs). Alembic has no
    public hook for it. Commands without a destination (current, history) take none. Call it once the
    context is configured."""
    migration = context.get_context()
    work = migration.opts.get("fn")
    if work is None or "destination_rev" not in migration.opts:
        return []
    return list(work(migration.get_current_heads(), migration))


def upgrading(context: EnvironmentContext) -> bool:
    """Whether this run installs something: some step it takes is an upgrade."""
    return any(step.is_upgrade for step in planned_steps(context))


def preflight_before_upgrade(context: EnvironmentContext, settings: Settings) -> None:
    """Before an online upgrade: is this the database the settings name, and does it hold what the
    routines use? (purgekit.preflight) A downgrade is never refused for it: it must always be possible."""
    if upgrading(context):
        preflight.check(settings)


def run_offline(
    context: EnvironmentContext,
    header: Callable[[set[str]], str],
    before: Callable[[], None] | None = None,
    **configure,
) -> None:
    """Write the offline script: its header first, which names the secrets the script asks for (known
    once the migrations have been rendered); then what `before` writes (guards that stop the script
    before anything changes); then the migrations."""
    from purgekit.operations import secrets_used

    out = context.config.output_buffer or sys.stdout
    body = io.StringIO()
    context.configure(output_buffer=body, **configure)
    if before is not None:
        before()
    with context.begin_transaction():
        context.run_migrations()
    out.write(header(secrets_used(context.get_context())) + "\n\n" + body.getvalue())
    out.flush()
