"""What purgekit's Alembic environments (migrations/, migrations_indexes/) share.

Settings come from purgekit.deploy (handed in through Config.attributes) or from the environment and
`alembic -x`; a bad setting or an unreachable server is one line on stderr and exit 2, not a traceback.
"""

from __future__ import annotations

import sys
from typing import NoReturn

from alembic.environment import EnvironmentContext
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from purgekit.config import Settings, load_settings
from purgekit.errors import PurgekitError


def fail(message: str) -> NoReturn:
    """One line, no traceback, non-zero exit: what a DBA needs when the database can't be reached."""
    print(f"purgekit: {message}", file=sys.stderr)
    raise SystemExit(2)


def configure_logging(context: EnvironmentContext) -> None:
    config = context.config
    if config.config_file_name is not None and not config.attributes.get("purgekit_quiet_logging"):
        from logging.config import fileConfig

        fileConfig(config.config_file_name, disable_existing_loggers=False)


def settings_of(context: EnvironmentContext) -> Settings:
    """purgekit.deploy hands in Settings directly; the alembic command line reads the environment and -x."""
    config = context.config
    settings = config.attributes.get("purgekit_settings")
    if settings is None:
        try:
            settings = load_settings(overrides=context.get_x_argument(as_dictionary=True))
        except PurgekitError as error:
            fail(str(error))
        config.attributes["purgekit_settings"] = settings
    return settings


def connect(settings: Settings, **engine_options) -> tuple[Engine, Connection]:
    # hide_parameters: a bound secret (the FDW password) never shows in an error or a log.
    engine = create_engine(settings.url, poolclass=pool.NullPool, hide_parameters=True, **engine_options)
    try:
        return engine, engine.connect()
    except (OperationalError, DBAPIError) as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        fail(f"cannot connect to {settings.url.render_as_string(hide_password=True)}: {reason}")
