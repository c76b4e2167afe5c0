from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import TextClause, text
from sqlalchemy.engine import URL, Connection

from purgekit.objects import DatabaseObject
from purgekit.sql import Secret, Statement
from purgekit.stores import Identity, Store, UserTable

if TYPE_CHECKING:
    from purgekit.config import Settings  # which imports this package (Settings.family)

# The erase routine keeps document 000's name, so the document's call works unchanged.
ERASE_ROUTINE = "deleteUserDataByPhoneNumber"
# The largest wa_id: E.164 numbers have at most 15 digits.
MAX_WA_ID = 999_999_999_999_999
# purgekit's record of each erasure it ran (revision 0002).
RECEIPTS_TABLE = "purgekit_receipts"
# What tells a salt is the one the receipts were written with (revision 0005): one row, a check value.
SALT_CHECK_TABLE = "purgekit_receipt_salt"
# The store that hosts purgekit's routines, as document 000 has it (PostgreSQL: its database; MySQL: its schema).
HOST_STORE = Store.CONTACT
# The erase routine's variables for the user's identities.
VARIABLES = {Identity.JID: "v_jid", Identity.USER_NUMBER: "v_number"}

# Every family, by SQLAlchemy dialect name: filled as each subclass of Dialect is defined (as Alembic's
# DefaultImpl registers its implementations).
_FAMILIES: dict[str, type[Dialect]] = {}

Part = TypeVar("Part")


@dataclass(frozen=True)
class Guard:
    """A check a downgrade must pass (purgekit/downgrade_guards.py): `check` is SQL returning a row (one text
    column) per thing the downgrade would destroy, none when it may go on; `refusal` the line naming them
    (from what `check` found); `script` the same check in an offline script, which stops the script when it
    finds anything."""

    check: str
    refusal: Callable[[list[str]], str]
    script: str


@dataclass(frozen=True)
class KeptRows:
    """A table of purgekit's whose rows a downgrade past `revision` would drop with it: what its guard says.
    `option` is the -x argument (and psql variable) that lets the downgrade drop them."""

    revision: str
    reference: str  # qualified name
    table: str  # bare name
    described: str  # "purgekit's receipts table"
    noun: str  # what its rows are, plural: "receipts"
    purpose: str  # "the record of every erasure"
    option: str  # "drop_receipts"


@dataclass(frozen=True)
class CarriedKey:
    """Key columns a statement over messages also yields, for each row outside the batch's own chats (NULLs
    for the others): the keys of the messages whose dependents the erasure deletes next (plan v2)."""

    chat: str  # the chat column (key_remote_jid)
    columns: tuple[str, ...]  # the message key
    chats: str  # the batch operand of the batch's jids


