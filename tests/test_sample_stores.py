"""`purgekit sample-stores create|fill|drop`: sample stores on a scratch server, and never a database it did
not create (SyntheticStores itself: create() never drops an existing database, drop() only drops its own)."""

from __future__ import annotations

import secrets

import pytest
from commands import one_line, plain, purgekit
from purgekit_lab.synthetic import NotSynthetic, SyntheticStores
from sqlalchemy import create_engine, text

from purgekit.config import parse_url
from purgekit.stores import Store


def server_env(server, database: str | None = None) -> dict[str, str]:
    """PURGEKIT_DATABASE_URL as a DBA sets it: PostgreSQL's names <prefix>contactStore, MySQL's the server."""
    url = server.url_for(database) if database and server.dialect == "postgresql" else server.url
    return {"PURGEKIT_DATABASE_URL": plain(url)}


def names(prefix: str) -> set[str]:
    return {f"{prefix}{store.value}" for store in Store}


def test_create_fill_then_drop(server):
    prefix = f"try_{secrets.token_hex(3)}_"
    env = server_env(server, f"{prefix}contactStore")
    created = purgekit("sample-stores", "create", "--prefix", prefix, "--users", "40", "--messages", "400", **env)
    assert created.returncode == 0, created.stderr
    stores = ", ".join(f"{prefix}{store.value}" for store in Store)
    assert created.stdout.splitlines()[0] == f"created {stores}"
    assert created.stdout.splitlines()[1].startswith(
        f"filled {stores}: 40 users (+13650000000 to +13650000039), 400 messages, "
    )
    with SyntheticStores(server.url, prefix) as samples:
        assert samples.existing() == names(prefix)
        assert samples.table_counts()[("messageStore", "messages")] == 400
        again = purgekit("sample-stores", "fill", "--prefix", prefix, "--users", "10", **env)
        assert again.returncode == 2
        assert one_line(again).endswith(": the sample stores hold rows already: drop them and create them again")

        dropped = purgekit("sample-stores", "drop", "--prefix", prefix, **env)
        assert (dropped.returncode, dropped.stdout) == (0, f"dropped {', '.join(sorted(names(prefix)))}\n")
        assert samples.existing() == set()


def test_an_empty_prefix_is_refused_before_connecting():
    result = purgekit(
        "sample-stores", "create", "--prefix", "", PURGEKIT_DATABASE_URL="postgresql://dba@127.0.0.1:9/contactStore"
    )
    assert result.returncode == 2
    assert one_line(result) == (
        "purgekit: --prefix is empty: sample stores always have a prefix of their own,"
        " so they never take a client's names"
    )


@pytest.fixture
def clients_store(server):
    """A client's <prefix>contactStore with one row, made by hand: not a sample store."""
    prefix = f"client_{secrets.token_hex(3)}_"
    name = f"{prefix}contactStore"
    admin = create_engine(server.url, isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote_identifier
    with admin.connect() as connection:
        connection.exec_driver_sql(f"CREATE DATABASE {quote(name)}")
    store = create_engine(server.url_for(name))
    schema = "public" if server.dialect == "postgresql" else name
    table = f"{quote(schema)}.{quote('wa_phones')}"
    with store.begin() as connection:
        connection.exec_driver_sql(f"CREATE TABLE {table} (phone_number VARCHAR(32) PRIMARY KEY, jid VARCHAR(256))")
        connection.exec_driver_sql(f"INSERT INTO {table} VALUES ('+13655559020', '13655559020@s.whatsapp.net')")

    def rows() -> list[tuple]:
        with store.connect() as connection:
            return [tuple(row) for row in connection.execute(text(f"SELECT * FROM {table}"))]

    yield prefix, rows
    store.dispose()
    force = " WITH (FORCE)" if server.dialect == "postgresql" else ""
    with admin.connect() as connection:
        connection.exec_driver_sql(f"DROP DATABASE {quote(name)}{force}")
    admin.dispose()


def test_a_database_it_did_not_create_is_never_touched(server, clients_store):
    prefix, rows = clients_store
    env = server_env(server, f"{prefix}contactStore")
    kept = [("+13655559020", "13655559020@s.whatsapp.net")]
    maintenance = "postgres" if server.dialect == "postgresql" else ""  # where databases are created from
    shown = parse_url(env["PURGEKIT_DATABASE_URL"]).set(database=maintenance).render_as_string(hide_password=True)

    create = purgekit("sample-stores", "create", "--prefix", prefix, **env)
    assert create.returncode == 2
    assert one_line(create) == (
        f"purgekit: sample stores ({shown}): {prefix}contactStore already exists on this server:"
        " sample stores are never created over a database (drop them first if they are samples)"
    )
    fill = purgekit("sample-stores", "fill", "--prefix", prefix, **env)
    assert fill.returncode == 2 and one_line(fill).endswith("was not created as sample stores: left untouched")
    drop = purgekit("sample-stores", "drop", "--prefix", prefix, **env)
    assert drop.returncode == 2
    assert one_line(drop) == (
        f"purgekit: sample stores ({shown}): {prefix}contactStore was not created as sample stores: left untouched"
    )

    # The same from Python: SyntheticStores itself refuses (create() used to drop the database first).
    with SyntheticStores(server.url, prefix) as samples:
        with pytest.raises(NotSynthetic):
            samples.create()
        with pytest.raises(NotSynthetic):
            samples.drop()
        assert samples.existing() == {f"{prefix}contactStore"}
    assert rows() == kept
