"""A message of messageStore.messages, its key, and the rows that reference it: declared once.

The garbage collector (purgekit/gc/plan.py), and every path that deletes messages, decide from these what
belongs to a message: its key (key_remote_jid, key_from_me, key_id) is what other tables name it by; its
*dependents* are rows that exist only for it and go with it (its receipt-log rows, its axolotlStore base key),
each only while no message left shares the columns the row is matched on; its *pending work* is what still
needs it (a pending action naming its key, a callback queued for its chat).
"""

from __future__ import annotations

from dataclasses import dataclass

from purgekit.stores import Store


@dataclass(frozen=True)
class Column:
    name: str
    # The column's type as the client declares it on PostgreSQL (foreign tables declare the same).
    pg_type: str


@dataclass(frozen=True)
class Messages:
    """The messages table: walked by `id`, aged by `timestamp`, identified by `key`."""

    store: Store
    name: str
    id: Column
    timestamp: Column
    key: tuple[Column, ...]
    # What a collector needs the table for, in the one line refusing a client schema without a column.
    purpose: str = "to walk, age and identify the messages"

    @property
    def columns(self) -> tuple[Column, ...]:
        return (self.id, *self.key, self.timestamp)


@dataclass(frozen=True)
class Related:
    """A table whose rows reference messages: `match` pairs (its column, the message key column)."""

    store: Store
    name: str
    match: tuple[tuple[Column, str], ...]
    # What a collector needs the table for, in the one line refusing a client schema without a column.
    purpose: str = ""

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(column for column, _ in self.match)

    @property
    def message_columns(self) -> tuple[str, ...]:
        return tuple(message_column for _, message_column in self.match)

    def unmatched(self, messages: Messages) -> tuple[Column, ...]:
        """The message key columns this table does not name: a row of it may match several messages."""
        return tuple(c for c in messages.key if c.name not in self.message_columns)


JID = "character varying(256)"
KEY_ID = "character varying(64)"

KEY_REMOTE_JID = Column("key_remote_jid", JID)
KEY_FROM_ME = Column("key_from_me", "boolean")
KEY_ID_COLUMN = Column("key_id", KEY_ID)

MESSAGES = Messages(
    Store.MESSAGE,
    "messages",
    id=Column("id", "bigint"),
    timestamp=Column("timestamp", "bigint"),
    key=(KEY_REMOTE_JID, KEY_FROM_ME, KEY_ID_COLUMN),
)

# What still needs a message: a pending action naming its key; a callback queued for its chat (the queue
# holds callbacks not yet delivered to the webhook, and names only the chat).
PENDING_WORK: tuple[Related, ...] = (
    Related(
        Store.MESSAGE,
        "messages_pending_actions",
        ((KEY_REMOTE_JID, "key_remote_jid"), (KEY_FROM_ME, "key_from_me"), (KEY_ID_COLUMN, "key_id")),
        purpose="to keep the messages a pending action names",
    ),
    Related(
        Store.CALLBACK,
        "queue",
        ((KEY_REMOTE_JID, "key_remote_jid"),),
        purpose="to keep the chats with callbacks queued",
    ),
)

# Rows that exist only for a message and go with it, unless a message left matches them too (a receipt names
# no key_from_me: one shared with a message that stays, stays).
DEPENDENTS: tuple[Related, ...] = (
    Related(
        Store.AXOLOTL,
        "message_base_key",
        (
            (Column("msg_key_remote_jid", JID), "key_remote_jid"),
            (Column("msg_key_from_me", "boolean"), "key_from_me"),
            (Column("msg_key_id", KEY_ID), "key_id"),
        ),
        purpose="to delete a collected message's base key",
    ),
    Related(
        Store.MESSAGE,
        "messages_receipt_log",
        ((KEY_REMOTE_JID, "key_remote_jid"), (KEY_ID_COLUMN, "key_id")),
        purpose="to delete a collected message's receipts",
    ),
)
