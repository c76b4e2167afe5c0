"""purgekit's configuration: every setting, where it comes from, and its default.

Settings come from the environment, and for Alembic also from `alembic -x key=value` (which wins).
Nothing here is ever read from alembic.ini or any committed file, so no credential is committed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from purgekit.errors import ConfigurationError
from purgekit.stores import Store

# purgekit's own Alembic version table: never the application's alembic_version.
VERSION_TABLE = "purgekit_version"

URL_VARIABLE = "PURGEKIT_DATABASE_URL"

# Every environment variable purgekit reads, as the commands' help lists them (docs/configuration.md
# has the full table).
ENVIRONMENT = {
    URL_VARIABLE: "the database URL, when --url is not given",
    "WA_DB_NAME_PREFIX": "prefix of store names (acme_: acme_contactStore)",
    "PURGEKIT_FDW_HOST": "PostgreSQL: other stores' host (default: URL's)",
    "PURGEKIT_FDW_PORT": "PostgreSQL: their port (default: the URL's)",
    "PURGEKIT_FDW_USER": "PostgreSQL: user reaching them (default: URL's)",
    "PURGEKIT_FDW_PASSWORD": "PostgreSQL: its password (default: the URL's)",
    "PURGEKIT_SCHEMA": "PostgreSQL: purgekit's own schema (purgekit)",
    "PURGEKIT_ROUTINE_OWNER": "routines' owner (PostgreSQL) or DEFINER (MySQL)",
    "PURGEKIT_EXECUTE_GRANTEES": "who may EXECUTE the routines, comma-separated",
    "PURGEKIT_RECEIPT_SALT": "secret keying receipts' hashes (16+ characters)",
}


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

    def prefixed_as_url(self) -> Settings:
        """These settings, the prefix read off the URL when it names <x>contactStore (Multiconnect: one
        command reaches each node's stores, each named after its own URL's database)."""
        name = self.url.database or ""
        if not name.endswith(Store.CONTACT.value):
            return self
        return replace(self, db_name_prefix=name.removesuffix(Store.CONTACT.value))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


# The URLs DBAs type name no driver: they get the ones purgekit ships (SQLAlchemy's defaults, psycopg 3
# and MySQLdb, are not installed with purgekit).
SHIPPED_DRIVERS = {
    "postgresql": "postgresql+psycopg2",
    "postgres": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql",
}
# What to pip install for a driver SQLAlchemy knows and purgekit does not ship (default: the driver's name).
DRIVER_PACKAGES = {
    "psycopg": "psycopg[binary]",
    "mysqldb": "mysqlclient",
    "mysqlconnector": "mysql-connector-python",
    "mariadbconnector": "mariadb",
}
URL_FORMS = "postgresql://user:password@host/contactStore or mysql://user:password@host/"


def masked(url: URL) -> str:
    """The URL as purgekit shows it anywhere: its password as ***."""
    return url.render_as_string(hide_password=True)


def _make_url(raw: str) -> URL:
    """make_url(), but a password holding an unencoded '@' is taken whole: userinfo ends at the last '@'
    (as urllib does; SQLAlchemy stops at the first, which shows the password's tail as the host)."""
    scheme, separator, rest = raw.partition("://")
    if separator and rest.count("@") > 1:
        userinfo, _, location = rest.rpartition("@")
        rest = userinfo.replace("@", "%40") + "@" + location  # SQLAlchemy decodes %40 in user and password
    return make_url(f"{scheme}{separator}{rest}")


def parse_url(raw: str | None, source: str = URL_VARIABLE, option: str = "--url") -> URL:
    """The one place a database URL is read (every command, both Alembic environments, the Python API).

    Plain postgresql://, postgres://, mysql:// and mariadb:// get the drivers purgekit ships; a driver
    that is not installed, async or unknown is refused here, before anything connects. `source` names
    where the URL came from; `option`, how else to give one.
    """
    if not raw:
        raise ConfigurationError(f"no database URL: set {URL_VARIABLE} or pass {option} ({URL_FORMS})")
    try:
        url = _make_url(raw)
    except (ArgumentError, ValueError):
        raise ConfigurationError(f"bad database URL in {source}: not a URL like {URL_FORMS}") from None
    url = url.set(drivername=SHIPPED_DRIVERS.get(url.drivername, url.drivername))
    where = f"bad database URL in {source} ({masked(url)})"
    if url.get_backend_name() not in ("postgresql", "mysql", "mariadb"):
        raise ConfigurationError(
            f"{where}: the backend {url.get_backend_name()!r} is not one purgekit supports (postgresql, mysql, mariadb)"
        )
    plain = f"{url.get_backend_name()}://"
    try:
        dialect = url.get_dialect()
    except NoSuchModuleError:
        raise ConfigurationError(
            f"{where}: SQLAlchemy knows no driver {url.get_driver_name()!r};"
            f" write {plain} to use the one purgekit ships"
        ) from None
    if getattr(dialect, "is_async", False):
        raise ConfigurationError(
            f"{where}: {url.get_driver_name()} is an asyncio driver, which purgekit cannot use;"
            f" write {plain} to use the one purgekit ships"
        )
    try:
        dialect.import_dbapi()
    except ImportError:
        driver = url.get_driver_name()
        raise ConfigurationError(
            f"{where}: the driver {driver} is not installed: pip install {DRIVER_PACKAGES.get(driver, driver)},"
            f" or write {plain} to use the one purgekit ships"
        ) from None
    return url


def load_settings(
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, str] | None = None,
    url_option: str = "alembic -x url=...",
) -> Settings:
    """Settings from the environment; `overrides` win over it: a URL given as `url_option` (--url,
    alembic -x url=...), which errors name."""
    env = dict(os.environ if environ is None else environ)
    over = dict(overrides or {})
    if "url" in over:
        url = parse_url(over["url"], url_option.removesuffix("=..."), url_option)
    else:
        url = parse_url(env.get(URL_VARIABLE), URL_VARIABLE, url_option)

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
