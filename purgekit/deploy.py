"""Run purgekit's Alembic migrations from Python: what `alembic upgrade` does, with Settings in hand.

The migrations ship with the package: a wheel maps the clone's top-level migrations/ and
migrations_indexes/ into purgekit/ (pyproject.toml), so `purgekit db upgrade` works where there is no
clone; in a clone they are read where they are, and alembic.ini there keeps working too. Both use
the same revisions, version table and offline scripts.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config

from purgekit.config import SETTINGS_ATTRIBUTE, Settings
from purgekit.sql import engine_for

PACKAGE_DIR = Path(__file__).resolve().parent
# A clone: migrations/, migrations_indexes/ and alembic.ini at its top, beside the package.
PROJECT_ROOT = PACKAGE_DIR.parent


def _shipped(name: str) -> Path:
    """A directory of the clone's top level, where an installed wheel holds it (purgekit/<name>) or the clone's."""
    packaged = PACKAGE_DIR / name
    return packaged if packaged.is_dir() else PROJECT_ROOT / name


MIGRATIONS = _shipped("migrations")
INDEX_MIGRATIONS = _shipped("migrations_indexes")
INDEX_SECTION = "indexes"  # alembic.ini's section for the index chain (`alembic -n indexes`)


def alembic_config(settings: Settings | None, output: TextIO | None = None) -> Config:
    """Alembic's configuration as alembic.ini has it, built in code: no file needed. Settings are for
    the environment (None: a command that runs none, such as history)."""
    config = Config(output_buffer=output)
    for section, location in (("alembic", MIGRATIONS), (INDEX_SECTION, INDEX_MIGRATIONS)):
        # ConfigParser interpolates '%': a path holding one is written %%.
        config.set_section_option(section, "script_location", str(location).replace("%", "%%"))
        config.set_section_option(section, "path_separator", "os")
    if settings is not None:
        config.attributes[SETTINGS_ATTRIBUTE] = settings
    config.attributes["purgekit_quiet_logging"] = True
    return config


def head_revision() -> str:
    """The newest revision of the main chain this purgekit ships."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def upgrade(settings: Settings, revision: str = "head") -> None:
    command.upgrade(alembic_config(settings), revision)


def downgrade(settings: Settings, revision: str = "base", drop_receipts: bool = False, drop_jobs: bool = False) -> None:
    """`alembic downgrade REVISION`; past revision 0002 only with drop_receipts while receipts exist
    (`-x drop_receipts=yes`), past revision 0009 only with drop_jobs while jobs exist (purgekit/downgrade_guards.py)."""
    command.downgrade(downgrading(alembic_config(settings), drop_receipts, drop_jobs), revision)


def upgrade_script(settings: Settings, revision: str = "head") -> str:
    """The offline (`--sql`) upgrade script, as `alembic upgrade head --sql` writes it."""
    buffer = io.StringIO()
    command.upgrade(alembic_config(settings, buffer), revision, sql=True)
    return buffer.getvalue()


def downgrade_script(
    settings: Settings, revision: str = "head:base", drop_receipts: bool = False, drop_jobs: bool = False
) -> str:
    buffer = io.StringIO()
    command.downgrade(downgrading(alembic_config(settings, buffer), drop_receipts, drop_jobs), revision, sql=True)
    return buffer.getvalue()


def downgrading(config: Config, drop_receipts: bool, drop_jobs: bool = False) -> Config:
    """The configuration, told whether a downgrade may drop the receipts, the jobs (purgekit/downgrade_guards.py)."""
    from purgekit.downgrade_guards import DROP_JOBS_ATTRIBUTE, DROP_RECEIPTS_ATTRIBUTE

    config.attributes[DROP_RECEIPTS_ATTRIBUTE] = drop_receipts
    config.attributes[DROP_JOBS_ATTRIBUTE] = drop_jobs
    return config


def current_revision(settings: Settings) -> str | None:
    """The revision installed in the database, read from purgekit's own version table."""
    from alembic.runtime.migration import MigrationContext

    from purgekit.config import VERSION_TABLE

    engine = engine_for(settings.url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "version_table": VERSION_TABLE,
                    "version_table_schema": settings.family.version_table_schema(settings),
                },
            )
            return context.get_current_revision()
    finally:
        engine.dispose()
