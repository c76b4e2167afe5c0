"""purgekit's Alembic environment: one version chain, rendered for whichever database it runs on."""

from __future__ import annotations

from alembic import context

import purgekit.operations  # noqa: F401  (registers op.create_object, op.drop_object, op.replace_object)
from purgekit.alembic_env import configure_logging, connect, settings_of
from purgekit.config import VERSION_TABLE
from purgekit.dialects import dialect_for
from purgekit.downgrade_guards import guard_downgrade

configure_logging(context)
settings = settings_of(context)
dialect = dialect_for(settings.dialect)
version_table = dict(version_table=VERSION_TABLE, version_table_schema=dialect.version_table_schema(settings))


def run_offline() -> None:
    context.configure(
        url=settings.url,
        literal_binds=True,
        # Names as written: the drivers' pyformat would have SQLAlchemy write a name's '%' as '%%'.
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=False,
        **version_table,
    )
    context.get_context().impl.static_output(dialect.script_header())
    guard_downgrade(context, settings)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    engine, connection = connect(settings)
    with connection:
        context.configure(connection=connection, transaction_per_migration=False, **version_table)
        guard_downgrade(context, settings)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
