"""purgekit's configuration: every setting, where it comes from, and its default.

Settings come from the environment, and for Alembic also from `alembic -x key=value` (which wins).
Nothing here is ever read from alembic.ini or any committed file, so no credential is committed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from purgekit.errors import ConfigurationError
from purgekit.stores import Store

# purgekit's own Alembic version table: never the application's alembic_version.
VERSION_TABLE = "purgekit_version"

URL_VARIABLE = "PURGEKIT_DATABASE_URL"


@dataclass(frozen=True)
class FdwCredentials:
    """How the PostgreSQL foreign servers reach the other stores. Defaults: the URL's own."""

    host: str
    port: int
    user: str
    password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settings:
    url: URL
    db_name_prefix: str = ""
    fdw: FdwCredentials | None = None
    # PostgreSQL: the role owning the erase function (SECURITY DEFINER) and the objects it reads.
    # MySQL: the procedure's DEFINER ('user'@'host'). None: whoever runs the migration.
    routine_owner: str | None = None
    # Roles (PostgreSQL) or accounts (MySQL) granted EXECUTE on the erase routine.
    execute_grantees: tuple[str, ...] = ()
    # PostgreSQL: the schema of purgekit's own that holds the foreign tables.
    schema: str = "purgekit"

    @property
    def dialect(self) -> str:
        return self.url.get_dialect().name

    def store_name(self, store: Store) -> str:
        """The store's database (PostgreSQL) or schema (MySQL) name, as the client names it."""
        return f"{self.db_name_prefix}{store.value}"


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def parse_url(raw: str | None, source: str) -> URL:
    if not raw:
        raise ConfigurationError(
            f"no database URL: set {URL_VARIABLE} or pass `alembic -x url=...` "
            "(a SQLAlchemy URL, e.g. postgresql+psycopg2://user@host/contactStore)"
        )
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigurationError(f"{source} is not a SQLAlchemy URL (dialect+driver://user:password@host/db)") from None
    if url.get_backend_name() not in ("postgresql", "mysql", "mariadb"):
        raise ConfigurationError(
            f"{source} names the backend {url.get_backend_name()!r}: purgekit supports postgresql, mysql and mariadb"
        )
    return url


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, str] | None = None) -> Settings:
    """Settings from the environment; `overrides` (alembic -x) win over it."""
    env = dict(os.environ if environ is None else environ)
    over = dict(overrides or {})
    if "url" in over:
        url = parse_url(over["url"], "alembic -x url")
    else:
        url = parse_url(env.get(URL_VARIABLE), URL_VARIABLE)

    fdw = None
    if url.get_backend_name() == "postgresql":
        port = env.get("PURGEKIT_FDW_PORT") or str(url.port or 5432)
        if not port.isdigit():
            raise ConfigurationError(f"PURGEKIT_FDW_PORT={port!r} is not a port number")
        fdw = FdwCredentials(
            host=env.get("PURGEKIT_FDW_HOST") or url.host or "localhost",
            port=int(port),
            user=env.get("PURGEKIT_FDW_USER") or url.username or "postgres",
            password=env.get("PURGEKIT_FDW_PASSWORD", url.password),
        )
    return Settings(
        url=url,
        db_name_prefix=env.get("WA_DB_NAME_PREFIX", ""),
        fdw=fdw,
        routine_owner=env.get("PURGEKIT_ROUTINE_OWNER") or None,
        execute_grantees=_split(env.get("PURGEKIT_EXECUTE_GRANTEES")),
        schema=env.get("PURGEKIT_SCHEMA") or "purgekit",
    )