class Dialect(ABC):
    """How purgekit renders its objects and scripts for one database family: each difference between the
    families is an attribute or a method here, overridden by the family that differs. A subclass naming
    a `name` of its own serves SQLAlchemy's dialect of that name (family_for())."""

    name: str

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            _FAMILIES[cls.name] = cls

    @classmethod
    def pick(cls, parts: Mapping[type[Dialect], Part]) -> Part:
        """This family's part among `parts`, keyed by family class, kept where that part is written (the
        doctor's EXPLAIN reading, the collector, the lab's loading): its own, else its parent family's
        (MariaDB takes MySQL's)."""
        for family in cls.__mro__:
            if family in parts:
                return parts[family]
        raise ValueError(f"no part for {cls.name} among {', '.join(f.name for f in parts)}")

    @property
    def sql_dialect(self):  # -> sqlalchemy.engine.Dialect
        """SQLAlchemy's dialect of this family, to render SQLAlchemy constructs (no driver loaded)."""
        from sqlalchemy.engine import make_url

        # "named": a % in a setting (a hostile prefix) is rendered as it is, not doubled for a driver.
        return make_url(f"{self.name}://").get_dialect()(paramstyle="named")

    #: After DROP TABLE of a table of purgekit's own (PostgreSQL: RESTRICT, so that a view or foreign key
    #: someone else built on it stops the downgrade).
    drop_table_suffix = ""

    def table_owner_statements(self, identity: str, owner: str | None) -> list[str]:
        """What makes `owner` own a table purgekit created (nothing where tables have no owners)."""
        return []

    @abstractmethod
    def own_tables_schema(self, settings: Settings) -> str:
        """The schema holding purgekit's own tables (receipts, jobs) on the store hosting its routines."""

    @abstractmethod
    def table_grants(self, connection: Connection, schema: str, name: str) -> set[tuple[str, str]]:
        """(privilege, grantee) others than the owner hold on a table of purgekit's own."""

    #: Whether each store is a database of its own (PostgreSQL) rather than a schema of one server (MySQL).
    stores_are_databases = False

    def lock_wait_statement(self, seconds: int) -> str:
        """The session setting that makes a statement give up after waiting `seconds` for a lock."""
        raise NotImplementedError

    @abstractmethod
    def erase_objects(self, settings: Settings, plan: tuple[UserTable, ...]) -> list[DatabaseObject]:
        """Everything the erase routine needs, in creation order (downgrade drops them in reverse)."""

    def version_table_schema(self, settings: Settings) -> str | None:
        """Where purgekit's Alembic version table lives; None: the connection's default schema."""
        return None

    @abstractmethod
    def table_reference(self, settings: Settings, table: UserTable) -> str:
        """Where the erase routine reaches a table of the plan, as SQL."""

    def match_predicate(
        self, table: UserTable, alias: str = "t", operands: Mapping[Identity, str] = VARIABLES, operator: str = "="
    ) -> str:
        """A row is the user's: the routine compares with its variables; purgekit.erase with `operands`."""
        return " OR ".join(f"{alias}.{self.quote(c.name)} {operator} {operands[c.identity]}" for c in table.columns)

    @abstractmethod
    def erase_call(self, settings: Settings) -> str:
        """The SQL that erases one user, with a `:wa_id` bound parameter (SQLAlchemy text())."""

    # Erasing from Python (purgekit.erase): the routine's own predicates, over a batch of users --------

    #: How a column is compared with a list of values: `column <batch_operator> <batch_operand(...)>`.
    batch_operator = "="

    @abstractmethod
    def quote(self, name: str) -> str:
        """An identifier, quoted as this database needs."""

    @abstractmethod
    def batch_operand(self, parameter: str, sql_type: str) -> str:
        """What matches any value of the list bound to `parameter` (values of type `sql_type`)."""

    def batch_statement(self, sql: str) -> TextClause:
        """SQL text using batch operands, ready to execute with lists bound to them."""
        return text(sql)

    def session_statements(self, settings: Settings) -> list[str]:
        """What a session runs first, so the routine's statements mean the same from Python."""
        return []

    @abstractmethod
    def delete_statement(self, reference: str, predicate: str) -> str:
        """The routine's DELETE of the rows of `reference` (aliased t) matching `predicate`."""

    def carried(self, key: CarriedKey | None, prefix: str) -> list[str]:
        """The key's expressions over columns named `prefix` + column ("t.", or "" inside a CTE)."""
        if key is None:
            return []
        outside = f"NOT ({prefix}{self.quote(key.chat)} {self.batch_operator} {key.chats})"
        return [f"CASE WHEN {outside} THEN {prefix}{self.quote(c)} END" for c in key.columns]

    def grouped_count(self, reference: str, predicate: str, columns: list[str], key: CarriedKey | None = None) -> str:
        """Rows matching `predicate`, counted per value of the identity columns (and of the carried key,
        for messages outside the batch's chats): a dry run."""
        selected = ", ".join([f"t.{self.quote(c)}" for c in columns] + self.carried(key, "t."))
        return f"SELECT {selected}, COUNT(*) FROM {reference} AS t WHERE {predicate} GROUP BY {selected}"

    @abstractmethod
    def counted_delete(
        self,
        reference: str,
        predicate: Callable[[str], str],
        columns: list[str],
        key: CarriedKey | None = None,
    ) -> tuple[str, str | None]:
        """SQL deleting the rows matching `predicate(alias)` that yields (identity columns..., carried key
        columns..., rows deleted), and a second statement to run after it when the database cannot do both
        at once."""

    def keyed_predicate(self, alias: str, columns: Sequence[str], keys: int, name: str) -> str:
        """Rows whose `columns` equal one of `keys` tuples bound as `name`_<key>_<column>: one OR arm per key,
        each an index probe (postgres_fdw ships it whole; = ANY on several columns would probe every
        combination of their values)."""
        return " OR ".join(
            "(" + " AND ".join(f"{alias}.{self.quote(c)} = :{name}_{k}_{i}" for i, c in enumerate(columns)) + ")"
            for k in range(keys)
        )

    @abstractmethod
    def key_text(self, alias: str, columns: Sequence[str]) -> str:
        """SQL: the columns as one text value, joined by the character 31 (no jid or key id holds it)."""

    @abstractmethod
    def key_value(self, values: Sequence[object]) -> str:
        """The text key_text() gives for a row with these values."""

    def is_retryable(self, error: BaseException, lock_wait: bool = False) -> bool:
        """Whether a failed batch lost a deadlock or a serialization conflict (with `lock_wait`, or gave up
        waiting for a lock): rolled back, it may run again."""
        return False

    # Receipts (revision 0002) ------------------------------------------------------------------------

    @abstractmethod
    def receipt_objects(self, settings: Settings) -> list[DatabaseObject]:
        """purgekit's table of receipts (and its index): one row per erasure, a salted hash of the number."""

    @abstractmethod
    def receipts_reference(self, settings: Settings) -> str:
        """The receipts table's qualified name."""

    #: SQL for the receipt's erased_at and erased_by, evaluated by the database.
    receipt_clock: str
    receipt_user: str

    @abstractmethod
    def salt_check_objects(self, settings: Settings) -> list[DatabaseObject]:
        """The salt check's table (revision 0005): one row, the check value of the receipts' salt."""

    @abstractmethod
    def salt_check_reference(self, settings: Settings) -> str:
        """The salt check table's qualified name."""

    @abstractmethod
    def insert_once(self, reference: str, columns: list[str], values: list[str]) -> str:
        """INSERT of one row that does nothing when a row with its key is there already."""

    # Downgrade guards (purgekit/downgrade_guards.py) ----------------------------------------------------

    def receipts_kept(self, settings: Settings) -> KeptRows:
        """The receipts, as a downgrade past revision 0002 would drop them."""
        return KeptRows(
            revision="0002",
            reference=self.receipts_reference(settings),
            table=RECEIPTS_TABLE,
            described="purgekit's receipts table",
            noun="receipts",
            purpose="the record of every erasure",
            option="drop_receipts",
        )

    def receipts_guard(self, settings: Settings) -> Guard:
        """Stops a downgrade past revision 0002 while the receipts table holds receipts."""
        return self.rows_guard(self.receipts_kept(settings))

    def receipts_dropped_note(self, settings: Settings) -> str:
        """What an offline downgrade script says when it was rendered to drop the receipts."""
        return self.rows_dropped_note(self.receipts_kept(settings))

    @abstractmethod
    def rows_guard(self, kept: KeptRows) -> Guard:
        """Stops a downgrade past kept.revision while kept.reference holds rows."""

    def rows_refusal(self, kept: KeptRows) -> Callable[[list[str]], str]:
        return lambda found: (
            f"downgrading past revision {kept.revision} drops {kept.reference} and the {found[0]} in it,"
            f" {kept.purpose}: export them, then downgrade again with -x {kept.option}=yes; nothing was changed"
        )

    def rows_dropped_note(self, kept: KeptRows) -> str:
        """What an offline downgrade script says when it was rendered to drop the table's rows."""
        return (
            f"-- purgekit: this script drops {kept.reference} and every {kept.noun[:-1]} in it"
            f" (rendered with -x {kept.option}=yes)."
        )

    def foreign_mapping_guards(self, settings: Settings) -> list[Guard]:
        """Stop a downgrade that would drop another role's user mapping on purgekit's foreign servers."""
        return []

    # The client's tables and their indexes (purgekit/indexes.py, purgekit doctor) -----------------------

    def store_url(self, settings: Settings, store: Store) -> URL:
        """Where a store's tables are: the URL's server, where the stores are schemas (MySQL)."""
        return settings.url

    def store_table(self, settings: Settings, store: Store, table: str) -> str:
        """A client's table as SQL on a connection to store_url()."""
        return f"{self.quote(settings.store_name(store))}.{self.quote(table)}"

    #: (name, leading column, usable, comment) of each index of table :table in schema :schema.
    indexes_query: str

    def indexes_schema(self, settings: Settings, store: Store) -> str:
        """The :schema of indexes_query for a store's tables."""
        return settings.store_name(store)

    def prefix_length(self, connection: Connection, settings: Settings, store: Store, table: str, column: str) -> int:
        """How many leading characters of the column an index on it takes; 0: the whole value."""
        return 0

    @abstractmethod
    def create_index(self, table: str, name: str, column: str, prefix: int, comment: str | None) -> str:
        """Online DDL adding an index `name` on `column` of `table` (SQL), its first `prefix` characters (0:
        all), carrying `comment` (None: no comment) when the DDL can say it (else mark_index())."""

    def mark_index(self, name: str, comment: str) -> str | None:
        """A statement giving an index its comment after create_index(); None when create_index() did."""
        return None

    @abstractmethod
    def drop_index(self, table: str, name: str) -> str:
        """Online DDL dropping index `name` of `table` (SQL), if it exists."""

    # Offline scripts -----------------------------------------------------------------------------

    #: The first words of every offline script's header, by which `python -m purgekit.review check FILE`
    #: tells the script's dialect.
    script_title: str

    @abstractmethod
    def script_header(self, settings: Settings, secrets: set[str]) -> str:
        """Comment lines at the top of an offline script: how to run it, on which database, passing
        which of the client's variables (`secrets`, the names of those the script asks for)."""

    def secret_guard(self, secret: Secret) -> str:
        """Lines that stop an offline script, before its first use of `secret`, when it was not passed."""
        raise NotImplementedError(f"{self.name} scripts take no secrets, yet {secret.name} was asked for")

    @abstractmethod
    def secret_placeholder(self, secret: Secret) -> str:
        """How an offline script refers to a secret the DBA passes when running it."""

    def script_statement(self, statement: Statement) -> str:
        """One statement as the database's command-line client reads it."""
        return statement.render(self.secret_placeholder) + ";"


def family_for(name: str) -> Dialect:
    """The family serving a SQLAlchemy dialect name (postgresql, mysql, mariadb)."""
    try:
        return _FAMILIES[name]()
    except KeyError:
        raise ValueError(f"purgekit supports {', '.join(_FAMILIES)}, not {name!r}") from None


def family_of(connection) -> Dialect:
    """The family of the server a connection reaches: MariaDB's when a mysql:// URL reaches MariaDB."""
    dialect = connection.dialect
    return family_for("mariadb" if getattr(dialect, "is_mariadb", False) else dialect.name)
