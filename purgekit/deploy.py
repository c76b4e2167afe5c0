"""Run purgekit's Alembic migrations from Python: what `alembic upgrade` does, with Settings in hand."""

from __future__ import annotations

import io
from pathlib import Path

from alembic import command
from alembic.config import Config

from purgekit.config import Settings

# migrations/ and alembic.ini sit at the top of a purgekit checkout, beside the package.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def alembic_config(settings: Settings, output: io.StringIO | None = None) -> Config:
    config = Config(str(ALEMBIC_INI), output_buffer=output)
    config.attributes["purgekit_settings"] = settings
    config.attributes["purgekit_quiet_logging"] = True
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base", drop_receipts: bool = False) -> None:
    """`alembic downgrade REVISION`; past revision 0002 only with drop_receipts while receipts exist
    (`-x drop_receipts=yes`, purgekit/downgrade_guards.py)."""
    command.downgrade(_downgrading(alembic_config(settings), drop_receipts), revision)


def upgrade_script(settings: Settings, revision: str = "head") -> str:
    """The offline (`--sql`) upgrade script, as `alembic upgrade head --sql` writes it."""
    buffer = io.StringIO()
    command.upgrade(alembic_config(settings, buffer), revision, sql=True)
    return buffer.getvalue()


def downgrade_script(settings: Settings, revision: str = "head:base", drop_receipts: bool = False) -> str:
    buffer = io.StringIO()
    command.downgrade(_downgrading(alembic_config(settings, buffer), drop_receipts), revision, sql=True)
    return buffer.getvalue()


def _downgrading(config: Config, drop_receipts: bool) -> Config:
    from purgekit.downgrade_guards import DROP_RECEIPTS_ATTRIBUTE

    config.attributes[DROP_RECEIPTS_ATTRIBUTE] = drop_receipts
    return config


def current_revision(settings: Settings) -> str | None:
    """The revision installed in the database, read from purgekit's own version table."""
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    from purgekit.config import VERSION_TABLE
    from purgekit.dialects import dialect_for

    engine = create_engine(settings.url, hide_parameters=True)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "version_table": VERSION_TABLE,
                    "version_table_schema": dialect_for(settings.dialect).version_table_schema(settings),
                },
            )
            return context.get_current_revision()
    finally:
        engine.dispose()
