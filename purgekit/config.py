"""purgekit's configuration: every setting, where it comes from, and its default.

Settings come from the environment, and for Alembic also from `alembic -x key=value` (which wins).
Nothing here is ever read from alembic.ini or any committed file, so no credential is committed.

Every setting that lands in SQL is checked here, once, for the contexts it lands in (purgekit/sql.py quotes
it for each): a value no quoting can make mean what it says (a NUL or a newline in a name, a name the server
would truncate into another one, a MySQL account that does not parse, EXECUTE for PUBLIC) is refused when
the Settings are made, before anything runs: ConfigurationError, one line naming the setting and the rule.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property

from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from purgekit.errors import BadInputError, ConfigurationError
from purgekit.sql import engine_for, mysql_account
from purgekit.stores import Store, store_name

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
    "PURGEKIT_EXECUTE_GRANTEES": "who may EXECUTE the erase routine (a,b,...)",
    "PURGEKIT_GC_GRANTEES": "who may EXECUTE the collector's routines",
    "PURGEKIT_GC_MIN_RETENTION": "shortest retention the collector accepts (1d)",
    "PURGEKIT_DELETION_GRANTEES": "who may EXECUTE the message and chat deletion",
    "PURGEKIT_RECEIPT_SALT": "secret keying receipts' hashes (16+ characters)",
    "PURGEKIT_API_TOKENS": "serve: bearer tokens, comma-separated, or /path/to/file",
    "PURGEKIT_NODES": "serve/worker: Multiconnect nodes, NAME=URL,NAME=URL",
    "PURGEKIT_CALLBACK_URL": "serve/worker: where gc notifications are POSTed",
    "PURGEKIT_GC_OLDER_THAN": "serve: gc's retention when the PUT gives none",
    "PURGEKIT_GC_BATCH_SIZE": "serve: gc's message ids per batch (default 5000)",
    "PURGEKIT_GC_SLEEP": "serve/worker: gc's pause between batches (seconds)",
    "PURGEKIT_GC_PARALLEL": "serve/worker: MySQL gc's sessions at once (default 1)",
    "PURGEKIT_MAX_REQUEST_BYTES": "serve: largest request body (default 65536)",
    # delete-message --for-everyone (purgekit/gateway.py, purgekit/message_deletion/rules.py).
    "PURGEKIT_WHATSAPP_GATEWAY": "WhatsApp gateway's URL (docs/gateway.md)",
    "PURGEKIT_REVOKE_WINDOW": "how long WhatsApp deletes for everyone (60h)",
    "PURGEKIT_BUSINESS_JID": "the business's own jid (group rules)",
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
    # Roles (PostgreSQL) or accounts (MySQL) granted EXECUTE on the garbage collector's routines (revision 0006).
    gc_grantees: tuple[str, ...] = ()
    # The shortest retention the installed collector accepts, whoever calls it (revision 0006), in ms.
    gc_min_retention_ms: int = 86_400_000
    # Roles (PostgreSQL) or accounts (MySQL) granted EXECUTE on the routines deleting one message or one chat.
    deletion_grantees: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check(self)

    @property
    def dialect(self) -> str:
        return self.url.get_dialect().name

    @cached_property
    def family(self):  # -> purgekit.dialects.Dialect (which imports this module)
        """The database family these settings configure (purgekit/dialects/): its SQL and its catalog."""
        from purgekit.dialects import family_for

        return family_for(self.dialect)

    def store_name(self, store: Store) -> str:
        """The store's database (PostgreSQL) or schema (MySQL) name, as the client names it."""
        return store_name(self.db_name_prefix, store)

    def prefixed_as_url(self) -> Settings:
        """These settings, the prefix read off the URL when it names <x>contactStore (Multiconnect: one
        command reaches each node's stores, each named after its own URL's database)."""
        name = self.url.database or ""
        if not name.endswith(Store.CONTACT.value):
            return self
        return replace(self, db_name_prefix=name.removesuffix(Store.CONTACT.value))


