"""Deleting one message (document 002), as data: the message, what belongs only to it, and what the rules of
deleting it for everyone read.

The message is named by its key (purgekit/messages.py, MESSAGES): the chat's jid, key_from_me and key_id.
With it go, deleted before it (so that a re-run still finds what to delete, on PostgreSQL too: the stores
commit one after the other there), the rows that exist only for it:

- its messages_pending_actions rows (the whole key);
- its messages_receipt_log rows (chat and key_id: they name no direction, so while the message of the other
  direction with that key_id stays, they stay);
- its axolotlStore.message_base_key row (the whole key).

Nothing else: not the chat, not the message of the same key_id in another chat or the other direction, not the
contact or the keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from purgekit.messages import DEPENDENTS, JID, MESSAGES, PENDING_WORK, Column, Messages, Related
from purgekit.stores import Store


@dataclass(frozen=True)
class MessageDeletionPlan:
    messages: Messages
    # Deleted before the message, in this order; each matched on the message's key (see Related.match).
    belonging: tuple[Related, ...]
    # What the preflight's problem line says the columns are for.
    purpose: str = "to delete one message and what belongs only to it"

    def __post_init__(self) -> None:
        for related in self.belonging:
            unmatched = related.unmatched(self.messages)
            if len(unmatched) > 1 or any(column.pg_type != "boolean" for column in unmatched):
                raise ValueError(f"{related.name}: rows may leave out at most one, boolean, message key column")


(PENDING_ACTIONS,) = [related for related in PENDING_WORK if related.store is MESSAGES.store]
MESSAGE_DELETION_PLAN = MessageDeletionPlan(MESSAGES, (PENDING_ACTIONS, *DEPENDENTS))


@dataclass(frozen=True)
class GroupParticipants:
    """The client's current members of each group, with their role: messageStore.group_participants.

    An assumption (the On-Premises client documents no such table; WhatsApp's own clients keep one): one row
    per group and member jid, `admin` 0 for a participant, 1 for an administrator, 2 for the group's super
    administrator (its creator). group_participants_history, which the erasure reads, records joins and leaves,
    not who is an administrator now."""

    store: Store
    name: str
    group: Column
    jid: Column
    admin: Column

    @property
    def columns(self) -> tuple[Column, ...]:
        return (self.group, self.jid, self.admin)


GROUP_PARTICIPANTS = GroupParticipants(
    Store.MESSAGE,
    "group_participants",
    group=Column("group_jid", JID),
    jid=Column("jid", JID),
    admin=Column("admin", "integer"),
)


@dataclass(frozen=True)
class RevokeRules:
    """What decides whether WhatsApp would delete a message for everyone (document 002): its age (from
    messages.timestamp, ms since the epoch), its author (key_from_me; in a group, remote_resource names the
    sender) and, in a group, whether the business is an administrator."""

    messages: Messages
    sender: Column
    participants: GroupParticipants
    purpose: str = "to decide whether a message may be deleted for everyone (--for-everyone)"

    @property
    def message_columns(self) -> tuple[Column, ...]:
        return (*self.messages.key, self.messages.timestamp, self.sender)


REVOKE_RULES = RevokeRules(MESSAGES, Column("remote_resource", "text"), GROUP_PARTICIPANTS)
