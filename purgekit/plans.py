"""Erasure plans as data: which rows of the four stores an erasure deletes.

ERASURE_PLAN_V1 (purgekit/stores.py) is document 000's tables and predicates; released revision 0001
renders it and it never changes. ERASURE_PLAN_V2 (revision 0004) erases the same tables with the same
predicates, and with every message it deletes, the rows that exist only for that message: its
receipt-log rows and its axolotlStore base key (purgekit/messages.py, DEPENDENTS), matched on the
message's key, each only while no message left shares the columns it is matched on (the garbage
collector's rule, purgekit/gc/plan.py).

Why: the user's messages in other people's groups (`remote_resource = jid`) carry the group's jid in their
key, so the plan's jid predicates never reach their dependents, and no garbage collection pass would
either (their message is gone). The dependents of the messages in the user's own chat are the user's rows
already (their chat column is matched on the jid), so the routines carry the keys of the other deleted
messages only.
"""

from __future__ import annotations

from dataclasses import dataclass

from purgekit.messages import DEPENDENTS, MESSAGES, Column, Messages, Related
from purgekit.stores import ERASURE_PLAN_V1, UserTable


@dataclass(frozen=True)
class ErasurePlan:
    """`tables` and their predicates, and the `dependents` of the rows deleted from `messages`."""

    tables: tuple[UserTable, ...]
    messages: Messages
    dependents: tuple[Related, ...]

    def __post_init__(self) -> None:
        positions = {(table.store, table.name): index for index, table in enumerate(self.tables)}
        messages_at = positions.get((self.messages.store, self.messages.name))
        if messages_at is None:
            raise ValueError(f"{self.messages.name}: the messages table must be one of the plan's tables")
        chat = self.messages.key[0].name
        for dependent in self.dependents:
            table = self.dependent_table(dependent)
            if positions[(table.store, table.name)] < messages_at:
                raise ValueError(f"{dependent.name}: dependents come after the messages, whose keys they need")
            chat_column = next((column.name for column, theirs in dependent.match if theirs == chat), None)
            if chat_column not in {column.name for column in table.columns}:
                raise ValueError(f"{dependent.name}: the plan must match its chat column on the jid")
            unmatched = dependent.unmatched(self.messages)
            # A message left that shares a row differs in the unmatched key column: with one boolean column,
            # in its other value (what the routines probe, by the messages' unique key).
            if len(unmatched) > 1 or any(column.pg_type != "boolean" for column in unmatched):
                raise ValueError(f"{dependent.name}: rows may leave out at most one, boolean, message key column")

    def dependent_table(self, dependent: Related) -> UserTable:
        for table in self.tables:
            if (table.store, table.name) == (dependent.store, dependent.name):
                return table
        raise ValueError(f"{dependent.name}: a dependent must be one of the plan's tables")

    def dependent_of(self, table: UserTable) -> Related | None:
        """The dependent declaration of one of the plan's tables, or None."""
        return next((d for d in self.dependents if (d.store, d.name) == (table.store, table.name)), None)

    def is_messages(self, table: UserTable) -> bool:
        return (table.store, table.name) == (self.messages.store, self.messages.name)

    @property
    def messages_table(self) -> UserTable:
        return next(table for table in self.tables if self.is_messages(table))

    def key_columns(self, table: UserTable) -> tuple[Column, ...]:
        """The message key columns the erasure reads or matches in `table`: the messages' key, or the columns
        a dependent is matched on (identity columns among them included)."""
        if self.is_messages(table):
            return self.messages.key
        dependent = self.dependent_of(table)
        return dependent.columns if dependent is not None else ()


# Revision 0004 renders this; change the plan with an ERASURE_PLAN_V3 and a new revision, never by editing.
ERASURE_PLAN_V2 = ErasurePlan(tables=ERASURE_PLAN_V1, messages=MESSAGES, dependents=DEPENDENTS)

Plan = tuple[UserTable, ...] | ErasurePlan


def tables_of(plan: Plan) -> tuple[UserTable, ...]:
    """The tables a plan deletes from, in order, whichever version it is."""
    return plan.tables if isinstance(plan, ErasurePlan) else plan


def key_columns(plan: Plan, table: UserTable) -> tuple[Column, ...]:
    """What the plan reads of `table` besides its identity columns (plan v1: nothing)."""
    return plan.key_columns(table) if isinstance(plan, ErasurePlan) else ()
