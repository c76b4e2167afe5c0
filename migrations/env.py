"""purgekit's Alembic environment: one version chain, rendered for whichever database it runs on."""
from __future__ import annotations

import sys

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.exc import DBAPIError, OperationalError

from purgekit.config import VERSION_TABLE, load_settings
from purgekit.dialects import dialect_for
from purgekit.errors import PurgekitError

import purgekit.operations  # noqa: F401  (registers op.create_object, op.drop_object, op.replace_object)

config = context.config
if config.config_file_name is not None and not config.attributes.get("purgekit_quiet_logging"):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def fail(message: str) -> None:
    """One line, no traceback, non-zero exit: what a DBA needs when the database can't be reached."""
    print(f"purgekit: {message}", file=sys.stderr)
    raise SystemExit(2)


# purgekit.deploy hands in Settings directly; the alembic command line reads the environment and -x.
settings = config.attributes.get("purgekit_settings")
if settings is None:
    try:
        settings = load_settings(overrides=context.get_x_argument(as_dictionary=True))
    except PurgekitError as error:
        fail(str(error))
    config.attributes["purgekit_settings"] = settings
dialect = dialect_for(settings.dialect)
version_table = dict(version_table=VERSION_TABLE, version_table_schema=dialect.version_table_schema(settings))


def run_offline() -> None:
    context.configure(
        url=settings.url,
        literal_binds=True,
        transaction_per_migration=False,
        **version_table,
    )
    context.get_context().impl.static_output(dialect.script_header())
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    # hide_parameters: a bound secret (the FDW password) never shows in an error or a log.
    engine = create_engine(settings.url, poolclass=pool.NullPool, hide_parameters=True)
    try:
        connection = engine.connect()
    except (OperationalError, DBAPIError) as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        fail(f"cannot connect to {settings.url.render_as_string(hide_password=True)}: {reason}")
    with connection:
        context.configure(connection=connection, transaction_per_migration=False, **version_table)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
