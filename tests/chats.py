"""Chats to delete, on the synthetic stores, and the oracle of what deleting one leaves (written out by hand,
not derived from purgekit/chat_deletion/plan.py, so a mistake in the plan fails a test)."""

from __future__ import annotations

from sqlalchemy import text
from test_gc import (
    BASE_KEYS,
    MESSAGES,
    PENDING,
    QUEUE,
    RECEIPTS,
    as_counter,
    base_key,
    insert,
    message,
    pending,
    snapshot,
)
from test_gc import receipt as receipt_row
from test_gc import rows as table_rows

from purgekit.stores import Store

CHATS = (Store.MESSAGE, "chats")
PARTICIPANTS = (Store.MESSAGE, "group_participants_history")
DISTRIBUTION = (Store.MESSAGE, "sender_key_distribution_status")
SENDER_KEYS = (Store.AXOLOTL, "sender_keys")
IDENTITIES = (Store.AXOLOTL, "identities")
SESSIONS = (Store.AXOLOTL, "sessions")
CONTACTS = (Store.CONTACT, "wa_contacts")
PHONES = (Store.CONTACT, "wa_phones")

# The rows a chat's deletion deletes: those whose chat column is the chat, in these five tables. Nothing else.
CHAT_COLUMN = {
    MESSAGES: "key_remote_jid",
    RECEIPTS: "key_remote_jid",
    BASE_KEYS: "msg_key_remote_jid",
    PENDING: "key_remote_jid",
    CHATS: "key_remote_jid",
}
# As the report names them.
REPORTED = {f"{store.value}.{table}": (store, table) for store, table in CHAT_COLUMN}

BUSINESS = "15550001000@s.whatsapp.net"  # the business's own number: groups it created name it as creator
USER_CHAT = "15550000001@s.whatsapp.net"
NEIGHBOUR = "155500000011@s.whatsapp.net"  # the same digits and one more: another chat
OTHER_USER = "15550000002@s.whatsapp.net"
CREATED_GROUP = "15550001000-1600000000@g.us"  # the business created it
JOINED_GROUP = "120363025246125244@g.us"  # another user created it; the business joined


def chat_row(jid: str, creator: str | None = None) -> dict:
    return {
        "key_remote_jid": jid,
        "subject": "a group" if jid.endswith("@g.us") else None,
        "group_creator": creator,
        "creation": 1_600_000_000_000,
        "last_message_timestamp": 1_600_000_000_000,
        "unseen_count": 0,
        "archived": False,
    }


def add_chat(stores, jid: str, messages: int, creator: str | None = None, prefix: str = "k") -> None:
    """A chat with `messages` messages, each with a receipt, a base key and (every third) a pending action;
    a twin (the same key id from the other side) every fifth, sharing its receipt."""
    insert(stores, CHATS, [chat_row(jid, creator)])
    if not messages:
        return
    keys = [(True, f"{prefix}{n}") for n in range(messages)]
    keys += [(False, f"{prefix}{n}") for n in range(0, messages, 5)]
    insert(
        stores,
        MESSAGES,
        [message(jid, from_me, key_id, 1_600_000_000_000 + n) for n, (from_me, key_id) in enumerate(keys)],
    )
    insert(stores, RECEIPTS, [receipt_row(jid, f"{prefix}{n}") for n in range(messages)])
    insert(stores, BASE_KEYS, [base_key(jid, from_me, key_id) for from_me, key_id in keys])
    insert(stores, PENDING, [pending(jid, from_me, key_id) for from_me, key_id in keys[::3]])


def add_membership(stores, group: str, members: list[str]) -> None:
    """The group's membership and sender keys: kept when its chat is deleted."""
    insert(stores, PARTICIPANTS, [{"group_jid": group, "jid": m, "action": 0, "timestamp": 1} for m in members])
    insert(stores, DISTRIBUTION, [{"group_jid": group, "jid": m, "sent": True, "timestamp": 1} for m in members])
    insert(
        stores,
        SENDER_KEYS,
        [
            {"group_id": group, "sender_id": int(m.split("@")[0]), "device_id": 0, "record": b"k", "timestamp": 1}
            for m in members
        ],
    )


def add_person(stores, jid: str) -> None:
    """The contact, identity key and session of a user: kept when their chat is deleted."""
    number = int(jid.split("@")[0])
    insert(
        stores,
        CONTACTS,
        [{"jid": jid, "display_name": "x", "status_text": None, "is_whatsapp_user": True, "updated": 1}],
    )
    insert(stores, PHONES, [{"phone_number": f"+{number}", "jid": jid, "updated": 1}])
    insert(
        stores,
        IDENTITIES,
        [
            {
                "recipient_id": number,
                "device_id": 0,
                "registration_id": 1,
                "public_key": b"p",
                "next_prekey_id": 1,
                "timestamp": 1,
            }
        ],
    )
    insert(stores, SESSIONS, [{"recipient_id": number, "device_id": 0, "record": b"s", "timestamp": 1}])


def add_orphans(stores, jid: str) -> None:
    """Rows naming the chat whose message is gone already: the chat's, deleted with it."""
    insert(stores, RECEIPTS, [receipt_row(jid, "orphan")])
    insert(stores, BASE_KEYS, [base_key(jid, True, "orphan")])
    insert(stores, PENDING, [pending(jid, False, "orphan")])


def populate(stores) -> None:
    """Every kind of chat, their people and groups, rows around them that must stay, and a queued callback."""
    add_chat(stores, USER_CHAT, 12, prefix="u")
    add_chat(stores, NEIGHBOUR, 4, prefix="u")  # the same key ids, in another chat
    add_chat(stores, OTHER_USER, 3, prefix="o")
    add_chat(stores, CREATED_GROUP, 9, creator=BUSINESS, prefix="g")
    add_chat(stores, JOINED_GROUP, 7, creator=OTHER_USER, prefix="j")
    add_orphans(stores, USER_CHAT)
    for person in (USER_CHAT, OTHER_USER, NEIGHBOUR):
        add_person(stores, person)
    add_membership(stores, CREATED_GROUP, [USER_CHAT, OTHER_USER])
    add_membership(stores, JOINED_GROUP, [USER_CHAT, OTHER_USER])
    insert(
        stores, QUEUE, [{"key_remote_jid": USER_CHAT, "event": "message", "payload": "{}", "created": 1, "attempts": 0}]
    )


def without_chat(before: dict, chat: str) -> tuple[dict, dict]:
    """(the stores' rows after deleting `chat` from `before`, rows deleted per table as the report names them)."""
    after, deleted = {}, {}
    for key, counter in before.items():
        column = CHAT_COLUMN.get(key)
        kept = type(counter)({row: n for row, n in counter.items() if column is None or dict(row)[column] != chat})
        after[key] = kept
        if column is not None:
            deleted[f"{key[0].value}.{key[1]}"] = sum(counter.values()) - sum(kept.values())
    return after, deleted


def naming(stores, chat: str) -> dict:
    """Rows naming the chat, per table as the report names them."""
    counts = {}
    for name, (store, table) in REPORTED.items():
        sql = f"SELECT COUNT(*) FROM {stores.qualified(store, table)} WHERE {CHAT_COLUMN[(store, table)]} = :chat"
        with stores.engine(store).connect() as connection:
            counts[name] = connection.execute(text(sql), {"chat": chat}).scalar()
    return counts


__all__ = ["as_counter", "snapshot", "table_rows"]  # for the chat tests
