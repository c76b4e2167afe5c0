"""A table of purgekit's own declared once (purgekit/objects/declared_table.py) is created and dropped on
each family as declared: the catalog shows its columns, keys and indexes, and nothing after the drop."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, inspect

from purgekit.dialects.base import HOST_STORE
from purgekit.objects.declared_table import DeclaredTable
from purgekit.sql import execute_as_written


def declared(schema: str) -> Table:
    table = Table(
        "purgekit_declared_example",
        MetaData(),
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("chat", String(256), nullable=False),
        schema=schema,
        mysql_engine="InnoDB",
        mysql_charset="utf8mb4",
    )
    Index("purgekit_declared_example_chat", table.c.chat)
    return table


def test_a_declared_table_is_created_and_dropped_as_declared(stores):
    family = stores.settings.family
    # Where purgekit keeps its tables on the store that hosts its routines: PostgreSQL's contactStore
    # database (its public schema here: nothing is installed yet), MySQL's contactStore schema.
    schema = "public" if family.stores_are_databases else stores.settings.store_name(HOST_STORE)
    table = DeclaredTable(declared(schema), family)
    with stores.engine.begin() as connection:
        for statement in table.create():
            execute_as_written(connection, statement.sql)
    with stores.engine.connect() as connection:
        catalog = inspect(connection)
        found = catalog.get_columns(table.table.name, schema)
        columns = {c["name"]: (str(c["type"]).lower(), c["nullable"]) for c in found}
        assert columns == {"id": ("bigint", False), "chat": ("varchar(256)", False)}
        assert catalog.get_pk_constraint(table.table.name, schema)["constrained_columns"] == ["id"]
        indexes = {i["name"]: i["column_names"] for i in catalog.get_indexes(table.table.name, schema)}
        assert indexes == {"purgekit_declared_example_chat": ["chat"]}
        assert table.granted(connection) == set()
    with stores.engine.begin() as connection:
        for statement in table.drop():
            execute_as_written(connection, statement.sql)
    with stores.engine.connect() as connection:
        assert not inspect(connection).has_table(table.table.name, schema)


def test_a_declared_table_renders_each_familys_sql():
    from purgekit.dialects import family_for

    postgresql = DeclaredTable(declared("purgekit"), family_for("postgresql"))
    mysql = DeclaredTable(declared("contactStore"), family_for("mysql"))
    assert postgresql.identity == "purgekit.purgekit_declared_example"
    assert mysql.identity == "`contactStore`.purgekit_declared_example"
    assert [s.sql.splitlines()[0] for s in postgresql.create()] == [
        "CREATE TABLE purgekit.purgekit_declared_example (",
        "CREATE INDEX purgekit_declared_example_chat ON purgekit.purgekit_declared_example (chat)",
    ]
    assert mysql.create()[0].sql.endswith(")ENGINE=InnoDB CHARSET=utf8mb4")
    assert [s.sql for s in mysql.drop()] == ["DROP TABLE `contactStore`.purgekit_declared_example"]
