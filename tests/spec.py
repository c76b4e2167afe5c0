"""Document 000's predicates, restated for the tests: which rows are a user's.

Deliberately written out by hand rather than derived from purgekit.stores, so that a mistake in the
erasure plan shows up as a failing test instead of being repeated by it.
"""

from __future__ import annotations

from sqlalchemy import text

from purgekit.stores import Store

# (store, table) -> [(column, "jid" | "number")]: a row is the user's when any column matches.
USER_ROWS = {
    ("callbackStore", "queue"): [("key_remote_jid", "jid")],
    ("messageStore", "chats"): [("key_remote_jid", "jid"), ("group_creator", "jid")],
    ("messageStore", "group_participants_history"): [("jid", "jid")],
    ("messageStore", "messages"): [("key_remote_jid", "jid"), ("remote_resource", "jid")],
    ("messageStore", "messages_pending_actions"): [("key_remote_jid", "jid"), ("remote_resource", "jid")],
    ("messageStore", "messages_receipt_log"): [("key_remote_jid", "jid")],
    ("messageStore", "sender_key_distribution_status"): [("jid", "jid")],
    ("axolotlStore", "identities"): [("recipient_id", "number")],
    ("axolotlStore", "message_base_key"): [("msg_key_remote_jid", "jid")],
    ("axolotlStore", "sender_keys"): [("sender_id", "number")],
    ("axolotlStore", "sessions"): [("recipient_id", "number")],
    ("contactStore", "wa_contacts"): [("jid", "jid")],
    ("contactStore", "wa_phones"): [("jid", "jid")],
}


def jid_of(number: int) -> str:
    return f"{number}@s.whatsapp.net"


def user_rows(stores, number: int) -> dict[tuple[str, str], int]:
    """How many rows of each table belong to the account whose jid is '<number>@s.whatsapp.net'."""
    counts = {}
    for (store, table), columns in USER_ROWS.items():
        predicate = " OR ".join(f"{column} = :{kind}" for column, kind in columns)
        with stores.engine(Store(store)).connect() as connection:
            counts[(store, table)] = connection.execute(
                text(f"SELECT COUNT(*) FROM {stores.qualified(Store(store), table)} WHERE {predicate}"),
                {"jid": jid_of(number), "number": number},
            ).scalar_one()
    return counts


def nonzero(counts: dict) -> dict:
    return {key: value for key, value in counts.items() if value}
