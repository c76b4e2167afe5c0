"""What the messages garbage collector collects: "done with", declared once for every dialect.

A message (messageStore.messages) is done with when both hold:

- it is older than the retention: messages.timestamp (ms since the epoch) < the pass's cutoff;
- no pending work still references it: no messages_pending_actions row has its key
  (key_remote_jid, key_from_me, key_id), and callbackStore.queue has no row for its chat
  (queue.key_remote_jid = messages.key_remote_jid). The queue holds callbacks not yet delivered to
  the webhook and names only the chat, not the message: while a chat has any callback queued, none of
  its messages is collected.

With a collected message go the rows that belong only to it: the messages_receipt_log rows with its
(key_remote_jid, key_id) and the axolotlStore.message_base_key rows with its key, each only while no
message left in messages shares the columns the row is matched on (a receipt names no key_from_me,
so a receipt shared with a message that stays, stays too). Nothing else is deleted.

The message key, its pending work and its dependents are declared in purgekit/messages.py. The dialects
render this plan (purgekit/gc/postgresql.py, purgekit/gc/mysql.py); released revisions
render GC_PLAN_V1, so change the definition with a GC_PLAN_V2 and a new revision, never by editing.
"""

from __future__ import annotations

from dataclasses import dataclass

from purgekit.messages import DEPENDENTS, MESSAGES, PENDING_WORK, Column, Messages, Related

__all__ = [
    "Column",
    "Messages",
    "Related",
    "CollectionPlan",
    "GC_PLAN_V1",
    "GC_PLAN_V2",
    "MAX_BATCH_SIZE",
    "OneRangeCalls",
    "counted",
    "deleted_column",
]


@dataclass(frozen=True)
class CollectionPlan:
    messages: Messages
    # A message is not done with while any of these has a row matching it.
    pending: tuple[Related, ...]
    # Rows deleted with the messages they match, unless a message left in `messages` matches them too.
    dependents: tuple[Related, ...]

    def __post_init__(self) -> None:
        for dependent in self.dependents:
            unmatched = dependent.unmatched(self.messages)
            # A message left that shares a dependent row differs in the unmatched column: with one
            # boolean column, in its other value (what the renderers probe, by the unique key).
            if len(unmatched) > 1 or any(c.pg_type != "boolean" for c in unmatched):
                raise ValueError(f"{dependent.name}: rows may leave out at most one, boolean, message key column")


GC_PLAN_V1 = CollectionPlan(messages=MESSAGES, pending=PENDING_WORK, dependents=DEPENDENTS)
# Revision 0006's: the same definition (what "done with" means did not change; how batches keep to it did).
GC_PLAN_V2 = GC_PLAN_V1

# The largest batch the routines take: a batch is one transaction, and should stay a short one.
MAX_BATCH_SIZE = 1_000_000


def counted(plan: CollectionPlan) -> list[str]:
    """The tables a batch counts deletions in, in order: messages first, then each dependent."""
    return [plan.messages.name, *(dependent.name for dependent in plan.dependents)]


def deleted_column(table: str) -> str:
    """The name of a table's counter, in the checkpoint and in what a batch returns."""
    return f"{table}_deleted"


class OneRangeCalls:
    """The arguments of the collector's routines where a pass is one range of ids (every revision but MySQL's
    0011, whose routines take lanes: MySQLCollectorV4)."""

    @staticmethod
    def begin_arguments(retention_ms: int, lanes: int = 1) -> dict[str, int]:
        """What begin_call is called with (one range a pass: no lanes)."""
        return {"retention_ms": retention_ms}

    @staticmethod
    def batch_arguments(batch_size: int, cutoff_ms: int, lane: int = 1) -> dict[str, int]:
        """What batch_call is called with (one range a pass: no lane)."""
        return {"batch_size": batch_size, "cutoff_ms": cutoff_ms}