# Where the Settings of a migration run travel on Alembic's Config (config.attributes[SETTINGS_ATTRIBUTE]).
SETTINGS_ATTRIBUTE = "purgekit_settings"

# The longest name each family keeps whole: PostgreSQL truncates identifiers at 63 bytes (NAMEDATALEN - 1),
# silently, so a longer name would be another object's; MySQL refuses names over 64 characters.
MAX_PG_NAME_BYTES = 63
MAX_MYSQL_NAME_CHARS = 64
# PURGEKIT_SCHEMA gets a suffix for the collector's own schema (purgekit/gc/postgresql.py: `<schema>_gc`).
SCHEMA_SUFFIX = "_gc"
# The chat deletion's schema (revision 0008): the longer name, checked too.
CHAT_SCHEMA_SUFFIX = "_chat"
# Role names PostgreSQL reads as keywords whatever the quoting: never a role purgekit may grant to or own by.
PG_RESERVED_ROLES = ("public", "none")


def _refuse(setting: str, value: str | None, rule: str) -> ConfigurationError:
    shown = "" if value is None else f"={ascii(value)}"
    return ConfigurationError(f"{setting}{shown}: {rule}")


def _printable(setting: str, value: str, what: str, secret: bool = False) -> None:
    """No control character (NUL, newline, tab, ...): no name or address holds one, and a NUL cannot be
    sent to PostgreSQL at all."""
    if any(not character.isprintable() for character in value):
        raise _refuse(setting, None if secret else value, f"control characters cannot be part of {what}")


def _pg_name(setting: str, value: str, what: str, suffix: str = "") -> None:
    _printable(setting, value, what)
    if not value:
        raise _refuse(setting, value, f"{what} cannot be empty")
    if len((value + suffix).encode()) > MAX_PG_NAME_BYTES:
        limit = MAX_PG_NAME_BYTES - len(suffix.encode())
        raise _refuse(setting, value, f"more than {limit} bytes: PostgreSQL would truncate {what} into another name")


def _pg_role(setting: str, value: str) -> None:
    _pg_name(setting, value, "a role name")
    if value.lower() in PG_RESERVED_ROLES:
        raise _refuse(setting, value, f"{value} is not a role: PostgreSQL reads it as a keyword (everyone, nobody)")


def _mysql_account(setting: str, value: str) -> None:
    _printable(setting, value, "an account")
    try:
        account = mysql_account(value)
    except ValueError:
        raise _refuse(setting, value, "not an account: user@host, or 'user'@'host' (each quoted part whole)") from None
    for part in (account.user or "", account.host or ""):
        if "\\" in part:
            raise _refuse(setting, value, "a backslash in an account would read differently under NO_BACKSLASH_ESCAPES")


