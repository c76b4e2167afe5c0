"""Synthetic On-Premises stores: create the four stores, fill them in bulk, add one known user.

fill() is set-based: each table is loaded by INSERT ... SELECT over a numbers source, the row for
number n being pure arithmetic on n (a deterministic hash stands in for randomness), so millions of
rows load in a few statements, and the same arguments give the same rows on the same day (the
timestamps span the year up to today). add_user() inserts a handful of literal rows whose values
all derive from the user's jid, so that users never collide with one another nor with fill()'s rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    create_engine,
    func,
    insert,
    select,
)
from sqlalchemy.engine import make_url

from purgekit.errors import ConfigurationError
from purgekit.stores import DEFAULT_JID_DOMAIN, ERASURE_PLAN_V1, Store, store_name
from purgekit_lab.synthetic import schema
from purgekit_lab.synthetic.dialects import family_of
from purgekit_lab.synthetic.population import (
    DEFER_INDEXES_FROM_ROWS,
    Load,
    Population,
    as_sql,
    chunks,
    start_of_year_ago,
)
from purgekit_lab.synthetic.user import UserRows


class NotSynthetic(ConfigurationError):
    """A database the synthetic stores did not create: it is left untouched (exit 2)."""


# (store value, table name), e.g. ("messageStore", "messages").
TableKey = tuple[str, str]


class SyntheticStores:
    """The four synthetic stores on one server, named prefix + store (as WA_DB_NAME_PREFIX does).

    admin_url: a SQLAlchemy URL to the server; for PostgreSQL naming any database but the stores
    (e.g. postgres), for MySQL/MariaDB naming none.
    """

    def __init__(self, admin_url: str, prefix: str = "") -> None:
        self.admin_url = admin_url
        self.prefix = prefix
        self._family = family_of(admin_url)
        self._admin: Engine | None = None
        self._engines: dict[Store, Engine] = {}

    def __enter__(self) -> SyntheticStores:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Connections.

    def store_name(self, store: Store) -> str:
        """The store's database (PostgreSQL) or schema (MySQL) name, as Settings.store_name gives it."""
        return store_name(self.prefix, store)

    def store_url(self, store: Store) -> str:
        url = make_url(self.admin_url).set(database=self.store_name(store))
        return url.render_as_string(hide_password=False)

    def qualified(self, store: Store, table: str) -> str:
        """The table's quoted, schema-qualified name, for text() SQL on engine(store)."""
        quote = self.engine(store).dialect.identifier_preparer.quote_identifier
        return f"{quote(self.table_schema(store))}.{quote(table)}"

    def table_schema(self, store: Store) -> str:
        """The schema holding the store's tables: `public` of its database (PostgreSQL), itself (MySQL)."""
        return self._family.table_schema(self.store_name(store))

    def engine(self, store: Store) -> Engine:
        if store not in self._engines:
            self._engines[store] = create_engine(self.store_url(store))
        return self._engines[store]

    def close(self) -> None:
        for engine in self._engines.values():
            engine.dispose()
        self._engines.clear()
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            # CREATE/DROP DATABASE cannot run in a transaction on PostgreSQL.
            self._admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        return self._admin

    # Creating and dropping: only ever the stores this class created (they carry its mark).

    def create(self) -> None:
        """Create the four stores, empty, with their tables and indexes, and mark them as synthetic.
        Refused (NotSynthetic, nothing created) when any of them exists already: never created over."""
        existing = self.existing()
        if existing:
            raise NotSynthetic(
                f"{', '.join(sorted(existing))} already exist{'s' * (len(existing) == 1)} on this server:"
                " sample stores are never created over a database (drop them first if they are samples)"
            )
        for store in Store:
            self._on_store(self._family.create_database, store)
            self._family.mark(self._admin_engine(), self.engine(store), self.store_name(store))
        for store, metadata in schema.METADATA.items():
            metadata.create_all(self.engine(store))

    def drop(self) -> None:
        """Drop the four stores, those that exist; refused (NotSynthetic, nothing dropped) when any of them
        was not created by this class."""
        existing = self.existing()
        self.check_synthetic(existing)
        self.close()  # our own pooled sessions would hold the databases open
        for store in Store:
            if self.store_name(store) in existing:
                self._on_store(self._family.drop_database, store)

    def existing(self) -> set[str]:
        """The names of the four stores that exist on the server."""
        with self._admin_engine().connect() as conn:
            names = set(conn.exec_driver_sql(self._family.list_databases).scalars())
        return {self.store_name(store) for store in Store} & names

    def check_synthetic(self, existing: set[str] | None = None) -> None:
        """NotSynthetic unless every store that exists carries the synthetic stores' mark."""
        existing = self.existing() if existing is None else existing
        with self._admin_engine().connect() as conn:
            foreign = existing - self._family.marked(conn)
        if foreign:
            raise NotSynthetic(
                f"{', '.join(sorted(foreign))} {'was' if len(foreign) == 1 else 'were'} not created as sample"
                " stores: left untouched"
            )

    def _on_store(self, statement: str, store: Store) -> None:
        engine = self._admin_engine()
        quote = engine.dialect.identifier_preparer.quote_identifier
        with engine.connect() as conn:
            conn.exec_driver_sql(statement.format(name=quote(self.store_name(store))))

    # Rows.

    def add_user(self, wa_id: int, jid: str | None = None, rows: int = 2) -> dict[TableKey, int]:
        """Insert one user's rows in every table of the plan; return how many per (store, table).

        jid defaults to '<wa_id>@s.whatsapp.net'; when its digits differ from wa_id (a user who changed
        numbers), the axolotl rows carry the jid's digits, as the client's do. Deterministic: the same
        user (or jid) twice collides on primary keys, as does a user fill() made; other users never do.
        """
        if rows < 1:
            raise ValueError("rows must be at least 1: every table gets the user's rows")
        user = UserRows(wa_id, jid or f"{wa_id}@{DEFAULT_JID_DOMAIN}", rows)
        by_table = user.by_table()
        for store in Store:
            with self.engine(store).begin() as conn:
                for (table_store, name), values in by_table.items():
                    if table_store is store:
                        conn.execute(insert(schema.table(store, name)), values)
        return {(store.value, name): len(values) for (store, name), values in by_table.items()}

    def fill(
        self,
        users: int,
        messages: int,
        groups: int | None = None,
        seed: int = 1,
        first_wa_id: int = 13_650_000_000,
    ) -> dict[TableKey, int]:
        """Bulk-fill fresh stores; return the rows inserted per (store, table) of the erasure plan.

        groups defaults to one per 20 users. Same arguments, same day: same rows. Refused (NotSynthetic)
        unless the four stores exist and were created by this class.
        """
        if users < 1 or messages < 0:
            raise ValueError("fill needs at least one user and a non-negative number of messages")
        existing = self.existing()
        missing = {self.store_name(store) for store in Store} - existing
        if missing:
            raise NotSynthetic(f"{', '.join(sorted(missing))}: no such store on this server; create the stores first")
        self.check_synthetic(existing)
        population = Population(
            users=users,
            groups=users // 20 if groups is None else groups,
            messages=messages,
            first_wa_id=first_wa_id,
            seed=seed,
            start_ms=start_of_year_ago(),
            family=self._family,
        )
        counts = {_key(t.store, t.name): 0 for t in ERASURE_PLAN_V1}
        for (store, name), loads in _by_table(population.loads()).items():
            with self._bulk_connection(store) as conn:
                loaded = self._load_table(conn, schema.table(store, name), loads)
                if _key(store, name) in counts:  # the erasure plan's tables (group_participants is not one)
                    counts[_key(store, name)] += loaded
        self._analyze()
        return counts

    def table_counts(self) -> dict[TableKey, int]:
        """Exact COUNT(*) of every table of the erasure plan."""
        counts = {}
        for user_table in ERASURE_PLAN_V1:
            table_ = schema.table(user_table.store, user_table.name)
            with self.engine(user_table.store).connect() as conn:
                counts[_key(user_table.store, user_table.name)] = conn.execute(
                    select(func.count()).select_from(table_)
                ).scalar_one()
        return counts

    # Bulk loading.

    @contextmanager
    def _bulk_connection(self, store: Store) -> Iterator[Connection]:
        settings = self._family.bulk_settings
        with self.engine(store).connect() as conn:
            for name, value in settings.items():
                conn.exec_driver_sql(f"SET {name} = {value}")
            try:
                yield conn
            finally:
                # The connection goes back to the pool: later sessions must check unique keys again.
                conn.rollback()
                for name in settings:
                    conn.exec_driver_sql(f"SET {name} = DEFAULT")
                conn.commit()

    def _load_table(self, conn: Connection, table_: Table, loads: list[Load]) -> int:
        """Run a table's loads, chunk by chunk, committing each chunk; return the rows inserted."""
        rows = sum(load.rows for load in loads)
        deferred = schema.secondary_indexes(table_) if rows >= DEFER_INDEXES_FROM_ROWS else []
        # A failed load leaves the table without these indexes: fill() is for fresh, throwaway stores.
        for index in deferred:
            index.drop(conn)
        inserted = 0
        for load in loads:
            for lo, hi in chunks(load.rows):
                inserted += conn.execute(self._insert_select(table_, load, lo, hi)).rowcount
                conn.commit()
        for index in deferred:
            index.create(conn)
        conn.commit()
        return inserted

    def _insert_select(self, table_: Table, load: Load, lo: int, hi: int):
        numbers = self._family.numbers(lo, hi)
        n = numbers.c.n
        row = load.row(n)
        query = select(*(as_sql(value).label(name) for name, value in row.items())).select_from(numbers)
        if load.where is not None:
            query = query.where(load.where(n))
        if table_.autoincrement_column is None:
            # A natural primary key arrives in random order: sorted, each chunk sweeps the key's
            # B-tree once (InnoDB's table itself) instead of thrashing a small buffer pool. For 2.5M
            # message_base_key rows on MariaDB: 34 s instead of 147 s.
            query = query.order_by(*(query.selected_columns[c.name] for c in table_.primary_key))
        return insert(table_).from_select(list(row), query)

    def _analyze(self) -> None:
        for store, metadata in schema.METADATA.items():
            with self.engine(store).connect() as conn:
                quote = conn.dialect.identifier_preparer.quote_identifier
                for table_ in metadata.sorted_tables:
                    # MySQL answers ANALYZE TABLE with a status row: close the result.
                    conn.exec_driver_sql(self._family.analyze_table.format(name=quote(table_.name))).close()
                conn.commit()


def _key(store: Store, table: str) -> TableKey:
    return store.value, table


def _by_table(loads: list[Load]) -> dict[tuple[Store, str], list[Load]]:
    grouped: dict[tuple[Store, str], list[Load]] = {}
    for load in loads:
        grouped.setdefault((load.store, load.table), []).append(load)
    return grouped
