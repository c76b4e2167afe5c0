from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import TextClause, text

from purgekit.config import Settings
from purgekit.objects import DatabaseObject
from purgekit.sql import Secret, Statement
from purgekit.stores import UserTable

# The erase routine keeps document 000's name, so the document's call works unchanged.
ERASE_ROUTINE = "deleteUserDataByPhoneNumber"
# The largest wa_id: E.164 numbers have at most 15 digits.
MAX_WA_ID = 999_999_999_999_999
# purgekit's record of each erasure it ran (revision 0002).
RECEIPTS_TABLE = "purgekit_receipts"
# What tells a salt is the one the receipts were written with (revision 0005): one row, a check value.
SALT_CHECK_TABLE = "purgekit_receipt_salt"


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
    """How purgekit renders its objects and scripts for one database family."""

    name: str

    @abstractmethod
    def erase_objects(self, settings: Settings, plan: tuple[UserTable, ...]) -> list[DatabaseObject]:
        """Everything the erase routine needs, in creation order (downgrade drops them in reverse)."""

    def version_table_schema(self, settings: Settings) -> str | None:
        """Where purgekit's Alembic version table lives; None: the connection's default schema."""
        return None

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
        mariadb: bool = False,
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

    def is_retryable(self, error: BaseException) -> bool:
        """Whether a failed batch lost a deadlock or a serialization conflict: rolled back, it may run again."""
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
