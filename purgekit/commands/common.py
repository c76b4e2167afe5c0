"""What every command shares: where the database is, and how to connect to it."""

from __future__ import annotations

import typer
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from purgekit.config import Settings, load_settings

URL_OPTION = typer.Option(
    None, "--url", help="SQLAlchemy URL of the database hosting the routines (default: $PURGEKIT_DATABASE_URL)."
)


def settings_from(url: str | None) -> Settings:
    return load_settings(overrides={"url": url} if url else None)


def engine_for(settings: Settings) -> Engine:
    # hide_parameters: bound values (phone numbers, secrets) never appear in errors or logs.
    return create_engine(settings.url, hide_parameters=True)