def _check(settings: Settings) -> None:
    """Refuse, with the setting named, any value that cannot be made safe for where it lands in SQL."""
    mysql = settings.url.get_backend_name() != "postgresql"
    prefix = settings.db_name_prefix
    _printable("WA_DB_NAME_PREFIX", prefix, "a database name")
    if "\\" in prefix:
        # MySQL reads a backslash in a string literal according to sql_mode (NO_BACKSLASH_ESCAPES).
        raise _refuse("WA_DB_NAME_PREFIX", prefix, "a backslash in a store name would read differently by sql_mode")
    longest = max((settings.store_name(store) for store in Store), key=lambda name: len(name.encode()))
    if mysql and len(longest) > MAX_MYSQL_NAME_CHARS:
        rule = f"{longest!r} is longer than MySQL's {MAX_MYSQL_NAME_CHARS} characters"
        raise _refuse("WA_DB_NAME_PREFIX", prefix, rule)
    if not mysql and len(longest.encode()) > MAX_PG_NAME_BYTES:
        rule = f"{longest!r} is longer than {MAX_PG_NAME_BYTES} bytes: PostgreSQL would truncate it"
        raise _refuse("WA_DB_NAME_PREFIX", prefix, rule)
    accounts = [
        (setting, grantee)
        for setting, grantees in (
            ("PURGEKIT_EXECUTE_GRANTEES", settings.execute_grantees),
            ("PURGEKIT_GC_GRANTEES", settings.gc_grantees),
            ("PURGEKIT_DELETION_GRANTEES", settings.deletion_grantees),
        )
        for grantee in grantees
    ]
    if settings.routine_owner is not None:
        accounts.insert(0, ("PURGEKIT_ROUTINE_OWNER", settings.routine_owner))
    for setting, value in accounts:
        if mysql:
            _mysql_account(setting, value)
        else:
            _pg_role(setting, value)
    if mysql:
        return
    _pg_name("PURGEKIT_SCHEMA", settings.schema, "a schema name", SCHEMA_SUFFIX)
    _pg_name("PURGEKIT_SCHEMA", settings.schema, "a schema name", CHAT_SCHEMA_SUFFIX)
    if settings.schema.startswith("pg_"):
        raise _refuse("PURGEKIT_SCHEMA", settings.schema, "schema names starting with pg_ are PostgreSQL's own")
    if settings.fdw is not None:
        _printable("PURGEKIT_FDW_HOST", settings.fdw.host, "a host name")
        if not settings.fdw.host:
            raise _refuse("PURGEKIT_FDW_HOST", settings.fdw.host, "a host name cannot be empty")
        _pg_name("PURGEKIT_FDW_USER", settings.fdw.user, "a role name")
        if not 1 <= settings.fdw.port <= 65535:
            raise _refuse("PURGEKIT_FDW_PORT", str(settings.fdw.port), "not a port number (1 to 65535)")
        if settings.fdw.password is not None and "\0" in settings.fdw.password:
            raise _refuse("PURGEKIT_FDW_PASSWORD", None, "a NUL character cannot be sent to PostgreSQL")


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
    # Imported here: purgekit.gc imports this module.
    from purgekit.gc.retention import parse_retention

    min_retention = env.get("PURGEKIT_GC_MIN_RETENTION") or "1d"
    return Settings(
        url=url,
        db_name_prefix=env.get("WA_DB_NAME_PREFIX", ""),
        fdw=fdw,
        routine_owner=env.get("PURGEKIT_ROUTINE_OWNER") or None,
        execute_grantees=_split(env.get("PURGEKIT_EXECUTE_GRANTEES")),
        schema=env.get("PURGEKIT_SCHEMA") or "purgekit",
        gc_grantees=_split(env.get("PURGEKIT_GC_GRANTEES")),
        deletion_grantees=_split(env.get("PURGEKIT_DELETION_GRANTEES")),
        gc_min_retention_ms=parse_retention(min_retention, "PURGEKIT_GC_MIN_RETENTION", ConfigurationError),
    )


def engine_and_settings(url_or_engine: str | Engine, settings: Settings | None) -> tuple[Engine, bool, Settings]:
    """What the Python API works with: the engine (made from a URL as every command reads it, plain
    postgresql:// and mysql:// getting purgekit's drivers), whether the caller must dispose of it (made here),
    and the settings (default: the environment's, with the engine's URL)."""
    if isinstance(url_or_engine, Engine):
        engine, owned = url_or_engine, False
    else:
        engine, owned = engine_for(parse_url(url_or_engine, "the URL given")), True
    if settings is None:
        settings = load_settings(
            overrides={"url": engine.url.render_as_string(hide_password=False)}, url_option="the URL given"
        )
    return engine, owned, settings


def named_urls(option: str, specs: list[str], example: str) -> list[tuple[str, str]]:
    """(name, URL) per NAME=URL spec (--node, --replica, PURGEKIT_NODES): each URL read as every command reads
    one; BadInputError (exit 2) for a spec that is not NAME=URL or a name given twice."""
    named: list[tuple[str, str]] = []
    for spec in specs:
        name, sep, url = spec.partition("=")
        if not sep or not name.strip() or not url.strip():
            raise BadInputError(f"{option} {spec.split('=')[0]!r} is not NAME=URL (e.g. {example})")
        if any(name == seen for seen, _ in named):
            raise BadInputError(f"{option} {name!r} is given twice")
        parse_url(url, f"{option} {name}")
        named.append((name, url))
    return named
