"""What deleting one chat deletes (document 003), declared once for every dialect.

A chat is `messageStore.chats.key_remote_jid`: a user's (`<digits>@s.whatsapp.net`) or a group's (`...@g.us`),
purgekit/jids.py's CHAT_JID_RULE. Deleting it deletes, in bounded batches:

- every message of the chat (`messages.key_remote_jid = chat`), a batch at most `batch_size` of them, and with
  each the rows that exist only for it, by its key (purgekit/messages.py): its receipt-log rows and its
  axolotlStore base key (DEPENDENTS, kept while a message left shares them, as the garbage collector does) and
  its pending actions (matched on the whole key);
- last, once no message of the chat is left: the rows naming the chat that no message names any more (a
  receipt, base key or pending action whose message was already gone: the chat's, all the same), then the
  chats row. A run stopped anywhere leaves the chat findable, so a re-run finishes it.

Never: the contact, identity keys, sessions, sender keys, the group's membership and sender-key distribution
(the business still talks to that person or group: deleting a chat is not erasing a person, `purgekit erase`
is), nor callbackStore.queue (callbacks not yet delivered: the webhook's, not the chat's).
"""

from __future__ import annotations

from dataclasses import dataclass

from purgekit.gc.plan import CollectionPlan, deleted_column
from purgekit.messages import DEPENDENTS, KEY_REMOTE_JID, MESSAGES, PENDING_WORK, Column, Messages, Related
from purgekit.stores import Store

# The revision that installs the routines (migrations/versions/0008_delete_chat.py).
CHAT_DELETION_REVISION = "0008"

__all__ = ["CHAT_DELETION_PLAN", "ChatDeletionPlan", "counted", "deleted_column", "found_column"]

PENDING_ACTIONS = next(related for related in PENDING_WORK if related.name == "messages_pending_actions")


@dataclass(frozen=True)
class ChatDeletionPlan:
    messages: Messages
    # The chat's row: deleted last.
    chats: Related
    # Deleted with each message, by its key (the garbage collector's rule: while no message left shares them).
    dependents: tuple[Related, ...]
    # Tables deleting a chat never touches, kept beside the plan so tests and docs name the same ones.
    kept: tuple[tuple[Store, str], ...]

    def __post_init__(self) -> None:
        chat = self.messages.key[0].name
        for dependent in self.dependents:
            if chat not in dependent.message_columns:
                raise ValueError(f"{dependent.name}: a dependent of a chat's messages must name the chat")
        # The batches' dependent deletes are the garbage collector's: its plan checks what they can match.
        self.batch_plan()

    def batch_plan(self) -> CollectionPlan:
        """The plan the garbage collector's dependent deletes render for a batch of the chat's messages."""
        return CollectionPlan(messages=self.messages, pending=(), dependents=self.dependents)

    def chat_column(self, table: Related | Messages) -> Column:
        """The column of a table of the plan holding the chat's jid."""
        chat = self.messages.key[0]
        if isinstance(table, Messages):
            return chat
        return next(column for column, theirs in table.match if theirs == chat.name)

    def columns_read(self, table: Related | Messages) -> tuple[Column, ...]:
        """What the routines read of a table: the messages' id and key; the columns the others are matched on."""
        if isinstance(table, Messages):
            return (table.id, *table.key)
        return table.columns

    @property
    def tables(self) -> tuple[Related | Messages, ...]:
        """What a deletion counts, in the order it reports: messages, their dependents, the chat."""
        return (self.messages, *self.dependents, self.chats)


CHAT_DELETION_PLAN = ChatDeletionPlan(
    messages=MESSAGES,
    chats=Related(Store.MESSAGE, "chats", ((KEY_REMOTE_JID, "key_remote_jid"),), purpose="to find and delete the chat"),
    dependents=(*DEPENDENTS, PENDING_ACTIONS),
    kept=(
        (Store.CONTACT, "wa_contacts"),
        (Store.CONTACT, "wa_phones"),
        (Store.AXOLOTL, "identities"),
        (Store.AXOLOTL, "sessions"),
        (Store.AXOLOTL, "sender_keys"),
        (Store.MESSAGE, "group_participants_history"),
        (Store.MESSAGE, "sender_key_distribution_status"),
        (Store.CALLBACK, "queue"),
    ),
)

# The largest batch the routines take (a batch is one transaction).
MAX_BATCH_SIZE = 1_000_000


def counted(plan: ChatDeletionPlan) -> list[str]:
    """The tables a batch counts deletions in, in order."""
    return [table.name for table in plan.tables]


def found_column(table: str) -> str:
    """The name of a table's count in what the counting routine returns."""
    return f"{table}_found"
