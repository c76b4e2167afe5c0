"""purgekit's Alembic environment: one version chain, rendered for whichever database it runs on."""

from __future__ import annotations

from alembic import context

import purgekit.operations  # noqa: F401  (registers op.create_object, op.drop_object, op.replace_object)
from purgekit import alembic_env
from purgekit.config import VERSION_TABLE, Settings
from purgekit.downgrade_guards import guard_downgrade


def version_table(settings: Settings) -> dict:
    schema = settings.family.version_table_schema(settings)
    return dict(version_table=VERSION_TABLE, version_table_schema=schema)


def run_offline() -> None:
    settings = alembic_env.run_settings(context)
    alembic_env.run_offline(
        context,
        lambda secrets: settings.family.script_header(settings, secrets),
        before=lambda: guard_downgrade(context, settings),
        url=settings.url,
        literal_binds=True,
        # Names as written: the drivers' pyformat would have SQLAlchemy write a name's '%' as '%%'.
        dialect_opts={"paramstyle": "named"},
        transaction_per_migration=False,
        **version_table(settings),
    )


def run_online() -> None:
    settings = alembic_env.run_settings(context)
    engine, connection = alembic_env.connect(settings)
    with connection:
        context.configure(connection=connection, transaction_per_migration=False, **version_table(settings))
        guard_downgrade(context, settings)
        alembic_env.preflight_before_upgrade(context, settings)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


alembic_env.configure_logging(context)
alembic_env.run(context, run_offline if context.is_offline_mode() else run_online)
