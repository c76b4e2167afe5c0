"""`purgekit sample-stores create|fill|drop --prefix P`: synthetic stores to try purgekit on a scratch server.

The stores are purgekit_lab.synthetic's: the client's four stores under a prefix of their own, with their
tables, filled with made-up users. They carry a mark (purgekit_lab.synthetic), and only marked stores are
ever filled or dropped: a database that exists already is never created over, and a client's store is
never touched. The prefix may not be empty, so that sample stores never take a client's store names.
"""

from __future__ import annotations

import typer
from sqlalchemy import create_engine, pool
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from purgekit.commands.common import URL_OPTION, environment, settings_from
from purgekit.errors import BadInputError, DatabaseProblem, connection_failed
from purgekit.stores import Store
from purgekit_lab.synthetic import NotSynthetic, SyntheticStores

app = typer.Typer(
    name="sample-stores",
    help="Sample stores to try purgekit on a scratch server. Never touches a database it did not create.",
    no_args_is_help=True,
)

# The first sample user's number; the others follow it.
FIRST_WA_ID = 13_650_000_000
ENVIRONMENT = environment(("PURGEKIT_DATABASE_URL",))
PREFIX_OPTION = typer.Option(
    ...,
    "--prefix",
    metavar="PREFIX",
    help="The sample stores' WA_DB_NAME_PREFIX, not empty: try_ gives try_contactStore, try_messageStore, ...",
)
USERS_OPTION = typer.Option(1_000, "--users", metavar="N", min=1, help="Sample users.")
MESSAGES_OPTION = typer.Option(20_000, "--messages", metavar="N", min=0, help="Sample messages.")


def register(parent: typer.Typer) -> None:
    """Add `purgekit sample-stores ...` to the CLI."""
    parent.add_typer(app)


def _server(url: str | None) -> URL:
    """Where databases are created: the URL's server (PostgreSQL: its postgres database; MySQL: no schema)."""
    settings = settings_from(url)
    server = settings.url.set(database="postgres" if settings.family.stores_are_databases else "")
    engine = create_engine(server, poolclass=pool.NullPool)
    try:
        with engine.connect():
            pass
    except DBAPIError as error:
        raise connection_failed(server, error) from None
    finally:
        engine.dispose()
    return server


def _stores(prefix: str, url: str | None) -> tuple[SyntheticStores, URL]:
    if not prefix:
        raise BadInputError(
            "--prefix is empty: sample stores always have a prefix of their own, so they never take a client's names"
        )
    server = _server(url)
    return SyntheticStores(server.render_as_string(hide_password=False), prefix), server


def _names(stores: SyntheticStores) -> str:
    return ", ".join(stores.store_name(store) for store in Store)


def _fill(stores: SyntheticStores, users: int, messages: int) -> None:
    existing = stores.existing()
    stores.check_synthetic(existing)
    if len(existing) == len(Store) and any(stores.table_counts().values()):
        raise NotSynthetic("the sample stores hold rows already: drop them and create them again")
    counts = stores.fill(users=users, messages=messages, first_wa_id=FIRST_WA_ID)
    typer.echo(
        f"filled {_names(stores)}: {users:,} users (+{FIRST_WA_ID} to +{FIRST_WA_ID + users - 1}),"
        f" {messages:,} messages, {sum(counts.values()):,} rows"
    )


@app.command(epilog=ENVIRONMENT)
def create(
    prefix: str = PREFIX_OPTION,
    users: int | None = typer.Option(None, "--users", metavar="N", min=1, help="Fill them with N sample users."),
    messages: int = MESSAGES_OPTION,
    url: str | None = URL_OPTION,
) -> None:
    """Create the four sample stores, with the client's tables.

    Empty, or filled with --users N. Refused, nothing created, when any of them exists.
    Then: export WA_DB_NAME_PREFIX=PREFIX.
    """
    stores, server = _stores(prefix, url)
    with stores:
        try:
            stores.create()
            typer.echo(f"created {_names(stores)}")
            if users is not None:
                _fill(stores, users, messages)
        except NotSynthetic as error:
            raise DatabaseProblem("sample stores", server, str(error)) from None


@app.command(epilog=ENVIRONMENT)
def fill(
    prefix: str = PREFIX_OPTION,
    users: int = USERS_OPTION,
    messages: int = MESSAGES_OPTION,
    url: str | None = URL_OPTION,
) -> None:
    """Fill sample stores just created with made-up users.

    Their chats, messages, keys, ... Users are numbered from +13650000000; about one in 50 changed
    numbers (wa_phones maps them to another jid). Refused unless `purgekit sample-stores create` made
    the stores.
    """
    stores, server = _stores(prefix, url)
    with stores:
        try:
            _fill(stores, users, messages)
        except NotSynthetic as error:
            raise DatabaseProblem("sample stores", server, str(error)) from None


@app.command(epilog=ENVIRONMENT)
def drop(prefix: str = PREFIX_OPTION, url: str | None = URL_OPTION) -> None:
    """Drop the sample stores.

    Refused, nothing dropped, when any of them was not created as a sample store.
    """
    stores, server = _stores(prefix, url)
    with stores:
        try:
            existing = stores.existing()
            stores.drop()
        except NotSynthetic as error:
            raise DatabaseProblem("sample stores", server, str(error)) from None
    typer.echo(f"dropped {', '.join(sorted(existing))}" if existing else f"no sample stores under {prefix!r}")
