"""purgekit's optional index chain: its own Alembic script location and version table.

    alembic -n indexes upgrade head      # create the indexes the erasure's deletes lack, online
    alembic -n indexes downgrade base    # drop the indexes purgekit created (purgekit_*), online

Separate from the main chain so that `alembic upgrade head` never builds an index on a client's
table unasked, and never meets two heads. Its version table, purgekit_index_version, sits beside
purgekit_version. Online only: which indexes are missing is read from the catalog, so there is no
offline script; `purgekit doctor` prints the statements for a DBA to review and run by hand instead.
"""
from __future__ import annotations

import sys

from alembic import context
from sqlalchemy import create_engine, pool
from sqlalchemy.exc import DBAPIError, OperationalError

from purgekit.config import load_settings
from purgekit.dialects import dialect_for
from purgekit.errors import PurgekitError
from purgekit.indexes import INDEX_VERSION_TABLE

config = context.config
if config.config_file_name is not None and not config.attributes.get("purgekit_quiet_logging"):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def fail(message: str) -> None:
    print(f"purgekit: {message}", file=sys.stderr)
    raise SystemExit(2)


settings = config.attributes.get("purgekit_settings")
if settings is None:
    try:
        settings = load_settings(overrides=context.get_x_argument(as_dictionary=True))
    except PurgekitError as error:
        fail(str(error))
    config.attributes["purgekit_settings"] = settings

if context.is_offline_mode():
    fail("the index chain has no offline script: which indexes are missing is read from the catalog; "
         "`purgekit doctor` prints the statements to review and run by hand")

# AUTOCOMMIT: CREATE INDEX CONCURRENTLY waits for every open transaction of its database, this
# session's included; with autocommit the version table's update holds none while indexes build.
engine = create_engine(settings.url, poolclass=pool.NullPool, hide_parameters=True, isolation_level="AUTOCOMMIT")
try:
    connection = engine.connect()
except (OperationalError, DBAPIError) as error:
    reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
    fail(f"cannot connect to {settings.url.render_as_string(hide_password=True)}: {reason}")
with connection:
    context.configure(
        connection=connection,
        transactional_ddl=False,
        version_table=INDEX_VERSION_TABLE,
        version_table_schema=dialect_for(settings.dialect).version_table_schema(settings),
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
