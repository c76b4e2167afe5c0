"""purgekit's optional index chain: its own Alembic script location and version table.

    alembic -n indexes upgrade head      # create the indexes the erasure's deletes lack, online
    alembic -n indexes downgrade base    # drop the indexes purgekit created (purgekit_*), online

Separate from the main chain so that `alembic upgrade head` never builds an index on a client's
table unasked, and never meets two heads. Its version table, purgekit_index_version, sits beside
purgekit_version. Online only: which indexes are missing is read from the catalog, so there is no
offline script; `purgekit doctor` prints the statements for a DBA to review and run by hand instead.
"""

from __future__ import annotations

from alembic import context

from purgekit import alembic_env
from purgekit.errors import ConfigurationError
from purgekit.indexes import INDEX_VERSION_TABLE


def run_online() -> None:
    settings = alembic_env.run_settings(context)
    if context.is_offline_mode():
        raise ConfigurationError(
            "the index chain has no offline script: which indexes are missing is read from the catalog;"
            " `purgekit doctor` prints the statements to review and run by hand"
        )
    # AUTOCOMMIT: CREATE INDEX CONCURRENTLY waits for every open transaction of its database, this
    # session's included; with autocommit the version table's update holds none while indexes build.
    engine, connection = alembic_env.connect(settings, isolation_level="AUTOCOMMIT")
    with connection:
        context.configure(
            connection=connection,
            transactional_ddl=False,
            version_table=INDEX_VERSION_TABLE,
            version_table_schema=settings.family.version_table_schema(settings),
        )
        alembic_env.preflight_before_upgrade(context, settings)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


alembic_env.configure_logging(context)
alembic_env.run(context, run_online)
